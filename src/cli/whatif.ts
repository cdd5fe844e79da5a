import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { RoutingPlan } from '../plan/compile.ts';
import { loadPlan, parseYamlFile } from '../plan/load.ts';
import { formatProblem, type RuleProblem, RulesInvalidError } from '../plan/problems.ts';
import { localDateKey } from '../plan/zoned-time.ts';
import { RecordsFileLineError, readRecordsFile } from '../records/records-file.ts';
import type { CallRecord } from '../records/schema.ts';
import { loadRoster, type RosterEntry } from '../roster.ts';
import type { TrafficDay } from '../whatif/comparison.ts';
import { WhatIfInputError } from '../whatif/errors.ts';
import { runWhatIf } from '../whatif/run-what-if.ts';
import { type PhaseShift, parsePhaseShift, shiftPhases } from '../whatif/shift-phases.ts';
import { sideBySideText } from '../whatif/side-by-side.ts';
import { profileFromPlan, TrafficProfile, trafficFromProfile } from '../whatif/traffic-profile.ts';
import { trafficFromRecords } from '../whatif/traffic-records.ts';
import { type CommandIO, UsageError } from './io.ts';
import { rulesDir } from './paths.ts';

export const whatifHelp = `hotline whatif --rules DRAFT (--traffic RECORDS|PROFILE | --calls N) [--live DIR]
               [--shift-phases MODE:DAYS] [--date YYYY-MM-DD] [--agents ROSTER] [--seed N] [--json]
  试算: replays a day of calls through the draft rules and through the live rules on virtual time
  and prints them side by side (现行规则 | 草案): per pool and expert seat the service level
  (answered within the center's serviceLevelSeconds, 15 s), ASA, abandonment, occupancy; calls
  per first target; time to a person per line.
  --rules      the draft rules folder; --live the running rules (default HOTLINE_RULES, else the
               shipped routing-rules/).
  --shift-phases MODE:DAYS  moves the dated phases of the draft's lines in that merge mode by
               DAYS days (dual-number:-7: the 双号并行 lines a week earlier).
  --traffic    a JSONL file of call records (*.jsonl: arrivals, numbers, keys, talk times and
               abandoned waits as patience) or a traffic profile (*.yaml, *.json: per-line
               volumes, AHT, patience, keys); --calls N instead: a profile drawn from the live
               plan (half on 12345, the rest spread over the other lines).
  --date       the day to replay (phases and hours follow it); default the records' busiest
               day, the profile's date, else today.
  --agents     a roster file (HOTLINE_ROSTER format); default: per queue Erlang C for the live
               rules' peak hour (80 % within 15 s, at least 2 agents).
  Example (the Sichuan plan, dual-number lines a week earlier, 20,000 calls):
    hotline whatif --rules routing-rules --shift-phases dual-number:-7 --date 2021-10-12 --calls 20000
  Exit 1 for invalid rules, roster or traffic; 2 for bad usage.`;

function loadRules(dir: string, now: number, io: CommandIO): RoutingPlan | undefined {
  try {
    return loadPlan(dir, { now }).plan;
  } catch (err) {
    if (err instanceof RulesInvalidError) {
      for (const p of err.problems) io.err(formatProblem(p));
      return undefined;
    }
    throw err;
  }
}

/** The call records of a JSONL file; a bad line or a missing file is a WhatIfInputError naming it. */
async function readCallRecords(path: string): Promise<CallRecord[]> {
  try {
    return (await readRecordsFile(path)).records;
  } catch (err) {
    if (err instanceof RecordsFileLineError) throw new WhatIfInputError(err.where, err.reason);
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new WhatIfInputError(path, 'no such file');
    throw err;
  }
}

async function trafficOf(
  values: { traffic?: string; calls?: string; date?: string; seed?: string },
  live: RoutingPlan,
  seed: number,
  now: number,
): Promise<TrafficDay> {
  const tz = live.center.timezone;
  const date = values.date;
  if (values.calls !== undefined) {
    const calls = Number(values.calls);
    if (!Number.isInteger(calls) || calls < 1 || calls > 2_000_000)
      throw new UsageError('--calls must be a whole number from 1 to 2000000');
    const day = date ?? localDateKey(now, tz);
    return trafficFromProfile(profileFromPlan(live, calls, day), { plan: live, date: day, seed });
  }
  const path = resolve(values.traffic as string);
  if (/\.jsonl$/i.test(path)) {
    const records = await readCallRecords(path);
    return trafficFromRecords(records, { timezone: tz, ...(date ? { date } : {}), seed });
  }
  if (!/\.(ya?ml|json)$/i.test(path))
    throw new UsageError('--traffic must be a records file (*.jsonl) or a profile (*.yaml, *.yml, *.json)');
  const problems: RuleProblem[] = [];
  const profile = parseYamlFile(path, values.traffic as string, TrafficProfile, problems);
  if (!profile) {
    const p = problems[0]!;
    throw new WhatIfInputError(`${p.file}${p.path ? `:${p.path}` : ''}`, p.message);
  }
  return trafficFromProfile(profile, {
    plan: live,
    ...(date ? { date } : profile.date ? {} : { date: localDateKey(now, tz) }),
    seed,
  });
}

export async function whatifCommand(
  args: string[],
  io: CommandIO,
  now: () => number = Date.now,
): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      rules: { type: 'string' },
      live: { type: 'string' },
      'shift-phases': { type: 'string' },
      traffic: { type: 'string' },
      calls: { type: 'string' },
      date: { type: 'string' },
      agents: { type: 'string' },
      seed: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.rules === undefined) throw new UsageError('--rules DRAFT is required');
  if ((values.traffic === undefined) === (values.calls === undefined))
    throw new UsageError('give either --traffic FILE or --calls N');
  if (values.date !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(values.date))
    throw new UsageError('--date must be YYYY-MM-DD');
  const seed = values.seed === undefined ? 1 : Number(values.seed);
  if (!Number.isInteger(seed) || seed < 0) throw new UsageError('--seed must be a whole number ≥ 0');
  let shift: PhaseShift | undefined;
  try {
    if (values['shift-phases'] !== undefined) shift = parsePhaseShift(values['shift-phases']);
  } catch (err) {
    if (err instanceof WhatIfInputError) throw new UsageError(err.message);
    throw err;
  }

  const at = now();
  const live = loadRules(rulesDir(values.live), at, io);
  if (!live) return 1;
  const draftRules = loadRules(resolve(values.rules), at, io);
  if (!draftRules) return 1;
  const draft = shift ? shiftPhases(draftRules, shift) : draftRules;

  let agents: RosterEntry[] | undefined;
  try {
    if (values.agents !== undefined) agents = loadRoster(resolve(values.agents));
  } catch (err) {
    if (err instanceof RulesInvalidError) {
      for (const p of err.problems) io.err(formatProblem(p));
      return 1;
    }
    throw err;
  }
  try {
    const traffic = await trafficOf(values, live, seed, at);
    const comparison = await runWhatIf({ live, draft, traffic, seed, ...(agents ? { agents } : {}) });
    if (values.json) {
      io.out(JSON.stringify(comparison, null, 2));
    } else {
      const what = shift
        ? `草案（${shift.mode} 阶段日期 ${shift.days > 0 ? '+' : ''}${shift.days} 天）`
        : '草案';
      io.out(sideBySideText(comparison, `试算：现行规则 与 ${what}`));
    }
    return 0;
  } catch (err) {
    if (err instanceof WhatIfInputError) {
      io.err(err.message);
      return 1;
    }
    throw err;
  }
}
