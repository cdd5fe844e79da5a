/**
 * The engine on a real Asterisk 22 against app_queue, in the end-to-end lab (test/asterisk/lab):
 * the project's own dialplan/ rendered into a temp dir, Asterisk 22.10.1 on a loopback address,
 * a private Redis, `hotline serve`, SIPp as the carrier and as every agent's softphone.
 *
 *   npm run bench:asterisk [-- --quick]
 *
 * 1. Time to ring: carrier INVITE sent → agent INVITE received, both from SIPp's own message
 *    timestamps (-trace_msg, one host, one clock), matched on the caller's number (unique per
 *    call; Asterisk puts it in the agent leg's From on both paths). Calls alternate between the
 *    engine (lab line 12345: straight to pool `general`, no prompt) and `Answer(,i)` +
 *    `Queue()` of every agent (ringinuse=no), a bench-only extension and queue added to the
 *    lab's copy of the config. ~5 calls/s.
 * 2. Load steps (20…100 new calls/s, 20 s each, per path): agents answer at once, the caller
 *    hangs up 0.5 s after its answer. Offered = calls the carrier placed, connected = agent legs
 *    answered and acknowledged, retransmissions = every retransmission SIPp sent or received on
 *    either side (its per-message counts), CPU ms per offered call from /proc/<pid>/stat
 *    (utime + stime) of Asterisk and of `hotline serve` over the step and its drain. A step
 *    whose calls stop connecting is cut short; higher steps of that path are then skipped.
 *
 * 3. ARI traffic per call: events Asterisk sends the engine's apps and requests it receives, by
 *    type, for 10 calls of each path (Asterisk's `ari set debug all on`, outside the timed runs).
 *
 * Prints one JSON line per measurement on stdout (progress on stderr), then the ratio line.
 * Figures, not assertions: the goals are reported next to them.
 * --quick: 40 calls to time, steps of 20 and 40 calls/s for 5 s each. --rates, --step-seconds,
 * --ring-calls and --paths change one part (bounded: at most 200 calls/s, 60 s a step).
 */

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  addBenchQueue,
  agentsOn,
  BENCH_QUEUE_NUMBER,
  contactsOn,
  readyAll,
  readyCount,
  waitAgentsReady,
} from '../test/asterisk/bench/bench-lab.ts';
import { childrenMatching, cpuMs, ioBytes, loadAverage } from '../test/asterisk/bench/proc.ts';
import {
  fromUser,
  killAllLoadSipp,
  type LoadSippRun,
  parseTimedMessages,
  requestUser,
  startLoadSipp,
  stepCount,
  sumCounts,
} from '../test/asterisk/bench/sipp-load.ts';
import { APPS as APPS_OF_ENGINE, ENGINE_ROOT, startLab } from '../test/asterisk/lab/lab.ts';
import { killAllSipp } from '../test/asterisk/lab/sipp.ts';

type Path = 'engine' | 'app_queue';

const USAGE = `usage: npm run bench:asterisk [-- --quick] [--rates 20,40,…] [--step-seconds N] [--ring-calls N] [--paths engine,app_queue]`;
const args = process.argv.slice(2);
let quick = false;
const opts: { rates?: number[]; stepSeconds?: number; ringCalls?: number; paths?: Path[] } = {};
for (let i = 0; i < args.length; i++) {
  const a = args[i]!;
  const value = () => {
    const v = args[++i];
    if (v === undefined) usage(`${a} needs a value`);
    return v!;
  };
  const int = (v: string, min: number, max: number) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) usage(`${a} ${v}: an integer from ${min} to ${max}`);
    return n;
  };
  if (a === '--quick') quick = true;
  else if (a === '--rates')
    opts.rates = value()
      .split(',')
      .map((r) => int(r, 1, 200));
  else if (a === '--step-seconds') opts.stepSeconds = int(value(), 1, 60);
  else if (a === '--ring-calls') opts.ringCalls = int(value(), 2, 2000);
  else if (a === '--paths') {
    opts.paths = value()
      .split(',')
      .map((p) =>
        p === 'engine' || p === 'app_queue' ? p : usage(`--paths: engine or app_queue, not ${p}`),
      );
  } else usage(`unknown argument ${a}`);
}
function usage(problem: string): never {
  console.error(`bench-asterisk: ${problem}\n${USAGE}`);
  process.exit(2);
}

const AGENTS = 400;
const ENGINE_NUMBER = '12345';
const WRAP_UP_SECONDS = 2; // the lab plan's pool `general`; the bench queue gets the same
const RING_CALLS = opts.ringCalls ?? (quick ? 40 : 400); // both paths together, interleaved
const RING_RATE = 5;
/** Calls placed before the timing run, half per path, not measured. */
const WARMUP_CALLS = 20;
/** Calls per path whose ARI traffic is counted (Asterisk's ARI debug dump). */
const ARI_AUDIT_CALLS = 10;
const TALK_MS = 500;
const STEP_RATES = opts.rates ?? (quick ? [20, 40] : [20, 40, 60, 80, 100]);
const STEP_SECONDS = opts.stepSeconds ?? (quick ? 5 : 20);
const STEP_PATHS: Path[] = opts.paths ?? ['engine', 'app_queue'];
const DIALED: Record<Path, string> = { engine: ENGINE_NUMBER, app_queue: BENCH_QUEUE_NUMBER };
/** How long a run's calls may take to end once the carrier is done. */
const DRAIN_MS = 30_000;

const log = (msg: string) => process.stderr.write(`[bench-asterisk ${new Date().toISOString()}] ${msg}\n`);
const emit = (o: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(o)}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

let callerSeq = 0;
/** A caller number unique in the run: it names the call on both sides. */
const nextCaller = () => `139${String(++callerSeq).padStart(8, '0')}`;

function percentile(sorted: number[], p: number): number | null {
  if (!sorted.length) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

async function main(): Promise<void> {
  const t0 = Date.now();
  // The lab's temp dir under a root of the bench's own (os.tmpdir() reads TMPDIR at each call):
  // other work on the machine sweeps /tmp/hotline-lab-* directories.
  const root = mkdtempSync(join(tmpdir(), 'hotline-bench-asterisk-'));
  process.env.TMPDIR = root;
  log(`load average ${loadAverage().join(' ')}; starting the lab (${AGENTS} agents) under ${root}`);
  const lab = await startLab({
    agents: Array.from({ length: AGENTS }, (_, i) => ({ id: `agent${3001 + i}` })),
  }).catch((err: unknown) => {
    rmSync(root, { recursive: true, force: true });
    throw err;
  });
  const stopAll = async () => {
    killAllLoadSipp();
    killAllSipp();
    await lab.stop();
    if (!process.env.HOTLINE_LAB_KEEP) rmSync(root, { recursive: true, force: true });
  };
  process.once('SIGINT', () => {
    void stopAll().then(() => process.exit(130));
  });
  try {
    await addBenchQueue(lab, { wrapUpSeconds: WRAP_UP_SECONDS });
    // info, the deployed default (the lab's own default is debug, for the suite's diagnostics)
    await lab.startEngine({ LOG_LEVEL: 'info' });
    const [asteriskPid] = childrenMatching(process.pid, /sbin\/asterisk .*-f/);
    const [enginePid] = childrenMatching(process.pid, /hotline\.js serve/);
    if (!asteriskPid || !enginePid) throw new Error(`pids: asterisk ${asteriskPid}, engine ${enginePid}`);
    log(`asterisk pid ${asteriskPid}, engine pid ${enginePid}`);

    // Every agent's softphone on one address; each run (the timing run, every step) registers
    // them afresh from the other of two addresses (the endpoints rewrite the contact to the
    // REGISTER's source, and a registration lasts at most 300 s), and only then is the previous
    // answerer stopped: no contact is ever left without one.
    const net = lab.ip.replace(/\.\d+$/, '');
    const addresses = [`${net}.5`, `${net}.6`];
    let current: LoadSippRun | undefined;
    let phase = 0;
    const agentsFor = async (name: string, traceMessages: boolean, seconds: number): Promise<LoadSippRun> => {
      const ip = addresses[phase++ % 2]!;
      const next = await agentsOn(lab, ip, {
        expiresSeconds: 300,
        timeoutSeconds: Math.min(290, Math.ceil(seconds)),
        traceMessages,
        name: `${name}`,
      });
      await sleep(300);
      if (
        next.pid <= 0 ||
        (await Promise.race([next.exited.then(() => true), sleep(200).then(() => false)]))
      ) {
        throw new Error(`the agents' SIPp on ${ip} did not start\n${next.output()}`);
      }
      const previous = current;
      current = next;
      await previous?.stop(2000);
      const deadline = Date.now() + 30_000;
      let n = await contactsOn(lab, ip);
      while (n < AGENTS && Date.now() < deadline) {
        await sleep(500);
        n = await contactsOn(lab, ip);
      }
      if (n < AGENTS) log(`warning: only ${n}/${AGENTS} contacts on ${ip} are reachable`);
      return next;
    };

    /** What the engine's apps are subscribed to in Asterisk (`ari show app`), by kind. */
    const subscriptions = async () => {
      const apps: Record<string, Record<string, number>> = {};
      for (const app of APPS_OF_ENGINE) {
        const shown = await lab.rx(`ari show app ${app}`).catch((e: Error) => e.message);
        const kinds: Record<string, number> = {};
        let section: string | undefined;
        for (const line of shown.split('\n')) {
          const head = /^ {4}(\S[^:]*):\s*$/.exec(line);
          if (head) {
            section = head[1]!.toLowerCase();
            kinds[section] = 0;
          } else if (section && /^ {6}\S/.test(line)) kinds[section]!++;
        }
        apps[app] = kinds;
      }
      return apps;
    };

    // --- 1. time to ring ------------------------------------------------------------------
    const ringSeconds = RING_CALLS / RING_RATE + 30;
    const agentsRing = await agentsFor('ring', true, ringSeconds + 150);
    await readyAll(lab);
    log(`${AGENTS} agents registered, logged in and ready`);
    // Idle baseline (every agent logged in, no call yet): what each process burns anyway. An app
    // subscribed to endpoints (endpoint:PJSIP) would get events for every call on the box.
    const idleSeconds = quick ? 10 : 30;
    const idle0 = { ast: cpuMs(asteriskPid), eng: cpuMs(enginePid), at: Date.now() };
    await sleep(idleSeconds * 1000);
    const idleWall = (Date.now() - idle0.at) / 1000;
    const idleRate = {
      ast: (cpuMs(asteriskPid) - idle0.ast) / idleWall,
      eng: (cpuMs(enginePid) - idle0.eng) / idleWall,
    };
    emit({
      idle: {
        seconds: round(idleWall, 1),
        engineCpuPct: round(idleRate.eng / 10, 2),
        asteriskCpuPct: round(idleRate.ast / 10, 2),
      },
      subscriptionsWithNoCall: await subscriptions(),
      agents: AGENTS,
      engineTree: engineTree(),
      loadAvg: loadAverage(),
    });
    // Warm-up, not measured: the first calls of a fresh engine and Asterisk are slower (code
    // not yet optimised, pools and caches empty).
    const warmupCallers = new Set<string>();
    const warmup = startLoadSipp({
      scenario: 'bench-carrier.xml',
      name: 'warmup-carrier',
      dir: lab.dir,
      localIp: lab.carrierIp,
      localPort: 5060,
      remote: `${lab.ip}:${lab.sipPort}`,
      vars: { ANSWER_WITHIN_MS: 8000, TALK_MS },
      inject: [
        'SEQUENTIAL',
        ...Array.from({ length: WARMUP_CALLS }, (_, i) => {
          const caller = nextCaller();
          warmupCallers.add(caller);
          return `${i % 2 ? BENCH_QUEUE_NUMBER : ENGINE_NUMBER};${caller}`;
        }),
      ],
      rate: RING_RATE * 2,
      calls: WARMUP_CALLS,
      limit: 50,
      timeoutSeconds: 60,
    });
    await warmup.exited;
    await sleep(3000);
    log(
      `warm-up: ${warmup.stats()?.['SuccessfulCall(C)']} of ${WARMUP_CALLS} calls; timing ${RING_CALLS} calls at ${RING_RATE}/s`,
    );
    const ringCalls: { path: Path; caller: string }[] = [];
    for (let i = 0; i < RING_CALLS; i++) {
      ringCalls.push({ path: i % 2 === 0 ? 'engine' : 'app_queue', caller: nextCaller() });
    }
    const pathOf = new Map(ringCalls.map((c) => [c.caller, c.path]));
    const cpuRing = { ast: cpuMs(asteriskPid), eng: cpuMs(enginePid) };
    const carrier = startLoadSipp({
      scenario: 'bench-carrier.xml',
      name: 'ring-carrier',
      dir: lab.dir,
      localIp: lab.carrierIp,
      localPort: 5060,
      remote: `${lab.ip}:${lab.sipPort}`,
      vars: { ANSWER_WITHIN_MS: 8000, TALK_MS },
      inject: ['SEQUENTIAL', ...ringCalls.map((c) => `${DIALED[c.path]};${c.caller}`)],
      rate: RING_RATE,
      calls: RING_CALLS,
      limit: 50,
      traceMessages: true,
      timeoutSeconds: Math.ceil(ringSeconds),
    });
    await carrier.exited;
    await drain(lab);
    await sleep(1200);
    const cpuRingMs = { ast: cpuMs(asteriskPid) - cpuRing.ast, eng: cpuMs(enginePid) - cpuRing.eng };
    const sentAt = new Map<string, number>();
    for (const m of parseTimedMessages(carrier.messageLog())) {
      if (m.direction !== 'sent' || m.method !== 'INVITE') continue;
      const caller = fromUser(m);
      if (caller && !sentAt.has(caller)) sentAt.set(caller, m.at);
    }
    const rangAt = new Map<string, { at: number; agent: string | undefined }>();
    for (const m of parseTimedMessages(agentsRing.messageLog())) {
      if (m.direction !== 'received' || m.method !== 'INVITE') continue;
      const caller = fromUser(m);
      if (caller && !rangAt.has(caller)) rangAt.set(caller, { at: m.at, agent: requestUser(m) });
    }
    const carrierStats = carrier.stats();
    const p50: Partial<Record<Path, number | null>> = {};
    for (const path of ['engine', 'app_queue'] as const) {
      const mine = ringCalls.filter((c) => c.path === path);
      const ms: number[] = [];
      const agentsRung = new Set<string>();
      for (const c of mine) {
        const s = sentAt.get(c.caller);
        const r = rangAt.get(c.caller);
        if (s === undefined || r === undefined) continue;
        ms.push(r.at - s);
        if (r.agent) agentsRung.add(r.agent);
      }
      ms.sort((a, b) => a - b);
      p50[path] = percentile(ms, 50);
      emit({
        path,
        calls: mine.length,
        placed: mine.filter((c) => sentAt.has(c.caller)).length,
        rang: ms.length,
        distinctAgents: agentsRung.size,
        ringMsP50: nullableRound(percentile(ms, 50)),
        ringMsP90: nullableRound(percentile(ms, 90)),
        ringMsP99: nullableRound(percentile(ms, 99)),
        ringMsMax: nullableRound(ms.length ? ms[ms.length - 1]! : null),
        rate: RING_RATE,
        interleaved: true,
        loadAvg: loadAverage(),
      });
    }
    emit({ subscriptionsAfterTimingRun: await subscriptions(), loadAvg: loadAverage() });
    const strays = [...rangAt.keys()].filter((k) => !pathOf.has(k) && !warmupCallers.has(k)).length;
    log(
      `timing run: carrier ${carrierStats?.['SuccessfulCall(C)']} ok / ${carrierStats?.['FailedCall(C)']} failed; ` +
        `${strays} agent INVITEs not matched; CPU over the run (both paths) Asterisk ${round(cpuRingMs.ast)} ms, ` +
        `engine ${round(cpuRingMs.eng)} ms`,
    );

    // --- 2. load steps ----------------------------------------------------------------------
    const steps: Record<string, unknown>[] = [];
    for (const path of STEP_PATHS) {
      let collapsed = false;
      for (const rate of STEP_RATES) {
        if (collapsed) {
          emit({ path, rate, skipped: 'a lower step collapsed' });
          continue;
        }
        const uas = await agentsFor(`step-${path}-${rate}`, false, STEP_SECONDS + 120);
        // every agent back from wrap-up (or from a leaked call, once the engine reconciles) and seen
        // reachable by the engine, so each step starts with the whole pool (bounded)
        const ready = await waitAgentsReady(lab, AGENTS, 60_000).then(
          () => AGENTS,
          async (e: Error) => {
            const now = await readyCount(lab);
            log(`warning: ${e.message}`);
            return now.ready;
          },
        );
        const r = await step(path, rate, uas);
        r.agentsReadyAtStart = ready;
        steps.push(r);
        emit(r);
        collapsed = r.collapsed === true;
      }
    }

    // --- 3. ARI traffic per call -------------------------------------------------------------
    // Asterisk's own ARI debug (`ari set debug all on`) writes every event it sends to an app and
    // every request it receives to its console: counted here for a few calls of each path, apart
    // from the timed runs (the debug output costs Asterisk CPU). Only counts leave the lab (the
    // dump holds the ARI credentials).
    for (const path of ['engine', 'app_queue'] as const) {
      await agentsFor(`ari-${path}`, false, 150);
      await waitAgentsReady(lab, AGENTS, 60_000).catch((e: Error) => log(`warning: ${e.message}`));
      await lab.rx('ari set debug all on');
      const from = lab.asteriskLog().length;
      const uac = startLoadSipp({
        scenario: 'bench-carrier.xml',
        name: `ari-${path}`,
        dir: lab.dir,
        localIp: lab.carrierIp,
        localPort: 5060,
        remote: `${lab.ip}:${lab.sipPort}`,
        vars: { ANSWER_WITHIN_MS: 8000, TALK_MS },
        inject: [
          'SEQUENTIAL',
          ...Array.from({ length: ARI_AUDIT_CALLS }, () => `${DIALED[path]};${nextCaller()}`),
        ],
        rate: 2,
        calls: ARI_AUDIT_CALLS,
        limit: 20,
        timeoutSeconds: 60,
      });
      await uac.exited;
      const left = await drain(lab);
      await lab.rx('ari set debug all off');
      const dump = lab.asteriskLog().slice(from);
      const events: Record<string, number> = {};
      const requests: Record<string, number> = {};
      let nEvents = 0;
      let nRequests = 0;
      const lines = dump.split('\n');
      lines.forEach((line, i) => {
        if (line.startsWith('<--- Sending ARI event to')) {
          nEvents++;
          // the event's JSON follows, up to the next dump header (other output may come between)
          const next = lines.findIndex((l, j) => j > i && l.startsWith('<---'));
          const body = lines.slice(i + 1, next < 0 ? i + 40 : Math.min(next, i + 40)).join('\n');
          const type = /"type"\s*:\s*"(\w+)"/.exec(body)?.[1] ?? 'unparsed';
          events[type] = (events[type] ?? 0) + 1;
        } else if (line.startsWith('<--- ARI request received from')) {
          nRequests++;
          const req = (lines[i + 1] ?? '')
            .trim()
            .split(/\s+/)
            .slice(0, 2)
            .join(' ')
            .replace(/\/[0-9][\w.-]*/g, '/:id');
          requests[req] = (requests[req] ?? 0) + 1;
        }
      });
      const calls = Number(uac.stats()?.['OutgoingCall(C)'] ?? 0) || ARI_AUDIT_CALLS;
      const perCall = (m: Record<string, number>) =>
        Object.fromEntries(
          Object.entries(m)
            .sort((a, b) => b[1] - a[1])
            .map(([k, v]) => [k, round(v / calls)]),
        );
      emit({
        ariPerCall: path,
        calls,
        eventsPerCall: round(nEvents / calls),
        requestsPerCall: round(nRequests / calls),
        events: perCall(events),
        requests: perCall(requests),
        channelsLeftAfterDrain: left,
        loadAvg: loadAverage(),
      });
    }

    async function step(path: Path, rate: number, uas: LoadSippRun): Promise<Record<string, unknown>> {
      const total = rate * STEP_SECONDS;
      const ast0 = cpuMs(asteriskPid!);
      const eng0 = cpuMs(enginePid!);
      const io0 = ioBytes(enginePid!);
      const uas0 = uas.counts();
      const started = Date.now();
      const uac = startLoadSipp({
        scenario: 'bench-carrier.xml',
        name: `step-${path}-${rate}`,
        dir: lab.dir,
        localIp: lab.carrierIp,
        localPort: 5060,
        remote: `${lab.ip}:${lab.sipPort}`,
        vars: { ANSWER_WITHIN_MS: 8000, TALK_MS },
        inject: ['SEQUENTIAL', ...Array.from({ length: total }, () => `${DIALED[path]};${nextCaller()}`)],
        rate,
        calls: total,
        limit: rate * 10,
        timeoutSeconds: STEP_SECONDS + 40,
      });
      // Watch every second: a step whose calls stop connecting is cut short.
      let collapsed = false;
      let stopReason: string | undefined;
      for (;;) {
        const done = await Promise.race([uac.exited.then(() => true), sleep(1000).then(() => false)]);
        if (done) break;
        const elapsed = (Date.now() - started) / 1000;
        const created = Number(uac.stats()?.['OutgoingCall(C)'] ?? 0);
        const connected = stepCount(uas.counts(), 'ACK', 'Recv') - stepCount(uas0, 'ACK', 'Recv');
        if (elapsed >= 5 && created >= rate * 3 && connected < 0.5 * (created - 2 * rate)) {
          collapsed = true;
          stopReason = `after ${round(elapsed, 1)} s: ${connected} connected of ${created} placed`;
          log(`${path} at ${rate}/s collapses ${stopReason}: stopping the step`);
          await uac.stop(15_000);
          break;
        }
        if (elapsed > STEP_SECONDS + 35) {
          stopReason = `still running after ${round(elapsed, 1)} s`;
          await uac.stop(5000);
          break;
        }
      }
      await uac.exited;
      const placedFor = (Date.now() - started) / 1000;
      const left = await drain(lab);
      await sleep(1200); // the agents' SIPp dumps its counts every second
      const astMs = cpuMs(asteriskPid!) - ast0;
      const engMs = cpuMs(enginePid!) - eng0;
      const io1 = ioBytes(enginePid!);
      const wall = (Date.now() - started) / 1000;
      const stats = uac.stats();
      const uas1 = uas.counts();
      const offered = Number(stats?.['OutgoingCall(C)'] ?? 0);
      const connected = stepCount(uas1, 'ACK', 'Recv') - stepCount(uas0, 'ACK', 'Recv');
      const rang = stepCount(uas1, 'INVITE', 'Recv') - stepCount(uas0, 'INVITE', 'Recv');
      const retrans = {
        carrier: sumCounts(uac.counts(), 'Retrans'),
        agents: sumCounts(uas1, 'Retrans') - sumCounts(uas0, 'Retrans'),
      };
      const r: Record<string, unknown> = {
        path,
        rate,
        seconds: STEP_SECONDS,
        offered,
        rang,
        connected,
        callerFailed: Number(stats?.['FailedCall(C)'] ?? 0),
        retransmissions: retrans.carrier + retrans.agents,
        retransmissionsBySide: retrans,
        timeouts:
          sumCounts(uac.counts(), 'Timeout') + sumCounts(uas1, 'Timeout') - sumCounts(uas0, 'Timeout'),
        unexpected: sumCounts(uac.counts(), 'Unexp') + sumCounts(uas1, 'Unexp') - sumCounts(uas0, 'Unexp'),
        engineCpuMsPerCall: offered ? round(engMs / offered) : null,
        asteriskCpuMsPerCall: offered ? round(astMs / offered) : null,
        // per call that reached an agent: the fairer figure when not every offered call did
        engineCpuMsPerConnectedCall: connected ? round(engMs / connected) : null,
        asteriskCpuMsPerConnectedCall: connected ? round(astMs / connected) : null,
        // the same less the idle baseline over the step's wall time (placing, drain, dumps)
        engineCpuMsPerCallOverIdle: offered ? round((engMs - idleRate.eng * wall) / offered) : null,
        asteriskCpuMsPerCallOverIdle: offered ? round((astMs - idleRate.ast * wall) / offered) : null,
        engineCpuPct: round((engMs / 1000 / wall) * 100, 1),
        asteriskCpuPct: round((astMs / 1000 / wall) * 100, 1),
        engineKbReadPerCall: offered ? round((io1.read - io0.read) / 1024 / offered) : null,
        engineKbWrittenPerCall: offered ? round((io1.written - io0.written) / 1024 / offered) : null,
        channelsLeftAfterDrain: left,
        stepWallSeconds: round(wall, 1),
        placingSeconds: round(placedFor, 1),
        clean:
          !collapsed && offered === total && connected === offered && retrans.carrier + retrans.agents === 0,
        collapsed,
        loadAvg: loadAverage(),
      };
      if (stopReason) r.stopped = stopReason;
      return r;
    }

    // --- ratio and goals -------------------------------------------------------------------
    const ratio = p50.engine != null && p50.app_queue ? round(p50.engine / p50.app_queue) : null;
    const at = (rate: number, path: Path) => steps.find((s) => s.rate === rate && s.path === path);
    const cleanTo = (path: Path) => {
      let best = 0;
      for (const rate of STEP_RATES) {
        if (at(rate, path)?.clean === true) best = rate;
        else break;
      }
      return best;
    };
    const leftOf = (path: Path) =>
      steps
        .filter((s) => s.path === path)
        .reduce((n, s) => {
          const left = s.channelsLeftAfterDrain as Record<string, number> | 0;
          return n + (left ? Object.values(left).reduce((a, b) => a + b, 0) : 0);
        }, 0);
    emit({
      ratioEngineToAppQueueP50: ratio,
      engineRingMsP50: nullableRound(p50.engine ?? null),
      appQueueRingMsP50: nullableRound(p50.app_queue ?? null),
      cleanToRate: { engine: cleanTo('engine'), app_queue: cleanTo('app_queue') },
      engineCpuMsPerCallAt40: at(40, 'engine')?.engineCpuMsPerCall ?? null,
      engineCpuMsPerConnectedCallAt40: at(40, 'engine')?.engineCpuMsPerConnectedCall ?? null,
      engineCpuMsPerCallForAppQueueAt40: at(40, 'app_queue')?.engineCpuMsPerCall ?? null,
      // channels still up when a step's drain gave up waiting (leaked or very late to end)
      channelsLeftAfterSteps: {
        engine: leftOf('engine'),
        app_queue: leftOf('app_queue'),
      },
      goals: { ratioP50: '<= 1.3', cleanToRate: '>= 90', engineCpuMsPerCallAt40: '<= 5' },
      quick,
      loadAvg: loadAverage(),
      minutes: round((Date.now() - t0) / 60_000, 1),
    });
  } finally {
    await stopAll();
  }
}

/** Which engine was measured: the checkout's commit and how many files under src/ differ from it. */
function engineTree(): { head: string; srcFilesChanged: number } | string {
  try {
    const git = (...a: string[]) => execFileSync('git', a, { cwd: ENGINE_ROOT, encoding: 'utf8' });
    const head = git('rev-parse', '--short', 'HEAD').trim();
    const changed = git('status', '--porcelain', '--', 'src')
      .split('\n')
      .filter((l) => l.trim()).length;
    return { head, srcFilesChanged: changed };
  } catch (err) {
    return `unknown (${(err as Error).message.split('\n')[0]})`;
  }
}

function nullableRound(x: number | null): number | null {
  return x === null ? null : round(x);
}

/**
 * Waits (bounded) until Asterisk holds no channel: the calls of a run have all ended. Returns
 * how many were still up at the limit (0: drained), by technology and state. Asks the CLI, not
 * ARI, so that its polling is not counted as the engine's ARI traffic.
 */
async function drain(lab: Awaited<ReturnType<typeof startLab>>): Promise<Record<string, number> | 0> {
  const deadline = Date.now() + DRAIN_MS;
  for (;;) {
    const shown = await lab.rx('core show channels concise').catch(() => undefined);
    // channel!context!exten!priority!state!application!data!…
    const channels = (shown ?? '')
      .split('\n')
      .filter((l) => l.includes('!'))
      .map((l) => l.split('!'));
    if (shown !== undefined && channels.length === 0) return 0;
    if (Date.now() > deadline) {
      const kinds: Record<string, number> = {};
      for (const c of channels) {
        // PJSIP/agent3001-0000002a → PJSIP/agent
        const k = `${(c[0] ?? '').replace(/-[0-9a-f]+$/, '').replace(/\d+$/, '')} ${c[4] ?? ''}`;
        kinds[k] = (kinds[k] ?? 0) + 1;
      }
      log(
        `warning: ${channels.length} channels still up ${DRAIN_MS / 1000} s after the run: ${JSON.stringify(kinds)}`,
      );
      return kinds;
    }
    await sleep(500);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exit(1);
  },
);
