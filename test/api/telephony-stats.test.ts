import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { issueToken, TokenSet } from '../../src/admin/tokens.ts';
import { buildApi } from '../../src/api/server.ts';
import { startHotline } from '../../src/app.ts';
import { type Clock, SteppedClock } from '../../src/clock.ts';
import { EDGE_REPORT_TTL_MS, edgeKey } from '../../src/edge/redis-report.ts';
import type { Hotline } from '../../src/hotline.ts';
import { createLogger } from '../../src/log.ts';
import { EdgeReportReader } from '../../src/redis/edge-report.ts';
import { type AriSimulator, startAriSimulator } from '../../src/sim/index.ts';
import { AriNodes } from '../../src/telephony/ari/ari-nodes.ts';
import { MemoryRecords, plans, startRig, VirtualTime } from '../support/engine-harness.ts';
import { testRedisUrl } from '../support/redis.ts';

const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close().catch(() => undefined);
});

const supervisor = issueToken('duty-supervisor', 'supervisor');

/** The value of one sample line of a Prometheus exposition. */
function sample(text: string, name: string, labels = ''): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ''} `));
  return line === undefined ? undefined : Number(line.split(' ').at(-1));
}

/** Sample lines of a metric (any labels). */
const samples = (text: string, name: string) =>
  text.split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));

/** An edge report as `hotline edge` writes it (src/edge/redis-report.ts). */
const edgeReport = (at: number) => ({
  at,
  nodes: [
    { name: 'a', up: true, optionsRttMs: 0.7, ari: true, calls: 12, invites: 30, failures: 0 },
    { name: 'b', up: false, optionsRttMs: null, ari: true, calls: 0, invites: 4, failures: 4 },
  ],
  trunks: [
    { name: 'carrier', up: true, rttMs: 1.25 },
    { name: 'sc-tax', up: true, rttMs: 2 },
    { name: 'emergency', up: false, rttMs: null },
  ],
});

/** What the engine knows of its nodes (ARI_NODES). */
function nodesOf(h: Hotline) {
  if (!(h.telephony instanceof AriNodes)) throw new Error('not an engine over several nodes');
  return h.telephony.status();
}

/** The test Redis and a center id of this test's own (no other test's key collides). */
function testRedis() {
  const redis = new Redis(testRedisUrl());
  closers.push(async () => redis.disconnect());
  const centerId = `edge-api-${process.pid}-${Math.random().toString(36).slice(2)}`;
  return { redis, centerId, reader: new EdgeReportReader({ redis, centerId, logger }) };
}

/** Two simulated Asterisk nodes (`systemname` a and b) and one engine over both (ARI_NODES). */
async function twoNodes(): Promise<{ h: Hotline; b: AriSimulator; time: VirtualTime }> {
  const clock = new SteppedClock(Date.now());
  const a = await startAriSimulator({ clock, logger, systemName: 'a', defaultPlaybackMs: 2000 });
  closers.push(() => a.stop());
  const b = await startAriSimulator({ clock, logger, systemName: 'b', defaultPlaybackMs: 2000 });
  closers.push(() => b.stop());
  const engines: Hotline[] = [];
  const both = {
    eventWire: () => {
      const [wa, wb] = [a.eventWire(), b.eventWire()];
      return {
        sockets: wa.sockets + wb.sockets,
        framesSent: wa.framesSent + wb.framesSent,
        refusing: wa.refusing || wb.refusing,
      };
    },
  } as unknown as AriSimulator;
  const time = new VirtualTime(clock, { sim: both, engines: () => engines });
  const h = await startHotline({
    plan: plans.sichuan(),
    ari: {
      url: a.url,
      user: 'hotline',
      password: 'hotline',
      apps: ['hotline'],
      maxConnections: 8,
      nodes: [
        { name: 'a', url: a.url },
        { name: 'b', url: b.url },
      ],
      nodeLostMs: 3_000,
    },
    roster: [],
    records: new MemoryRecords(),
    engineId: 'engine-one',
    clock,
    logger,
    env: {},
    endpointPollMs: 1_000,
  });
  engines.push(h);
  closers.push(() => h.close());
  return { h, b, time };
}

async function api(hotline: Hotline, clock: Clock, reader?: EdgeReportReader) {
  const app: FastifyInstance = await buildApi({
    hotline,
    roster: [],
    clock,
    logger,
    tokens: new TokenSet([supervisor.entry]),
    ...(reader ? { edgeReport: reader } : {}),
  });
  closers.push(() => app.close());
  const get = async (url: string) => {
    const res = await app.inject({
      method: 'GET',
      url,
      headers: { authorization: `Bearer ${supervisor.token}` },
    });
    expect(res.statusCode).toBe(200);
    return res;
  };
  return {
    metrics: async () => (await get('/metrics')).body,
    stats: async () => (await get('/stats')).json(),
  };
}

describe('the Asterisk nodes and the trunks on /metrics and /stats', () => {
  it("show this engine's link to each node and the SIP edge's report: nodes, calls, OPTIONS round trips, trunks", async () => {
    const { h, b, time } = await twoNodes();
    await time.runUntil('both nodes connected', () => nodesOf(h).every((n) => n.connected));
    const r = testRedis();
    const writtenAt = Date.now();
    await r.redis.set(edgeKey(r.centerId), JSON.stringify(edgeReport(writtenAt)), 'PX', EDGE_REPORT_TTL_MS);
    const http = await api(h, time.clock, r.reader);

    const text = await http.metrics();
    expect(sample(text, 'hotline_ari_node_connected', 'node="a"')).toBe(1);
    expect(sample(text, 'hotline_ari_node_connected', 'node="b"')).toBe(1);
    expect(sample(text, 'hotline_ari_node_lost', 'node="b"')).toBe(0);
    expect(sample(text, 'hotline_edge_node_up', 'node="a"')).toBe(1);
    expect(sample(text, 'hotline_edge_node_up', 'node="b"')).toBe(0);
    expect(sample(text, 'hotline_edge_node_calls', 'node="a"')).toBe(12);
    expect(sample(text, 'hotline_edge_node_options_rtt_ms', 'node="a"')).toBe(0.7);
    // No OPTIONS answer from b: no round trip (not 0).
    expect(sample(text, 'hotline_edge_node_options_rtt_ms', 'node="b"')).toBeUndefined();
    expect(sample(text, 'hotline_edge_trunk_up', 'trunk="sc-tax"')).toBe(1);
    expect(sample(text, 'hotline_edge_trunk_up', 'trunk="emergency"')).toBe(0);
    expect(sample(text, 'hotline_edge_trunk_rtt_ms', 'trunk="carrier"')).toBe(1.25);
    const age = sample(text, 'hotline_edge_report_age_seconds')!;
    expect(age).toBeGreaterThanOrEqual(0);
    expect(age).toBeLessThan(10);

    const stats = await http.stats();
    expect(stats.telephony).toEqual({
      nodes: [
        { name: 'a', engineConnected: true, edgeUp: true, calls: 12 },
        { name: 'b', engineConnected: true, edgeUp: false, calls: 0 },
      ],
      trunks: [
        { name: 'carrier', up: true },
        { name: 'sc-tax', up: true },
        { name: 'emergency', up: false },
      ],
      edgeReportAgeSeconds: expect.any(Number),
    });

    // Node b's ARI goes away and stays away: the engine declares it lost.
    b.refuseWebSockets(600_000);
    b.dropWebSockets();
    await time.runUntil('node b lost', () => nodesOf(h)[1]!.lost, { maxVirtualMs: 10_000 });
    const after = await http.metrics();
    expect(sample(after, 'hotline_ari_node_connected', 'node="a"')).toBe(1);
    expect(sample(after, 'hotline_ari_node_connected', 'node="b"')).toBe(0);
    expect(sample(after, 'hotline_ari_node_lost', 'node="b"')).toBe(1);
    expect((await http.stats()).telephony.nodes[1]).toMatchObject({ name: 'b', engineConnected: false });
  });

  it("leave the edge's gauges out (not 0) while the edge writes no report, and show the engine's nodes alone", async () => {
    const { h, time } = await twoNodes();
    await time.runUntil('both nodes connected', () => nodesOf(h).every((n) => n.connected));
    const r = testRedis();
    const http = await api(h, time.clock, r.reader);
    const text = await http.metrics();
    expect(sample(text, 'hotline_ari_node_connected', 'node="b"')).toBe(1);
    for (const name of [
      'hotline_edge_node_up',
      'hotline_edge_node_calls',
      'hotline_edge_node_options_rtt_ms',
      'hotline_edge_trunk_up',
      'hotline_edge_trunk_rtt_ms',
      'hotline_edge_report_age_seconds',
    ]) {
      expect(samples(text, name)).toEqual([]);
    }
    expect((await http.stats()).telephony).toEqual({
      nodes: [
        { name: 'a', engineConnected: true, edgeUp: null, calls: 0 },
        { name: 'b', engineConnected: true, edgeUp: null, calls: 0 },
      ],
      trunks: [],
      edgeReportAgeSeconds: null,
    });
  });

  it('show nothing of nodes or trunks with one Asterisk and no edge', async () => {
    const rig = await startRig({});
    closers.push(() => rig.close());
    const http = await api(rig.hotline, rig.clock);
    const text = await http.metrics();
    expect(samples(text, 'hotline_ari_node_connected')).toEqual([]);
    expect(samples(text, 'hotline_edge_node_up')).toEqual([]);
    expect((await http.stats()).telephony).toEqual({ nodes: [], trunks: [], edgeReportAgeSeconds: null });
  });
});
