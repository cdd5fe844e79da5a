/**
 * Engine benchmark: call setups per second, event-to-action latency and heap per live call.
 *
 * The ARI simulator runs in a child process (so its CPU and heap are not the engine's); the
 * engine drives it through the real ari-client and its REST pool, with the in-memory ACD.
 * The plan is the bare router path: answer → queue → ring an agent → bridge (no prompts), the
 * path measured against app_queue on a real Asterisk.
 *
 *   node --import tsx scripts/bench-engine.ts            (npm run bench:engine)
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { startHotline } from '../src/app.ts';
import type { CallState } from '../src/calls/core/types.ts';
import { systemClock } from '../src/clock.ts';
import { createLogger } from '../src/log.ts';
import { loadPlan } from '../src/plan/load.ts';
import type { CallRecord, RecordSink } from '../src/records/record.ts';

type Command =
  | { op: 'agents'; count: number; answerAfterMs: number; talkMs: number }
  | { op: 'calls'; rate: number; count: number }
  | { op: 'hangup-all' }
  | { op: 'stats' };

async function child(): Promise<void> {
  const { startAriSimulator } = await import('../src/sim/index.ts');
  const sim = await startAriSimulator({ logger: createLogger({ level: 'silent' }), defaultPlaybackMs: 50 });
  console.log(`READY ${sim.url}`);
  let n = 0;
  for await (const line of createInterface({ input: process.stdin })) {
    const cmd = JSON.parse(line) as Command;
    if (cmd.op === 'agents') {
      for (let i = 0; i < cmd.count; i++) {
        sim.setEndpoint(`PJSIP/bench${i}`, {
          behaviour: 'answer',
          answerAfterMs: cmd.answerAfterMs,
          hangupAfterMs: cmd.talkMs,
          online: true,
        });
      }
      console.log('DONE');
    } else if (cmd.op === 'calls') {
      const t0 = Date.now();
      let sent = 0;
      await new Promise<void>((resolve) => {
        const tick = setInterval(() => {
          const due = Math.min(cmd.count, Math.floor(((Date.now() - t0) / 1000) * cmd.rate));
          for (; sent < due; sent++, n++) {
            sim.injectCall({
              app: 'bench',
              dialed: '12345',
              callerNumber: `139${String(n).padStart(8, '0')}`,
            });
          }
          if (sent >= cmd.count) {
            clearInterval(tick);
            resolve();
          }
        }, 5);
      });
      console.log('DONE');
    } else if (cmd.op === 'hangup-all') {
      for (const ch of sim.channels()) sim.hangup(ch.id);
      console.log('DONE');
    } else {
      console.log(`STATS ${JSON.stringify(sim.stats())}`);
    }
  }
}

function benchPlan(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hotline-bench-'));
  mkdirSync(join(dir, 'prompts'));
  writeFileSync(join(dir, 'prompts/manifest.yaml'), 'prompts:\n  - { id: ticket-created, text: 工单 }\n');
  writeFileSync(
    join(dir, 'plan.yaml'),
    `center: { id: bench, name: bench, timezone: Asia/Shanghai, prompts: prompts/manifest.yaml, fallback: { goto: ticket } }
pools:
  - { id: bench, name: bench, queue: { strategy: longest-idle, wrapUpSeconds: 0, maxWaitSeconds: 600, announceEverySeconds: 0, ringSeconds: 30 } }
lines:
  - { id: main, number: "12345", name: bench, mode: main, department: bench, topic: general, route: { goto: "pool:bench" } }
`,
  );
  return dir;
}

const pct = (xs: number[], p: number) => {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const r2 = (x: number) => Math.round(x * 100) / 100;

async function parent(): Promise<void> {
  const proc: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', new URL(import.meta.url).pathname, '--child'],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const lines = createInterface({ input: proc.stdout! })[Symbol.asyncIterator]();
  const readLine = async () => (await lines.next()).value as string;
  const send = async (cmd: Command) => {
    proc.stdin!.write(`${JSON.stringify(cmd)}\n`);
    return readLine();
  };
  const url = (await readLine()).replace('READY ', '');

  const agents = 1300;
  const planDir = benchPlan();
  const { plan } = loadPlan(planDir);
  // The plan is compiled: its folder is not needed any more.
  rmSync(planDir, { recursive: true, force: true });
  const latencies: number[] = [];
  const records: RecordSink = { write: async (_r: CallRecord) => undefined, close: async () => undefined };
  const logger = createLogger({ level: 'error' });
  const hotline = await startHotline({
    plan,
    ari: { url, user: 'hotline', password: 'hotline', apps: ['bench'], maxConnections: 32 },
    roster: Array.from({ length: agents }, (_, i) => ({
      id: `b${i}`,
      name: `b${i}`,
      endpoint: `PJSIP/bench${i}`,
      pools: ['bench'],
      skills: { general: 5 },
    })),
    records,
    engineId: 'bench',
    clock: systemClock,
    logger,
    onActionLatency: (ms) => latencies.push(ms),
  });
  const arrivedAt = new Map<string, number>();
  const setup: number[] = [];
  let talking = 0;
  hotline.engine.onStage((s: CallState) => {
    if (s.stage === 'ivr' || (s.stage === 'queued' && !arrivedAt.has(s.id)))
      arrivedAt.set(s.id, performance.now());
    if (s.stage === 'talking') {
      talking++;
      const t = arrivedAt.get(s.id);
      if (t !== undefined) setup.push(performance.now() - t);
      arrivedAt.delete(s.id);
    }
  });
  const readyAll = async () => {
    for (let i = 0; i < agents; i++) {
      const a = await hotline.store.getAgent(`b${i}`);
      if (a?.status.state === 'logged-out') await hotline.store.login(`b${i}`, `PJSIP/bench${i}`);
      else if (a?.status.state === 'not-ready') await hotline.store.ready(`b${i}`);
    }
  };
  await readyAll();

  const results: Record<string, unknown>[] = [];
  for (const phase of [
    { name: '100 concurrent', rate: 100, seconds: 8, talkMs: 900 },
    { name: '1000 concurrent', rate: 300, seconds: 8, talkMs: 3200 },
  ]) {
    await send({ op: 'agents', count: agents, answerAfterMs: 0, talkMs: phase.talkMs });
    latencies.length = 0;
    setup.length = 0;
    talking = 0;
    let peak = 0;
    const sampler = setInterval(() => {
      peak = Math.max(peak, hotline.engine.stats.live);
    }, 20);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const count = phase.rate * phase.seconds;
    await send({ op: 'calls', rate: phase.rate, count });
    const injectedIn = (performance.now() - t0) / 1000;
    while (hotline.engine.stats.live > 0 || talking < count) {
      await new Promise((r) => setTimeout(r, 20));
      if (performance.now() - t0 > 120_000) break;
    }
    clearInterval(sampler);
    const elapsed = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    results.push({
      phase: phase.name,
      offeredPerSecond: phase.rate,
      calls: count,
      connected: talking,
      setupsPerSecond: r2(talking / injectedIn),
      peakLiveCalls: peak,
      eventToActionMs: {
        p50: r2(pct(latencies, 50)),
        p99: r2(pct(latencies, 99)),
        samples: latencies.length,
      },
      arrivalToAgentConnectedMs: { p50: r2(pct(setup, 50)), p99: r2(pct(setup, 99)) },
      engineCpuPercentOfOneCore: Math.round(((cpu.user + cpu.system) / 1e6 / elapsed) * 100),
    });
    await readyAll();
  }

  // Heap per live call: 1,000 callers waiting in the queue (no agent ready), measured after GC.
  for (let i = 0; i < agents; i++) await hotline.store.notReady(`b${i}`, 'bench');
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  await send({ op: 'calls', rate: 500, count: 1000 });
  while (hotline.engine.stats.live < 1000) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 500));
  gc?.();
  const heap1 = process.memoryUsage().heapUsed;
  results.push({
    phase: 'heap per live call',
    liveCalls: hotline.engine.stats.live,
    heapPerCallKiB: r2((heap1 - heap0) / 1000 / 1024),
    gcForced: Boolean(gc),
  });
  await send({ op: 'hangup-all' });
  while (hotline.engine.stats.live > 0) await new Promise((r) => setTimeout(r, 20));
  // Hangups and bridge removals still in flight reach the simulator within moments; a leak stays.
  let stats = JSON.parse((await send({ op: 'stats' })).replace('STATS ', ''));
  for (let i = 0; i < 100 && (stats.liveChannels > 0 || stats.liveBridges > 0); i++) {
    await new Promise((r) => setTimeout(r, 100));
    stats = JSON.parse((await send({ op: 'stats' })).replace('STATS ', ''));
  }
  results.push({ phase: 'leaks', liveChannels: stats.liveChannels, liveBridges: stats.liveBridges });
  for (const r of results) console.log(JSON.stringify(r));
  await hotline.close();
  proc.kill();
}

if (process.argv[2] === '--child') await child();
else await parent();
