/**
 * Raw simulator throughput. The simulator runs in a child process that injects callers at a
 * fixed rate; this process plays a minimal ARI app over a plain WebSocket and a keep-alive
 * HTTP agent (answer, bridge, originate an agent, bridge both, hang up the agent when the
 * caller leaves). It prints call setups/s, events/s, peak concurrent calls and the child's CPU.
 *
 *   node --import tsx scripts/bench-sim.ts [rate=350] [seconds=10] [holdMs=3000]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { Agent, request } from 'node:http';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';

const args = process.argv[2] === '--child' ? process.argv.slice(3) : process.argv.slice(2);
const [rate = 350, seconds = 10, holdMs = 3000] = args.map(Number);

async function child(): Promise<void> {
  const { startAriSimulator } = await import('../src/sim/index.ts');
  const { createLogger } = await import('../src/log.ts');
  const sim = await startAriSimulator({ logger: createLogger({ level: 'silent' }) });
  sim.setEndpoint('PJSIP/agent', { behaviour: 'answer', answerAfterMs: 200 });
  console.log(`READY ${sim.url}`);
  await new Promise<void>((resolve) =>
    createInterface({ input: process.stdin }).once('line', () => resolve()),
  );
  const cpu0 = process.cpuUsage();
  const t0 = Date.now();
  let injected = 0;
  let peakCalls = 0;
  const total = rate * seconds;
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      const due = Math.min(total, Math.floor(((Date.now() - t0) / 1000) * rate));
      for (; injected < due; injected++) {
        sim.injectCall({
          app: 'bench',
          dialed: '12345',
          callerNumber: `1380000${String(injected % 10000).padStart(4, '0')}`,
          script: [{ waitForEvent: 'bridged' }, { wait: holdMs }, { hangup: true }],
        });
      }
      const now = sim.stats();
      peakCalls = Math.max(peakCalls, now.callsInjected - now.callsCompleted - now.callsFallback);
      if (injected >= total && sim.stats().liveChannels === 0 && sim.stats().liveBridges === 0) {
        clearInterval(tick);
        resolve();
      }
    }, 10);
  });
  const elapsed = (Date.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const stats = sim.stats();
  console.log(
    `RESULT ${JSON.stringify({ elapsed, peakCalls, cpuSeconds: (cpu.user + cpu.system) / 1e6, ...stats })}`,
  );
  await sim.stop();
  process.exit(0);
}

function call(agent: Agent, base: string, method: string, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}/ari${path}`, { method, agent, auth: 'hotline:hotline' }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

async function parent(): Promise<void> {
  const proc: ChildProcess = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      fileURLToPath(import.meta.url),
      '--child',
      String(rate),
      String(seconds),
      String(holdMs),
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: proc.stdout! });
  const base = await new Promise<string>((resolve) =>
    lines.on('line', (l) => {
      if (l.startsWith('READY ')) resolve(l.slice(6));
    }),
  );
  const result = new Promise<Record<string, number>>((resolve) =>
    lines.on('line', (l) => {
      if (l.startsWith('RESULT ')) resolve(JSON.parse(l.slice(7)) as Record<string, number>);
    }),
  );
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const ws = new WebSocket(`${base.replace('http', 'ws')}/ari/events?app=bench&api_key=hotline:hotline`);
  await new Promise((r) => ws.once('open', r));
  await call(agent, base, 'PUT', '/applications/bench/eventFilter');
  let eventsReceived = 0;
  let bridged = 0;
  let failures = 0;
  const startedAt = new Map<string, number>();
  const setupMs: number[] = [];
  const check = (p: Promise<number>): void => {
    p.then(
      (s) => {
        if (s >= 300) failures++;
      },
      () => failures++,
    );
  };
  ws.on('message', (data: Buffer) => {
    eventsReceived++;
    const e = JSON.parse(data.toString()) as { type: string; args?: string[]; channel?: { id: string } };
    const id = e.channel?.id ?? '';
    if (e.type === 'StasisStart' && e.args?.[0] === 'agent') {
      const caller = e.args[1] ?? '';
      check(call(agent, base, 'POST', `/bridges/br-${caller}/addChannel?channel=${caller},${id}`));
    } else if (e.type === 'StasisStart') {
      startedAt.set(id, Date.now());
      void (async () => {
        await call(agent, base, 'POST', `/channels/${id}/answer`);
        await call(agent, base, 'POST', `/bridges?bridgeId=br-${id}&type=mixing`);
        await call(
          agent,
          base,
          'POST',
          `/channels?endpoint=PJSIP/agent&app=bench&appArgs=agent,${id}&channelId=ag-${id}`,
        );
      })().catch(() => failures++);
    } else if (e.type === 'ChannelEnteredBridge' && id.startsWith('ag-')) {
      bridged++;
      const t = startedAt.get(id.slice(3));
      if (t !== undefined) setupMs.push(Date.now() - t);
    } else if (e.type === 'StasisEnd' && startedAt.delete(id)) {
      void (async () => {
        await call(agent, base, 'DELETE', `/channels/ag-${id}`);
        await call(agent, base, 'DELETE', `/bridges/br-${id}`);
      })().catch(() => failures++);
    }
  });
  proc.stdin!.write('go\n');
  const r = await result;
  ws.close();
  setupMs.sort((a, b) => a - b);
  const pct = (p: number) => setupMs[Math.min(setupMs.length - 1, Math.floor(p * setupMs.length))] ?? 0;
  const injectWindow = seconds;
  console.log(
    JSON.stringify(
      {
        offeredRate: rate,
        callsInjected: r.callsInjected,
        callsBridged: bridged,
        setupsPerSecond: Math.round(bridged / injectWindow),
        peakConcurrentCalls: r.peakCalls,
        eventsSent: r.eventsSent,
        eventsReceived,
        eventsPerSecond: Math.round((r.eventsSent ?? 0) / (r.elapsed ?? 1)),
        restRequests: r.restRequests,
        restPerSecond: Math.round((r.restRequests ?? 0) / (r.elapsed ?? 1)),
        simCpuSeconds: r.cpuSeconds,
        simCpuPercentOfOneCore: Math.round((100 * (r.cpuSeconds ?? 0)) / (r.elapsed ?? 1)),
        elapsedSeconds: r.elapsed,
        setupMsP50: pct(0.5) - 200,
        setupMsP99: pct(0.99) - 200,
        failures,
        leftover: { channels: r.liveChannels, bridges: r.liveBridges },
      },
      null,
      2,
    ),
  );
  agent.destroy();
}

if (process.argv[2] === '--child') await child();
else await parent();
