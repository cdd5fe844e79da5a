/**
 * Soak: a long synthetic load through the engine at its rated rate, with the ARI simulator in a
 * process of its own (scripts/sim-server.ts, sharing the virtual time), so this process holds
 * the engine and the synthetic callers' few live maps only; the ACD and kept sessions are in
 * Redis when REDIS_URL is set. Prints one JSON line (`scenario: "soak"`); exits non-zero when a
 * call or record is lost, or a channel, bridge, engine call or timer, ACD queue entry or kept
 * session is left over, or an agent is stuck reserved or on a call.
 *
 *   npm run soak -- [--calls 10000] [--rate 300] [--speed 20] [--agents N] [--seed 2026]
 *                   [--rules DIR] [--in-process] [--warmup 1000] [--sample-every N]
 *
 * --rate is new calls per wall-clock second (default: the engine's rated 300/s); virtual time
 * runs --speed times faster, so callers arrive at rate/speed per virtual second and prompts,
 * waits and talk last 1/speed of their length. --agents defaults to enough for that load.
 * Reported rates: calls placed, calls the engine took up, and calls connected to an agent (the
 * rated "call setups"), per wall second. Heap and RSS are taken after a forced full GC (the npm
 * script runs node with --expose-gc): after --warmup calls (by then the number of live calls is
 * steady at 300/s), every --sample-every calls (default: 5 or more samples, at most one per
 * 1,000 calls) and after the drain, and also before the first call. heapGrowthKiBPerKCall is
 * the heap's growth per 1,000 calls at a constant number of live calls (least squares over the
 * samples, see heapFit), given only when the load was steady (loadSteady).
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { projectRoot, rulesDir } from '../src/cli/paths.ts';
import { ScaledClock } from '../src/clock.ts';
import { createLogger } from '../src/log.ts';
import { loadPlan } from '../src/plan/load.ts';
import { runSimulation } from '../src/synthetic/run-simulation.ts';
import { clockOrigin } from '../src/synthetic/sim-driver.ts';

/**
 * Virtual seconds of an agent's time per call: ~2 s ringing, 40 s talk on average (20-60), 15 s
 * wrap-up in the general pool (30 s at expert seats), a little more for the 8% transferred.
 */
const AGENT_SECONDS_PER_CALL = 60;
/** Staffing for the offered load at this occupancy leaves queues short but not empty. */
const OCCUPANCY = 0.85;

const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '10000' },
    rate: { type: 'string', default: '300' },
    speed: { type: 'string', default: '20' },
    agents: { type: 'string' },
    seed: { type: 'string', default: '2026' },
    rules: { type: 'string' },
    'sim-process': { type: 'boolean', default: true },
    'in-process': { type: 'boolean', default: false },
    warmup: { type: 'string', default: '1000' },
    'sample-every': { type: 'string' },
  },
});
const calls = Number(values.calls);
const rate = Number(values.rate);
const speed = Number(values.speed);
const virtualRate = rate / speed;
const agents = values.agents
  ? Number(values.agents)
  : Math.ceil((virtualRate * AGENT_SECONDS_PER_CALL) / OCCUPANCY);
const simProcess = values['sim-process'] && !values['in-process'];
if (![calls, rate, speed].every((n) => Number.isFinite(n) && n > 0)) {
  console.error('soak: --calls, --rate and --speed must be positive numbers');
  process.exit(2);
}
const warmup = Math.min(Number(values.warmup), Math.floor(calls / 2));
// At least five samples under load, at most one every 1,000 calls.
const sampleEvery = values['sample-every']
  ? Number(values['sample-every'])
  : Math.max(50, Math.min(1000, Math.floor((calls - warmup) / 5 / 50) * 50));
const rules = rulesDir(values.rules);
const { plan } = loadPlan(rules);
const recordsPath = join(projectRoot, 'var', `soak-${process.pid}.jsonl`);
rmSync(recordsPath, { force: true });
const redisUrl = process.env.REDIS_URL;
const redisKeyPrefix = `hotline-soak-${process.pid}`;
const log = (line: string) => process.stderr.write(`soak: ${line}\n`);

const clock = new ScaledClock(speed);
let remoteSim: { url: string; clock: ScaledClock } | undefined;
let simExit: Promise<Record<string, unknown> | undefined> = Promise.resolve(undefined);
let stopSim: () => void = () => undefined;
if (simProcess) {
  const origin = clockOrigin(clock);
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(projectRoot, 'scripts/sim-server.ts'),
      '--speed',
      String(speed),
      '--origin',
      `${origin.wallMs}:${origin.virtualMs}`,
      '--rules',
      rules,
      '--exit-with-stdin',
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: child.stdout! });
  const url = await new Promise<string>((resolve, reject) => {
    lines.once('line', (line) => resolve((JSON.parse(line) as { url: string }).url));
    child.once('exit', (code) => reject(new Error(`sim-server exited (${code}) before it listened`)));
  });
  let last: Record<string, unknown> | undefined;
  lines.on('line', (line) => {
    last = JSON.parse(line) as Record<string, unknown>;
  });
  simExit = new Promise((resolve) => child.once('exit', () => resolve(last)));
  stopSim = () => {
    child.kill('SIGTERM');
  };
  process.once('exit', () => child.kill('SIGKILL'));
  remoteSim = { url, clock };
  log(`simulator in process ${child.pid} at ${url}`);
}
log(
  `${calls} calls at ${rate}/s (${virtualRate} per virtual s at speed ${speed}), ${agents} agents, ` +
    `ACD in ${redisUrl ? 'Redis' : 'memory'}, gc ${(globalThis as { gc?: unknown }).gc ? 'exposed' : 'NOT exposed (run with --expose-gc)'}`,
);

let run: Awaited<ReturnType<typeof runSimulation>>;
try {
  run = await runSimulation({
    plan,
    calls,
    agents,
    seed: Number(values.seed),
    rate: virtualRate,
    speed,
    recordsPath,
    logger: createLogger({ level: process.env.LOG_LEVEL ?? 'error', destination: process.stderr }),
    ...(redisUrl ? { redisUrl, redisKeyPrefix } : {}),
    ...(remoteSim ? { remoteSim } : {}),
    memory: { warmupCalls: warmup, everyCalls: sampleEvery },
    progress: log,
  });
} finally {
  stopSim();
}
// The simulator's own CPU time and memory as it stopped (its counters are in simStats).
const { stats: _stats, stopped: _stopped, ...simProcessFigures } = (await simExit) ?? {};

// Sessions the engine kept in Redis must all be gone; then the run's keys are removed.
let sessionsLeft: number | undefined;
if (redisUrl) {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 2 });
  sessionsLeft = await redis.hlen(`${redisKeyPrefix}:{${plan.center.id}}:sessions:simulate-${process.pid}`);
  const keys: string[] = [];
  for await (const batch of redis.scanStream({ match: `${redisKeyPrefix}:*`, count: 500 }))
    keys.push(...(batch as string[]));
  for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
  redis.disconnect();
}

for (const c of run.queuedInAcdSample) log(`left in the ACD: ${JSON.stringify(c)}`);
const s = run.summary;
const ok =
  s.offered === calls &&
  s.records === s.offered &&
  run.lostCalls === 0 &&
  run.recordFailures === 0 &&
  s.leakedChannels === 0 &&
  s.leakedBridges === 0 &&
  run.liveCalls === 0 &&
  run.engineTimers === 0 &&
  run.queuedInAcd === 0 &&
  (sessionsLeft ?? 0) === 0 &&
  run.stuckAgents === 0 &&
  run.simStats.callsFallback === 0 &&
  run.simRequests.errors === 0;
console.log(
  JSON.stringify({
    scenario: 'soak',
    store: redisUrl ? 'redis' : 'memory',
    simulator: simProcess ? 'process' : 'in-process',
    calls,
    rate,
    speed,
    agents,
    offered: s.offered,
    recordsExpected: s.offered,
    recordsWritten: s.records,
    recordFailures: run.recordFailures,
    lostCalls: run.lostCalls,
    leakedChannels: s.leakedChannels,
    leakedBridges: s.leakedBridges,
    liveCallsLeft: run.liveCalls,
    engineTimersLeft: run.engineTimers,
    acdQueuedLeft: run.queuedInAcd,
    ...(sessionsLeft !== undefined ? { sessionsLeft } : {}),
    stuckAgents: run.stuckAgents,
    heapBeforeMiB: run.heapBeforeMiB,
    heapStartMiB: run.heapStartMiB,
    heapEndMiB: run.heapEndMiB,
    rssBeforeMiB: run.rssBeforeMiB,
    rssStartMiB: run.rssStartMiB,
    rssEndMiB: run.rssEndMiB,
    heapGrowthKiBPerKCall: run.heapGrowthKiBPerKCall,
    heapPerLiveCallKiB: run.heapPerLiveCallKiB,
    loadSteady: run.loadSteady,
    gcForced: run.gcForced,
    memorySamples: run.memorySamples,
    seconds: run.seconds,
    offerSeconds: run.offerSeconds,
    drainSeconds: run.drainSeconds,
    settleSeconds: run.settleSeconds,
    offeredPerSecond: run.offeredPerSecond,
    engineStartsPerSecond: run.engineStartsPerSecond,
    agentConnectsPerSecond: run.agentConnectsPerSecond,
    peakLiveCalls: run.peakLiveCalls,
    engineCpuPercent: run.cpuPercent,
    eventLoopDelayMs: run.eventLoopDelayMs,
    actionLatencyMs: run.actionLatencyMs,
    simRequests: run.simRequests,
    simStats: run.simStats,
    ...(simProcess ? { simProcess: simProcessFigures } : {}),
    summary: s,
    ok,
  }),
);
// The records are kept for a look only when something went wrong.
if (ok) rmSync(recordsPath, { force: true });
else log(`records of this run: ${recordsPath}`);
process.exitCode = ok ? 0 : 1;
