/**
 * What-if benchmark: the done-when case of `hotline whatif` — the shipped Sichuan plan
 * (routing-rules/) against a draft with the dual-number lines' phases a week earlier, a 24 h day
 * (2021-10-12, between the draft's and the live transfer date) of 20,000 calls from a profile.
 *   npm run bench:whatif                 both parts
 *   npm run bench:whatif -- --calls N    another day size
 * 1. The command as a user runs it (a child process: start, loading, traffic, both runs,
 *    printing): wall seconds.
 * 2. The same in this process, stage by stage: load, traffic, default staffing, each run (events
 *    per second), and the figures of both runs.
 * One JSON object per line.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { loadPlan } from '../src/plan/load.ts';
import { defaultStaffing } from '../src/whatif/default-staffing.ts';
import { shiftPhases } from '../src/whatif/shift-phases.ts';
import { simulateDay } from '../src/whatif/simulate-day.ts';
import { profileFromPlan, trafficFromProfile } from '../src/whatif/traffic-profile.ts';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({ options: { calls: { type: 'string', default: '20000' } } });
const calls = Number(values.calls);
const date = '2021-10-12';
const line = (o: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(o)}\n`);
const round = (n: number, d = 3) => Math.round(n * 10 ** d) / 10 ** d;

// 1. The command, end to end.
const args = [
  'bin/hotline.js',
  'whatif',
  '--rules',
  'routing-rules',
  '--shift-phases',
  'dual-number:-7',
  '--date',
  date,
  '--calls',
  String(calls),
  '--json',
];
const started = performance.now();
const { stdout } = await run(process.execPath, args, { cwd: root, maxBuffer: 64 * 1024 * 1024 });
const wallSeconds = (performance.now() - started) / 1000;
const cli = JSON.parse(stdout);
line({
  part: 'command',
  command: `hotline ${args.slice(1).join(' ')}`,
  calls: cli.calls,
  wallSeconds: round(wallSeconds, 2),
  underThirtySeconds: wallSeconds < 30,
});

// 2. Stage by stage, in process.
let t = performance.now();
const lap = () => {
  const now = performance.now();
  const ms = now - t;
  t = now;
  return round(ms, 1);
};
const live = loadPlan(`${root}/routing-rules`).plan;
const draft = shiftPhases(live, { mode: 'dual-number', days: -7 });
line({ part: 'stage', stage: 'load rules (live, draft by shift)', ms: lap() });
const traffic = trafficFromProfile(profileFromPlan(live, calls, date), { plan: live, date, seed: 1 });
line({ part: 'stage', stage: 'traffic from profile', calls: traffic.calls.length, ms: lap() });
const topics = [...new Set([...live.lines.values()].map((l) => l.topic))];
const staffing = defaultStaffing(live, traffic, topics);
line({
  part: 'stage',
  stage: 'default staffing (Erlang C per queue)',
  agents: staffing.roster.length,
  ms: lap(),
});
for (const [name, plan] of [
  ['live', live],
  ['draft', draft],
] as const) {
  const r = simulateDay(plan, traffic, staffing.roster);
  const ms = lap();
  line({
    part: 'stage',
    stage: `run ${name}`,
    events: r.events,
    ms,
    eventsPerSecond: Math.round(r.events / (ms / 1000)),
  });
  const general = r.queues.get('pool:general')?.figures;
  line({
    part: 'figures',
    run: name,
    serviceLevel: round(r.totals.serviceLevel ?? Number.NaN),
    asaSeconds: round(r.totals.asaSeconds ?? Number.NaN, 1),
    abandonRate: round(r.totals.abandonRate ?? Number.NaN),
    answered: r.totals.answered,
    dialled: r.totals.dialled,
    generalPool: general
      ? {
          offered: general.offered,
          serviceLevel: round(general.serviceLevel ?? Number.NaN),
          occupancy: round(general.occupancy ?? Number.NaN),
          agents: general.agents,
        }
      : null,
  });
}
