import type { Logger } from 'pino';
import { startHotline } from '../app.ts';
import type { CallState } from '../calls/types.ts';
import { ScaledClock } from '../clock.ts';
import type { RoutingPlan } from '../plan/compile.ts';
import { startAriSimulator } from '../sim/index.ts';
import { demoRoster } from './demo-agents.ts';
import { Random } from './random.ts';
import { SyntheticTraffic } from './traffic.ts';

export interface SimulationOptions {
  plan: RoutingPlan;
  calls: number;
  agents: number;
  seed: number;
  /** New calls per virtual second. */
  rate: number;
  /** Virtual time runs this many times faster than the wall clock. */
  speed: number;
  recordsPath: string;
  logger: Logger;
  /** Shared ACD state (and kept sessions) in Redis instead of memory. */
  redisUrl?: string;
  redisKeyPrefix?: string;
  /** Environment for the records sink and ticketing (default: the process's). */
  env?: NodeJS.ProcessEnv;
  progress?: (line: string) => void;
}

export interface SimulationSummary {
  offered: number;
  answered: number;
  abandoned: number;
  ticketed: number;
  transferred: number;
  deregisteredNotices: number;
  asa_ms: number;
  serviceLevel15s: number;
  leakedChannels: number;
  leakedBridges: number;
  records: number;
}

export interface SimulationRun {
  summary: SimulationSummary;
  /** Agents still reserved or on a call after every call ended (should be none). */
  stuckAgents: number;
  /** Timers the engine still holds after every call ended (should be none). */
  liveCalls: number;
  recordFailures: number;
  heapStartMiB: number;
  heapEndMiB: number;
  rssEndMiB: number;
  seconds: number;
}

const mib = (n: number) => Math.round((n / 1048576) * 10) / 10;

/**
 * A seeded synthetic load through the engine and the real ari-client connection to the
 * simulator: callers with key presses and patience, agents with talk times and transfers.
 */
export async function runSimulation(o: SimulationOptions): Promise<SimulationRun> {
  const started = Date.now();
  const heapStart = process.memoryUsage().heapUsed;
  const rnd = new Random(o.seed);
  const clock = new ScaledClock(o.speed);
  const sim = await startAriSimulator({
    clock,
    logger: o.logger,
    defaultPlaybackMs: 3000,
    promptDurations: durations(o.plan),
  });
  const roster = demoRoster(o.plan, o.agents, rnd);
  const apps = ['hotline-1', 'hotline-2'];
  const hotline = await startHotline({
    plan: o.plan,
    ari: { url: sim.url, user: 'hotline', password: 'hotline', apps, maxConnections: 32 },
    ...(o.redisUrl ? { redisUrl: o.redisUrl } : {}),
    ...(o.redisKeyPrefix ? { redisKeyPrefix: o.redisKeyPrefix } : {}),
    roster,
    records: { jsonlPath: o.recordsPath },
    ...(o.env ? { env: o.env } : {}),
    engineId: `simulate-${process.pid}`,
    clock,
    logger: o.logger,
  });
  const ended: CallState[] = [];
  hotline.engine.onEnded((s) => ended.push(s));
  const traffic = new SyntheticTraffic({
    plan: o.plan,
    sim,
    engine: hotline.engine,
    store: hotline.store,
    clock,
    rnd,
    apps,
    roster,
  });
  await traffic.staff();
  const progress = setInterval(() => {
    const waiting = hotline.engine.liveCalls().filter((c) => c.stage === 'queued').length;
    o.progress?.(
      `${traffic.offered}/${o.calls} offered, ${ended.length} ended, ${hotline.engine.stats.live} live, ${waiting} waiting`,
    );
  }, 1000);
  try {
    await new Promise<void>((resolve) => {
      const next = () => {
        traffic.placeCall();
        if (traffic.offered >= o.calls) return resolve();
        clock.after(rnd.exponential(1000 / o.rate), next);
      };
      next();
    });
    const drainStart = Date.now();
    while (ended.length < o.calls && Date.now() - drainStart < 600_000)
      await new Promise((r) => setTimeout(r, 50));
    await hotline.engine.settle();
    // Let the last hangups and bridge removals reach the simulator.
    const leakDeadline = Date.now() + 3000;
    while ((sim.stats().liveChannels > 0 || sim.stats().liveBridges > 0) && Date.now() < leakDeadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    clearInterval(progress);
  }
  // Agents end their wrap-up on their own; none may be left holding a call.
  const agents = await hotline.store.listAgents();
  const stuckAgents = agents.filter(
    (a) => a.status.state === 'reserved' || a.status.state === 'on-call',
  ).length;
  const stats = sim.stats();
  const liveCalls = hotline.engine.stats.live;
  const recordFailures = hotline.engine.stats.recordFailures;
  await hotline.close();
  await sim.stop();
  const { existsSync, readFileSync } = await import('node:fs');
  // With a webhook or stream configured records go through the outbox, not the JSONL file.
  const written = existsSync(o.recordsPath)
    ? readFileSync(o.recordsPath, 'utf8').split('\n').filter(Boolean).length
    : hotline.engine.stats.recordsWritten;
  const mem = process.memoryUsage();
  return {
    summary: summarise(traffic.offered, ended, o.plan.center.serviceLevelSeconds, stats, written),
    stuckAgents,
    liveCalls,
    recordFailures,
    heapStartMiB: mib(heapStart),
    heapEndMiB: mib(mem.heapUsed),
    rssEndMiB: mib(mem.rss),
    seconds: Math.round((Date.now() - started) / 100) / 10,
  };
}

function durations(plan: RoutingPlan): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of plan.prompts.values()) if (p.durationMs) out[`sound:hotline/${p.id}`] = p.durationMs;
  return out;
}

export function summarise(
  offered: number,
  ended: CallState[],
  slSeconds: number,
  sim: { liveChannels: number; liveBridges: number },
  records: number,
): SimulationSummary {
  const count = (d: string) => ended.filter((s) => s.disposition === d).length;
  const answered = ended.filter((s) => s.agent);
  const waits = answered.map((s) => s.agent!.answeredAt - (s.queuedAt ?? s.arrivedAt));
  const queuedCalls = ended.filter((s) => s.queuedAt !== undefined).length;
  return {
    offered,
    answered: answered.length,
    abandoned: ended.filter((s) => s.disposition?.startsWith('abandoned')).length,
    ticketed: count('ticketed'),
    transferred: count('transferred'),
    deregisteredNotices: ended.filter((s) => s.phase.kind === 'deregistered').length,
    asa_ms: waits.length ? Math.round(waits.reduce((a, b) => a + b, 0) / waits.length) : 0,
    serviceLevel15s: queuedCalls
      ? Number((waits.filter((w) => w <= slSeconds * 1000).length / queuedCalls).toFixed(3))
      : 1,
    leakedChannels: sim.liveChannels,
    leakedBridges: sim.liveBridges,
    records,
  };
}
