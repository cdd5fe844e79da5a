import { createHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { Agent } from '../acd/agent.ts';
import type { QueuedCall } from '../acd/queue-policy.ts';
import type { StoreSnapshot } from '../acd/store/port.ts';
import { startHotline } from '../app.ts';
import type { CallState } from '../calls/core/types.ts';
import { type Clock, ScaledClock } from '../clock.ts';
import type { RoutingPlan } from '../plan/compile.ts';
import { callFigures } from '../records/call-figures.ts';
import type { SimStats } from '../sim/index.ts';
import { demoRoster, promptDurations } from './demo-agents.ts';
import { Random } from './random.ts';
import { HttpSimDriver, inProcessDriver, type SimDriver } from './sim-driver.ts';
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
  /**
   * A simulator running in another process (`scripts/sim-server.ts`): its URL, and the clock
   * whose virtual time it shares (same speed, same origin). Without it the simulator runs here.
   */
  remoteSim?: { url: string; clock: Clock };
  /**
   * Heap and RSS samples, after a forced full GC when node runs with --expose-gc: once
   * `warmupCalls` calls are placed, then every `everyCalls` calls, and after the drain.
   */
  memory?: { warmupCalls: number; everyCalls: number };
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

export interface MemorySample {
  /** Calls placed so far (the last sample: after the drain). */
  calls: number;
  ended: number;
  live: number;
  heapMiB: number;
  rssMiB: number;
}

export interface SimulationRun {
  summary: SimulationSummary;
  /** Agents still reserved or on a call after every call ended (should be none). */
  stuckAgents: number;
  /** Calls the engine still holds after the drain (should be none), and their armed timers. */
  liveCalls: number;
  engineTimers: number;
  /** Seconds after the drain until the simulator and the ACD had nothing left (or stopped shrinking). */
  settleSeconds: number;
  /** Calls still waiting in the ACD's queues after the drain (should be none), the first few of them. */
  queuedInAcd: number;
  queuedInAcdSample: QueuedCall[];
  /** Calls the simulator took that never ended in the engine (should be none). */
  lostCalls: number;
  recordFailures: number;
  /**
   * With `memory`: heap and RSS before the first call (staffed, idle, not warmed up), after the
   * warm-up (start) and after the drain (end, no call live); without: at start and end of the run.
   */
  heapBeforeMiB: number | undefined;
  rssBeforeMiB: number | undefined;
  heapStartMiB: number;
  heapEndMiB: number;
  rssStartMiB: number;
  rssEndMiB: number;
  /** Samples taken (empty without `memory`) and whether GC was forced before each. */
  memorySamples: MemorySample[];
  gcForced: boolean;
  /**
   * Heap growth per 1,000 calls at a constant number of live calls, and heap per live call (see
   * `heapFit`); only when the load was steady (live calls within ±15% of their mean over the
   * samples under load): when the engine falls behind, the calls it holds grow in number and in
   * size, and no straight line separates that from a leak.
   */
  heapGrowthKiBPerKCall: number | undefined;
  heapPerLiveCallKiB: number | undefined;
  loadSteady: boolean | undefined;
  /** Wall seconds: the whole run, placing the calls, and the drain after the last one. */
  seconds: number;
  offerSeconds: number;
  drainSeconds: number;
  /**
   * Per wall second while the calls were placed: calls placed, calls the engine took up (StasisStart
   * handled), and calls connected to an agent (the rated "call setups"; counted from the warm-up
   * sample, when the load is steady, to the last call placed).
   */
  offeredPerSecond: number;
  engineStartsPerSecond: number;
  agentConnectsPerSecond: number;
  peakLiveCalls: number;
  /** This process's CPU (engine and traffic) over the placing and the drain, % of one core. */
  cpuPercent: number;
  eventLoopDelayMs: { p50: number; p99: number; max: number };
  /** Event-to-first-PBX-request latency in the engine. */
  actionLatencyMs: { p50: number; p99: number; max: number; samples: number };
  /**
   * Requests to the simulator: over HTTP how many, in how many batches, the largest batch and
   * their mean wait; how many found their channel gone (harmless) and failed otherwise.
   */
  simRequests: {
    count?: number;
    batches?: number;
    maxBatch?: number;
    meanMs?: number;
    gone: number;
    errors: number;
    lastError?: string;
  };
  simStats: SimStats;
}

const mib = (n: number) => Math.round((n / 1048576) * 10) / 10;
const r2 = (x: number) => Math.round(x * 100) / 100;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A seeded synthetic load through the engine and the real ari-client connection to the
 * simulator: callers with key presses and patience, agents with talk times and transfers.
 * Ended calls are summarised as they end, so nothing of them is kept.
 */
export async function runSimulation(o: SimulationOptions): Promise<SimulationRun> {
  const started = Date.now();
  const gc = (globalThis as { gc?: () => void }).gc;
  const initial = process.memoryUsage();
  const rnd = new Random(o.seed);
  const clock = o.remoteSim?.clock ?? new ScaledClock(o.speed);
  let simUrl: string;
  let driver: SimDriver;
  let stopSim: () => Promise<void> = async () => undefined;
  if (o.remoteSim) {
    simUrl = o.remoteSim.url;
    driver = new HttpSimDriver(simUrl);
  } else {
    const { startAriSimulator } = await import('../sim/index.ts');
    const sim = await startAriSimulator({
      clock,
      logger: o.logger,
      defaultPlaybackMs: 3000,
      promptDurations: promptDurations(o.plan),
    });
    simUrl = sim.url;
    driver = inProcessDriver(sim);
    stopSim = () => sim.stop();
  }
  const roster = demoRoster(o.plan, o.agents, rnd);
  const apps = ['hotline-1', 'hotline-2'];
  const latency = createHistogram();
  const hotline = await startHotline({
    plan: o.plan,
    ari: { url: simUrl, user: 'hotline', password: 'hotline', apps, maxConnections: 32 },
    ...(o.redisUrl ? { redisUrl: o.redisUrl } : {}),
    ...(o.redisKeyPrefix ? { redisKeyPrefix: o.redisKeyPrefix } : {}),
    roster,
    records: { jsonlPath: o.recordsPath },
    ...(o.env ? { env: o.env } : {}),
    engineId: `simulate-${process.pid}`,
    clock,
    logger: o.logger,
    onActionLatency: (ms) => latency.record(Math.max(1, Math.round(ms * 1000))),
  });
  const engine = hotline.engine;
  const tally = new Tally(o.plan.center.serviceLevelSeconds);
  /** Live calls an agent has answered, and how many calls have been connected so far. */
  const connected = new Set<string>();
  let connects = 0;
  engine.onStage((s) => {
    if (s.stage === 'talking' && !connected.has(s.id) && callFigures(s).answered) {
      connected.add(s.id);
      connects++;
    }
  });
  engine.onEnded((s) => {
    connected.delete(s.id);
    tally.add(s);
  });
  const traffic = new SyntheticTraffic({
    plan: o.plan,
    sim: driver,
    engine,
    store: hotline.store,
    clock,
    rnd,
    apps,
    roster,
  });
  await traffic.staff();
  gc?.();
  const before = o.memory ? process.memoryUsage() : undefined;

  const samples: MemorySample[] = [];
  let steady = { at: 0, connects: 0 };
  const sample = (calls: number) => {
    if (samples.length === 0) steady = { at: Date.now(), connects };
    gc?.();
    const m = process.memoryUsage();
    samples.push({
      calls,
      ended: tally.ended,
      live: engine.stats.live,
      heapMiB: mib(m.heapUsed),
      rssMiB: mib(m.rss),
    });
  };
  const sampleDue = (placed: number) =>
    o.memory !== undefined &&
    placed >= o.memory.warmupCalls &&
    placed < o.calls &&
    (placed - o.memory.warmupCalls) % o.memory.everyCalls === 0;

  let peak = 0;
  const progress = setInterval(() => {
    const waiting = engine.liveCalls().filter((c) => c.stage === 'queued').length;
    o.progress?.(
      `${traffic.offered}/${o.calls} offered, ${tally.ended} ended, ${engine.stats.live} live, ${waiting} waiting`,
    );
  }, 1000);
  const peakSampler = setInterval(() => {
    peak = Math.max(peak, engine.stats.live);
  }, 50);
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  const cpu0 = process.cpuUsage();
  const offerStart = Date.now();
  const started0 = engine.stats.started;
  steady = { at: offerStart, connects: 0 };
  let offerSeconds = 0;
  let starts = 0;
  let connectsPerSecond = 0;
  let drainSeconds = 0;
  loopDelay.enable();
  try {
    // Poisson arrivals on an absolute schedule, so a busy event loop delays calls but loses none.
    await new Promise<void>((resolve) => {
      let nextAt = clock.now();
      const tick = () => {
        const now = clock.now();
        while (traffic.placed < o.calls && nextAt <= now) {
          void traffic.placeCall();
          if (sampleDue(traffic.placed)) sample(traffic.placed);
          nextAt += rnd.exponential(1000 / o.rate);
        }
        if (traffic.placed >= o.calls) return resolve();
        clock.after(nextAt - now, tick);
      };
      tick();
    });
    offerSeconds = (Date.now() - offerStart) / 1000;
    starts = engine.stats.started - started0;
    const windowSeconds = (Date.now() - steady.at) / 1000;
    connectsPerSecond = windowSeconds > 0 ? (connects - steady.connects) / windowSeconds : 0;
    const drainStart = Date.now();
    let idleSince: number | undefined;
    while (Date.now() - drainStart < 600_000) {
      if (traffic.pending === 0 && tally.ended >= traffic.offered) break;
      // Every call the simulator took reaches the engine within moments: none live, none
      // arriving, for seconds on end, and the rest never will.
      if (traffic.pending === 0 && engine.stats.live === 0) {
        idleSince ??= Date.now();
        if (Date.now() - idleSince > 5000) break;
      } else idleSince = undefined;
      await sleep(50);
    }
    await engine.settle();
    drainSeconds = (Date.now() - drainStart) / 1000;
  } finally {
    clearInterval(progress);
    clearInterval(peakSampler);
    loopDelay.disable();
  }
  const cpu = process.cpuUsage(cpu0);
  const busySeconds = (Date.now() - offerStart) / 1000;
  const acdWaitStart = Date.now();
  // Let the last hangups and bridge removals reach the simulator.
  let stats = await driver.stats();
  const leakDeadline = Date.now() + 3000;
  while ((stats.liveChannels > 0 || stats.liveBridges > 0) && Date.now() < leakDeadline) {
    await sleep(20);
    stats = await driver.stats();
  }
  // Agents end their wrap-up on their own; none may be left holding a call, and no call left
  // waiting. The ACD requests of calls that have ended may still be on their way (the engine's
  // settle() waits for live calls only): wait while that backlog shrinks; a leak stays put.
  const holding = (a: Agent) => a.status.state === 'reserved' || a.status.state === 'on-call';
  const acdLeft = (snap: StoreSnapshot) => snap.calls.length + snap.agents.filter(holding).length;
  let acd = await hotline.store.snapshot();
  let lastChange = Date.now();
  for (let left = acdLeft(acd); left > 0 && Date.now() - lastChange < 10_000; ) {
    await sleep(200);
    acd = await hotline.store.snapshot();
    if (acdLeft(acd) < left) lastChange = Date.now();
    left = acdLeft(acd);
  }
  const acdSettleSeconds = r2((Date.now() - acdWaitStart) / 1000);
  const stuckAgents = acd.agents.filter(holding).length;
  const liveCalls = engine.stats.live;
  const engineTimers = engine.liveCalls().reduce((n, s) => n + Object.keys(s.timers).length, 0);
  if (o.memory) sample(traffic.placed);
  const recordFailures = engine.stats.recordFailures;
  await hotline.close();
  await stopSim();
  const { existsSync, readFileSync } = await import('node:fs');
  // With a webhook or stream configured records go through the outbox, not the JSONL file.
  const written = existsSync(o.recordsPath)
    ? readFileSync(o.recordsPath, 'utf8').split('\n').filter(Boolean).length
    : engine.stats.recordsWritten;
  const end = process.memoryUsage();
  const underLoad = samples.slice(0, -1).map((m) => m.live);
  const meanLive = underLoad.reduce((a, b) => a + b, 0) / (underLoad.length || 1);
  const loadSteady =
    underLoad.length >= 2 ? underLoad.every((l) => Math.abs(l - meanLive) <= 0.15 * meanLive) : undefined;
  const fit = loadSteady ? heapFit(samples) : undefined;
  const first = samples[0];
  const last = samples.at(-1);
  const pct = (h: { percentile(p: number): number }, p: number, scale: number) => r2(h.percentile(p) / scale);
  return {
    summary: tally.summary(traffic.offered, stats, written),
    stuckAgents,
    liveCalls,
    engineTimers,
    settleSeconds: acdSettleSeconds,
    queuedInAcd: acd.calls.length,
    queuedInAcdSample: acd.calls.slice(0, 5),
    lostCalls: Math.max(0, traffic.offered - tally.ended),
    recordFailures,
    heapBeforeMiB: before ? mib(before.heapUsed) : undefined,
    rssBeforeMiB: before ? mib(before.rss) : undefined,
    heapStartMiB: first?.heapMiB ?? mib(initial.heapUsed),
    heapEndMiB: last?.heapMiB ?? mib(end.heapUsed),
    rssStartMiB: first?.rssMiB ?? mib(initial.rss),
    rssEndMiB: last?.rssMiB ?? mib(end.rss),
    memorySamples: samples,
    gcForced: gc !== undefined,
    heapGrowthKiBPerKCall: fit?.growthKiBPerKCall,
    heapPerLiveCallKiB: fit?.perLiveCallKiB,
    loadSteady,
    seconds: Math.round((Date.now() - started) / 100) / 10,
    offerSeconds: r2(offerSeconds),
    drainSeconds: r2(drainSeconds),
    offeredPerSecond: offerSeconds > 0 ? r2(traffic.placed / offerSeconds) : 0,
    engineStartsPerSecond: offerSeconds > 0 ? r2(starts / offerSeconds) : 0,
    agentConnectsPerSecond: r2(connectsPerSecond),
    peakLiveCalls: peak,
    cpuPercent: Math.round(((cpu.user + cpu.system) / 1e6 / busySeconds) * 100),
    eventLoopDelayMs: {
      p50: pct(loopDelay, 50, 1e6),
      p99: pct(loopDelay, 99, 1e6),
      max: r2(loopDelay.max / 1e6),
    },
    actionLatencyMs: {
      p50: latency.count ? pct(latency, 50, 1e3) : 0,
      p99: latency.count ? pct(latency, 99, 1e3) : 0,
      max: latency.count ? r2(latency.max / 1e3) : 0,
      samples: latency.count,
    },
    simRequests: {
      ...(driver instanceof HttpSimDriver
        ? {
            count: driver.requests,
            batches: driver.batches,
            maxBatch: driver.maxBatch,
            meanMs: driver.requests ? r2(driver.totalMs / driver.requests) : 0,
          }
        : {}),
      gone: traffic.gone,
      errors: traffic.errors,
      ...(traffic.lastError ? { lastError: traffic.lastError } : {}),
    },
    simStats: stats,
  };
}

/**
 * The heap as `a + b·calls + c·live` fitted by least squares over the samples (the last one
 * after the drain, with no call live): `b` is the growth per call at a constant number of live
 * calls, `c` what a live call holds. Without enough spread in `live`, `b` alone is fitted.
 */
export function heapFit(
  samples: readonly MemorySample[],
): { growthKiBPerKCall: number; perLiveCallKiB: number | undefined } | undefined {
  if (samples.length < 3) return undefined;
  const n = samples.length;
  const mean = (f: (s: MemorySample) => number) => samples.reduce((a, s) => a + f(s), 0) / n;
  const [mc, ml, mh] = [mean((s) => s.calls), mean((s) => s.live), mean((s) => s.heapMiB * 1024)];
  let scc = 0;
  let sll = 0;
  let scl = 0;
  let sch = 0;
  let slh = 0;
  for (const s of samples) {
    const [c, l, h] = [s.calls - mc, s.live - ml, s.heapMiB * 1024 - mh];
    scc += c * c;
    sll += l * l;
    scl += c * l;
    sch += c * h;
    slh += l * h;
  }
  if (scc === 0) return undefined;
  const det = scc * sll - scl * scl;
  if (det > 1e-9 * scc * sll) {
    return {
      growthKiBPerKCall: Math.round(((sll * sch - scl * slh) / det) * 1000),
      perLiveCallKiB: r2((scc * slh - scl * sch) / det),
    };
  }
  return { growthKiBPerKCall: Math.round((sch / scc) * 1000), perLiveCallKiB: undefined };
}

/**
 * The summary of the ended calls, kept as counts and sums as each call ends. Answered, abandoned,
 * ASA and service level are `callFigures`' (records/call-figures.ts), as on the wallboard: answered
 * = an agent connected (even if they then left a three-way call), the wait runs from the first
 * queue entry, abandoned = offered and hung up waiting or ringing, service level = answered within
 * the plan's threshold / offered.
 */
export class Tally {
  ended = 0;
  private answered = 0;
  private abandoned = 0;
  private ticketed = 0;
  private transferred = 0;
  private deregistered = 0;
  private queued = 0;
  private waitSum = 0;
  private withinSl = 0;

  constructor(private readonly slSeconds: number) {}

  add(s: CallState): void {
    const f = callFigures(s, { serviceLevelSeconds: this.slSeconds });
    this.ended++;
    if (f.abandonedWaiting) this.abandoned++;
    if (s.disposition === 'ticketed') this.ticketed++;
    if (f.transferred) this.transferred++;
    if (s.phase.kind === 'deregistered') this.deregistered++;
    if (!f.offered) return;
    this.queued++;
    if (f.answered) {
      this.answered++;
      this.waitSum += f.waitMs ?? 0;
      if (f.serviceLevelHit) this.withinSl++;
    }
  }

  summary(
    offered: number,
    sim: { liveChannels: number; liveBridges: number },
    records: number,
  ): SimulationSummary {
    return {
      offered,
      answered: this.answered,
      abandoned: this.abandoned,
      ticketed: this.ticketed,
      transferred: this.transferred,
      deregisteredNotices: this.deregistered,
      asa_ms: this.answered ? Math.round(this.waitSum / this.answered) : 0,
      serviceLevel15s: this.queued ? Number((this.withinSl / this.queued).toFixed(3)) : 1,
      leakedChannels: sim.liveChannels,
      leakedBridges: sim.liveBridges,
      records,
    };
  }
}
