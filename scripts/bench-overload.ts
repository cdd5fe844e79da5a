/**
 * Overload bench: the soak's synthetic load (scripts/soak.ts: the ARI simulator in a process of
 * its own, the real ari-client, the engine with its ACD in memory) at 1×, 2× and 4× the rated
 * 300 calls/s, with admission control on (ADMISSION=off to compare) at its default thresholds (src/admission, the ADMISSION_* settings
 * `hotline serve` uses; set them in the environment to try others). Each step is bounded in
 * calls and time and runs on loopback only; each prints one JSON line:
 *
 *   {"load":2,"rate":600,"offered":…,"servedByEngine":…,"shed":…,"shedByReason":{…},
 *    "firstAudioMsP50":…,"firstAudioMsP99":…,"firstAudioMsMax":…,"records":…,
 *    "recordsExpected":…,"shedRecordsWithReason":…,"ok":true,…}
 *
 * First audio: wall ms from the call's arrival on the simulator (its StasisStart) to the first
 * thing the caller hears — the PBX took the engine's first prompt, music-on-hold bridge or agent
 * bridge, or took the call back into the dialplan's safety net. Shed calls are of two kinds: most
 * never reach the engine — the dialplan's admission gate (src/admission/gate.ts) is closed while
 * the engine sheds, so the PBX answers them with the safety net's greeting at arrival (first audio
 * 0 here) and their record comes from the safety net's note (the simulator writes the notes to a
 * spool, the engine's intake reads it); the few whose StasisStart was already on its way are shed
 * by the engine (its own record, then `continue`). `ok`: records = offered, every shed call's
 * record says `shed` with its reason, and at 2× and 4× p99 first audio ≤ 2 s; at 1× nothing is
 * shed.
 *
 *   npm run bench:overload -- [--seconds 6] [--loads 1,2,4] [--speed 20] [--seed 2026] [--trace]
 *
 * --trace prints admission control's state, share and signals at every sample on stderr.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHistogram } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { admissionOptions } from '../src/admission/config.ts';
import { startHotline } from '../src/app.ts';
import { projectRoot, rulesDir } from '../src/cli/paths.ts';
import { ScaledClock } from '../src/clock.ts';
import { readConfig } from '../src/config.ts';
import { createLogger } from '../src/log.ts';
import { loadPlan } from '../src/plan/load.ts';
import type { CallRecord } from '../src/records/schema.ts';
import { demoRoster } from '../src/synthetic/demo-agents.ts';
import { Random } from '../src/synthetic/random.ts';
import { clockOrigin, HttpSimDriver } from '../src/synthetic/sim-driver.ts';
import { SyntheticTraffic } from '../src/synthetic/traffic.ts';
import type { AriAdapter } from '../src/telephony/ari/ari-adapter.ts';

const RATED = 300;
const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '6' },
    loads: { type: 'string', default: '1,2,4' },
    speed: { type: 'string', default: '20' },
    seed: { type: 'string', default: '2026' },
    trace: { type: 'boolean', default: false },
    rules: { type: 'string' },
  },
});
const seconds = Number(values.seconds);
const speed = Number(values.speed);
const loads = values.loads.split(',').map(Number);
if (!(seconds > 0 && seconds <= 60) || !(speed > 0) || loads.some((l) => !(l > 0 && l <= 8))) {
  console.error('bench:overload: --seconds in (0, 60], --speed > 0, --loads from (0, 8]');
  process.exit(2);
}
const rules = rulesDir(values.rules);
const { plan } = loadPlan(rules);
const config = readConfig(process.env);
const admission = admissionOptions(config);
const log = (line: string) => process.stderr.write(`bench:overload: ${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const r2 = (x: number) => Math.round(x * 100) / 100;

/** Agents enough for the rated load (a center staffed for its rated rate meets a surge). */
const AGENTS = Math.ceil(((RATED / speed) * 60) / 0.85);

async function startSim(clock: ScaledClock, spool: string): Promise<{ url: string; stop: () => void }> {
  const origin = clockOrigin(clock);
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(projectRoot, 'scripts/sim-server.ts'),
      ...['--speed', String(speed), '--origin', `${origin.wallMs}:${origin.virtualMs}`],
      ...['--rules', rules, '--host', '127.0.0.1', '--spool', spool, '--exit-with-stdin'],
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  process.once('exit', () => child.kill('SIGKILL'));
  const lines = createInterface({ input: child.stdout! });
  const url = await new Promise<string>((resolve, reject) => {
    lines.once('line', (line) => resolve((JSON.parse(line) as { url: string }).url));
    child.once('exit', (code) => reject(new Error(`sim-server exited (${code}) before it listened`)));
  });
  return { url, stop: () => child.kill('SIGTERM') };
}

async function step(load: number): Promise<Record<string, unknown>> {
  const rate = RATED * load;
  const calls = Math.round(rate * seconds);
  const clock = new ScaledClock(speed);
  const spool = mkdtempSync(join(tmpdir(), 'hotline-overload-spool-'));
  const sim = await startSim(clock, spool);
  const recordsPath = join(projectRoot, 'var', `bench-overload-${process.pid}-${load}.jsonl`);
  rmSync(recordsPath, { force: true });
  const rnd = new Random(Number(values.seed));
  const roster = demoRoster(plan, AGENTS, rnd);
  const apps = ['hotline-1', 'hotline-2'];
  const hotline = await startHotline({
    plan,
    ari: {
      url: sim.url,
      user: 'hotline',
      password: 'hotline',
      apps,
      maxConnections: config.ARI_MAX_CONNECTIONS,
    },
    roster,
    records: { jsonlPath: recordsPath },
    // The engine's intake reads the safety net's notes as in production (every 30 s, once at the end).
    env: { SAFETY_NET_SPOOL: spool },
    engineId: `bench-overload-${process.pid}`,
    clock,
    logger: createLogger({ level: process.env.LOG_LEVEL ?? 'error', destination: process.stderr }),
    ...(admission ? { admission } : {}),
  });
  const engine = hotline.engine;

  // Arrival: when the PBX (simulator) created the caller's channel, from its StasisStart's
  // timestamp (virtual time, shared with the simulator, mapped back to the wall clock).
  const arrivedAt = new Map<string, number>();
  const origin = clockOrigin(clock);
  const wallOf = (virtualMs: number) => origin.wallMs + (virtualMs - origin.virtualMs) / speed;
  const adapter = hotline.telephony as unknown as { onEvent: (e: Record<string, unknown>) => void };
  const onEvent = adapter.onEvent.bind(adapter);
  adapter.onEvent = (e) => {
    if (e.type === 'StasisStart' && typeof e.timestamp === 'string') {
      const id = (e.channel as { id?: string } | undefined)?.id;
      if (id && !arrivedAt.has(id)) arrivedAt.set(id, wallOf(Date.parse(e.timestamp)));
    }
    onEvent(e);
  };
  // First audio: the first request of a call the PBX took that the caller hears.
  const placedAt = new Map<string, number>();
  /** Calls the dialplan's gate sent to the safety net: answered by the PBX at arrival. */
  const shedInDialplan = new Set<string>();
  const heardAt = new Map<string, number>();
  const heard = (channel: string) => {
    if (!heardAt.has(channel)) heardAt.set(channel, Date.now());
  };
  const t = hotline.telephony as AriAdapter;
  const wrap = <K extends 'play' | 'addToBridge' | 'continueInDialplan'>(
    name: K,
    channels: (...args: Parameters<NonNullable<(typeof t)[K]>>) => string[],
  ) => {
    const original = (t[name] as (...a: unknown[]) => Promise<void>).bind(t);
    (t as unknown as Record<string, unknown>)[name] = async (...args: unknown[]) => {
      await original(...args);
      for (const ch of channels(...(args as Parameters<NonNullable<(typeof t)[K]>>))) heard(ch);
    };
  };
  wrap('play', (channel) => [channel]);
  wrap('addToBridge', (_bridge, channels) => channels);
  wrap('continueInDialplan', (channel) => [channel]);

  const traffic = new SyntheticTraffic({
    ...{ plan, sim: new HttpSimDriver(sim.url), engine, store: hotline.store, clock, rnd, apps, roster },
  });
  await traffic.staff();
  // The set-up (staffing a thousand agents) is not the load: start from a normal state.
  for (let i = 0; i < 600 && engine.admission && engine.admission.state !== 'normal'; i++) await sleep(50);
  let ended = 0;
  /** When each call ended (wall ms): a caller who hung up before hearing anything waited until then. */
  const endedAt = new Map<string, number>();
  engine.onEnded((s) => {
    ended++;
    endedAt.set(s.callerChannel, Date.now());
  });
  const states = new Map<string, number>();
  engine.admission?.onTransition((x) => states.set(x.to, (states.get(x.to) ?? 0) + 1));
  const shed0 = engine.stats.shed;
  const started0 = engine.stats.started;
  const wallStart = performance.now();
  // --trace: what admission control sees, every sample, while the load is offered (stderr).
  const trace = values.trace
    ? setInterval(() => {
        const a = engine.admission;
        if (!a) return;
        const at = Math.round(performance.now() - wallStart);
        const line = { at, state: a.state, share: a.admission.share, ...a.last, placed: traffic.placed };
        process.stderr.write(`bench:overload: trace ${JSON.stringify(line)}\n`);
      }, admission?.sampleMs ?? 250)
    : undefined;
  await new Promise<void>((resolve) => {
    let nextAt = clock.now();
    const tick = () => {
      const now = clock.now();
      while (traffic.placed < calls && nextAt <= now) {
        const at = Date.now();
        void traffic.placeCallDetailed().then((call) => {
          if (!call) return;
          if (call.shed !== undefined) shedInDialplan.add(call.channelId);
          else placedAt.set(call.channelId, at);
        });
        nextAt += rnd.exponential((1000 * speed) / rate);
      }
      if (traffic.placed >= calls) return resolve();
      clock.after(nextAt - now, tick);
    };
    tick();
  });
  const offerSeconds = (performance.now() - wallStart) / 1000;
  clearInterval(trace);
  const drainStart = performance.now();
  while (performance.now() - drainStart < 180_000) {
    const inEngine = traffic.offered - traffic.shedInDialplan;
    if (traffic.pending === 0 && ended >= inEngine && engine.commandsPending === 0) break;
    await sleep(50);
  }
  await engine.settle();
  // The safety net's notes of calls shed in the dialplan become their records.
  // (the simulator writes them off its thread: wait until each shed call's note is in done/).
  const count = (dir: string) => readdirSync(dir).filter((n) => n.endsWith('.txt')).length;
  const done = () => (existsSync(join(spool, 'done')) ? count(join(spool, 'done')) : 0);
  for (const until = performance.now() + 30_000; performance.now() < until; ) {
    await hotline.safetyNet.scan();
    if (count(spool) === 0 && done() >= shedInDialplan.size) break;
    await sleep(100);
  }
  const notesLeft = count(spool);
  const shedByEngine = engine.stats.shed - shed0;
  const shed = shedByEngine + shedInDialplan.size;
  const started = engine.stats.started - started0;
  const lag = engine.admission?.lag();
  await hotline.close();
  sim.stop();
  rmSync(spool, { recursive: true, force: true });

  const firstAudio = createHistogram();
  const placing = createHistogram();
  let unheard = 0;
  for (const [ch, placed] of placedAt) {
    const arrived = arrivedAt.get(ch);
    const h = heardAt.get(ch);
    if (arrived !== undefined) placing.record(Math.max(1, Math.round((arrived - placed) * 1000)));
    if (arrived === undefined) {
      unheard++;
      continue;
    }
    // Never heard anything (hung up first): counted with the time it waited in silence.
    const until = h ?? endedAt.get(ch);
    if (h === undefined) unheard++;
    if (until !== undefined) firstAudio.record(Math.max(1, Math.round((until - arrived) * 1000)));
  }
  for (let i = 0; i < shedInDialplan.size; i++) firstAudio.record(1);
  const records = readFileSync(recordsPath, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as CallRecord);
  rmSync(recordsPath, { force: true });
  const shedRecords = records.filter((r) => r.disposition === 'shed');
  const shedRecordsWithReason = shedRecords.filter((r) => typeof r.shedReason === 'string').length;
  const shedByReason: Record<string, number> = {};
  for (const r of shedRecords)
    shedByReason[r.shedReason ?? '?'] = (shedByReason[r.shedReason ?? '?'] ?? 0) + 1;
  const ids = new Set(records.map((r) => r.callId));
  const ms = (q: number) => (firstAudio.count ? r2(firstAudio.percentile(q) / 1000) : 0);
  const p99 = ms(99);
  const ok =
    records.length === traffic.offered &&
    ids.size === records.length &&
    shedRecords.length === shed &&
    shedRecordsWithReason === shed &&
    (load <= 1 ? shed === 0 : p99 <= 2000);
  return {
    load,
    rate,
    calls,
    offered: traffic.offered,
    servedByEngine: started - shedByEngine,
    shed,
    shedInDialplan: shedInDialplan.size,
    shedByEngine,
    shedByReason,
    notesLeft,
    firstAudioMsP50: ms(50),
    firstAudioMsP99: p99,
    firstAudioMsMax: firstAudio.count ? r2(firstAudio.max / 1000) : 0,
    // Callers who hung up before the first audio (counted above with their silent wait).
    callersNeverHeard: unheard,
    // Before arrival, not counted in first audio: placing the call (traffic generator to simulator).
    placingMsP50: placing.count ? r2(placing.percentile(50) / 1000) : 0,
    placingMsP99: placing.count ? r2(placing.percentile(99) / 1000) : 0,
    records: records.length,
    recordsExpected: traffic.offered,
    shedRecords: shedRecords.length,
    shedRecordsWithReason,
    admissionTransitions: Object.fromEntries(states),
    engineLagMs: lag,
    offeredPerSecond: r2(traffic.offered / offerSeconds),
    simErrors: traffic.errors,
    agents: AGENTS,
    speed,
    ok,
  };
}

log(
  `loads ${loads.join(', ')}× of ${RATED}/s, ${seconds} s each, ${AGENTS} agents, admission ${admission ? 'on' : 'OFF'}`,
);
let allOk = true;
for (const load of loads) {
  const result = await step(load);
  allOk &&= result.ok === true;
  console.log(JSON.stringify(result));
}
process.exitCode = allOk ? 0 : 1;
