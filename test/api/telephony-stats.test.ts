import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { issueToken, TokenSet } from '../../src/admin/tokens.ts';
import { buildApi } from '../../src/api/server.ts';
import type { Clock } from '../../src/clock.ts';
import { EDGE_REPORT_TTL_MS, edgeKey } from '../../src/edge/redis-report.ts';
import type { Hotline } from '../../src/hotline.ts';
import { createLogger } from '../../src/log.ts';
import type { EdgeReportReader } from '../../src/redis/edge-report.ts';
import { startRig } from '../support/engine-harness.ts';
import { edgeReport, nodesOf, testRedis, twoNodes } from '../support/two-nodes.ts';

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
    const { h, b, time } = await twoNodes(closers, logger);
    await time.runUntil('both nodes connected', () => nodesOf(h).every((n) => n.connected));
    const r = testRedis(closers, logger);
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
    const { h, time } = await twoNodes(closers, logger);
    await time.runUntil('both nodes connected', () => nodesOf(h).every((n) => n.connected));
    const r = testRedis(closers, logger);
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
