import { Redis } from 'ioredis';
import { startHotline } from '../../src/app.ts';
import { SteppedClock } from '../../src/clock.ts';
import type { Hotline } from '../../src/hotline.ts';
import type { Logger } from '../../src/log.ts';
import { EdgeReportReader } from '../../src/redis/edge-report.ts';
import type { RosterEntry } from '../../src/roster.ts';
import { type AriSimulator, startAriSimulator } from '../../src/sim/index.ts';
import { AriNodes } from '../../src/telephony/ari/ari-nodes.ts';
import { MemoryRecords, plans, VirtualTime } from './engine-harness.ts';
import { testRedisUrl } from './redis.ts';

/**
 * An engine over two simulated Asterisk nodes and a SIP edge's report in the test Redis, for the
 * tests of what /metrics, /stats and the wallboard show of the nodes and trunks. Everything it
 * starts is pushed on `closers` (closed by the test, last first).
 */
export type Closers = (() => Promise<unknown>)[];

/** An edge report as `hotline edge` writes it (src/edge/redis-report.ts). */
export const edgeReport = (at: number) => ({
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
export function nodesOf(h: Hotline) {
  if (!(h.telephony instanceof AriNodes)) throw new Error('not an engine over several nodes');
  return h.telephony.status();
}

/** The test Redis and a center id of this test's own (no other test's key collides). */
export function testRedis(closers: Closers, logger: Logger) {
  const redis = new Redis(testRedisUrl());
  closers.push(async () => redis.disconnect());
  const centerId = `edge-api-${process.pid}-${Math.random().toString(36).slice(2)}`;
  return { redis, centerId, reader: new EdgeReportReader({ redis, centerId, logger }) };
}

/** Two simulated Asterisk nodes (`systemname` a and b) and one engine over both (ARI_NODES). */
export async function twoNodes(
  closers: Closers,
  logger: Logger,
  options: { roster?: RosterEntry[]; records?: MemoryRecords } = {},
): Promise<{ h: Hotline; a: AriSimulator; b: AriSimulator; time: VirtualTime }> {
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
    roster: options.roster ?? [],
    records: options.records ?? new MemoryRecords(),
    engineId: 'engine-one',
    clock,
    logger,
    env: {},
    endpointPollMs: 1_000,
  });
  engines.push(h);
  closers.push(() => h.close());
  return { h, a, b, time };
}
