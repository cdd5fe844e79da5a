/**
 * The ARI simulator in a process of its own, for load runs where the engine's process must hold
 * nothing but the engine (`npm run soak`), or to drive by hand through its `/sim` control API.
 *
 *   node --import tsx scripts/sim-server.ts [--speed 20] [--origin WALL_MS:VIRTUAL_MS]
 *        [--rules DIR] [--host 127.0.0.1] [--port 0] [--spool DIR] [--exit-with-stdin]
 *
 * Virtual time runs --speed times faster than the wall clock and shows VIRTUAL_MS at wall-clock
 * WALL_MS (epoch ms; default: now at both), so an engine given the same speed and origin shares
 * its virtual time. Prompts play as long as the plan in --rules says (else 3 s). With --spool, calls
 * the dialplan's safety net takes (no app, or the admission gate closed) leave their notes there.
 *
 * Prints one JSON line on stdout once listening: {"url", "pid", "speed", "origin"}. Stops on
 * SIGTERM or SIGINT (with --exit-with-stdin also when stdin closes, so it never outlives its
 * parent), printing a last JSON line with its own CPU time and memory.
 */
import { parseArgs } from 'node:util';
import { rulesDir } from '../src/cli/paths.ts';
import { createLogger } from '../src/log.ts';
import { loadPlan } from '../src/plan/load.ts';
import { startAriSimulator } from '../src/sim/index.ts';
import { promptDurations } from '../src/synthetic/demo-agents.ts';
import { clockFromOrigin } from '../src/synthetic/sim-driver.ts';

const { values } = parseArgs({
  options: {
    speed: { type: 'string', default: '20' },
    origin: { type: 'string' },
    rules: { type: 'string' },
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '0' },
    spool: { type: 'string' },
    'exit-with-stdin': { type: 'boolean', default: false },
  },
});
const speed = Number(values.speed);
const [wallMs, virtualMs] = (values.origin ?? `${Date.now()}:${Date.now()}`).split(':').map(Number);
if (!(speed > 0) || !Number.isFinite(wallMs) || !Number.isFinite(virtualMs)) {
  process.stderr.write('sim-server: --speed must be > 0 and --origin WALL_MS:VIRTUAL_MS\n');
  process.exit(2);
}
const origin = { wallMs: wallMs!, virtualMs: virtualMs! };
const { plan } = loadPlan(rulesDir(values.rules));
const sim = await startAriSimulator({
  host: values.host,
  port: Number(values.port),
  clock: clockFromOrigin(speed, origin),
  logger: createLogger({ level: process.env.LOG_LEVEL ?? 'error', destination: process.stderr }),
  defaultPlaybackMs: 3000,
  promptDurations: promptDurations(plan),
  ...(values.spool ? { safetyNetSpool: values.spool } : {}),
});
console.log(JSON.stringify({ url: sim.url, pid: process.pid, speed, origin }));

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  const stats = sim.stats();
  await sim.stop();
  const cpu = process.cpuUsage();
  const mem = process.memoryUsage();
  const mib = (n: number) => Math.round((n / 1048576) * 10) / 10;
  console.log(
    JSON.stringify({
      stopped: true,
      cpuSeconds: Math.round((cpu.user + cpu.system) / 1e4) / 100,
      uptimeSeconds: Math.round(process.uptime() * 10) / 10,
      heapMiB: mib(mem.heapUsed),
      rssMiB: mib(mem.rss),
      maxRssMiB: mib(process.resourceUsage().maxRSS * 1024),
      stats,
    }),
  );
  process.exit(0);
}
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
if (values['exit-with-stdin']) {
  process.stdin.on('end', () => void stop());
  process.stdin.on('error', () => void stop());
  process.stdin.resume();
}
