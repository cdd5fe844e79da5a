import { parseArgs } from 'node:util';
import type { RoutingPlan } from '../plan/compile.ts';
import { loadPlan } from '../plan/load.ts';
import { formatProblem, RulesInvalidError } from '../plan/problems.ts';
import { localDateKey, parseInstant } from '../plan/zoned-time.ts';
import { DatabaseDayError, databaseDay } from '../staffing/database-day.ts';
import type { StaffingTarget } from '../staffing/erlang.ts';
import { StaffingInputError } from '../staffing/errors.ts';
import { staffInterval } from '../staffing/interval.ts';
import { mergeLoad } from '../staffing/merge-load.ts';
import { profileJson, staffProfile } from '../staffing/profile-staffing.ts';
import { RecordsFileError, recordsFileDay } from '../staffing/records-file.ts';
import type { DayProfile } from '../staffing/records-profile.ts';
import { formatInterval, formatMergePlan, formatProfile } from '../staffing/tables.ts';
import {
  type LineLoad,
  planLineLoads,
  readVolumesFile,
  type VolumesFile,
  volumesFromPairs,
} from '../staffing/volumes.ts';
import { type CommandIO, UsageError } from './io.ts';
import { rulesDir } from './paths.ts';

export const staffingHelp = `hotline staffing [--target-sl 0.8] [--within 15] [--max-abandon R] [--json] <one of:>
  --calls-per-hour N --aht S [--patience S]
      agents needed for one interval by Erlang C and, with --patience (callers' mean patience,
      seconds), by Erlang A: service level (answered within --within seconds over all offered
      calls), occupancy, ASA (mean wait of answered calls), P(wait), P(abandon)
  --records FILE.jsonl | --database URL  [--day YYYY-MM-DD] [--wrap-up S] [--patience S] [--rules DIR]
      the hourly profile of a real day from call records (Asia/Shanghai hours), per pool and
      expert seat: offered calls, AHT (talk time + --wrap-up), measured answer rate and service
      level, patience estimated from the day's waits (Σ waits / abandons), agents needed by C and A.
      --database: the records database's hourly summary by queue (--day required; hours by
      arrival; no patience estimate there: give --patience for Erlang A)
  --merge-plan [--rules DIR] (--volumes FILE | --calls-per-day LINE=N ... --aht S [--patience S]) [--day D]
      merge-date planning: for each period between the plan's phase dates, which lines' calls
      reach which 12345 pool or expert seat, and the agents needed at each one's peak hour.
      --volumes: YAML/JSON (see routing-rules/examples/sichuan-volumes.yaml); --calls-per-day
      LINE=N (line id or number, repeatable) with the default hourly shape; --day: the day to
      judge a plan without phase dates on (default today)
  --max-abandon R (0.05 = 5 %): Erlang A staffs also for P(abandon) ≤ R.
  Exit 2 for a bad option (the message names it), 1 for an unreadable or invalid file.`;

const OPTION_OF_FIELD: Record<string, string> = {
  callsPerHour: '--calls-per-hour',
  ahtSeconds: '--aht',
  patienceSeconds: '--patience',
  targetServiceLevel: '--target-sl',
  withinSeconds: '--within',
  maxAgents: '--target-sl',
  maxAbandon: '--max-abandon',
};

/** Reads a numeric option; `--name: …` when it is not a number in range. */
function numberOption(
  values: Record<string, unknown>,
  name: string,
  check: { min?: number; above?: number; below?: number },
): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  const bad = (why: string) => new UsageError(`--${name}: ${why}, got "${String(raw)}"`);
  if (typeof raw !== 'string' || raw.trim() === '' || !Number.isFinite(n)) throw bad('must be a number');
  if (check.above !== undefined && !(n > check.above)) throw bad(`must be above ${check.above}`);
  if (check.min !== undefined && n < check.min) throw bad(`must be at least ${check.min}`);
  if (check.below !== undefined && !(n < check.below)) throw bad(`must be below ${check.below}`);
  return n;
}

/** JSON with infinite figures (an overloaded pool's ASA) written as null. */
function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2);
}

function loadRules(dir: string | undefined, io: CommandIO): RoutingPlan | undefined {
  try {
    return loadPlan(rulesDir(dir)).plan;
  } catch (err) {
    if (err instanceof RulesInvalidError) {
      for (const p of err.problems) io.err(formatProblem(p));
      return undefined;
    }
    throw err;
  }
}

export async function staffingCommand(
  args: string[],
  io: CommandIO,
  now: () => number = Date.now,
): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      'calls-per-hour': { type: 'string' },
      aht: { type: 'string' },
      patience: { type: 'string' },
      'target-sl': { type: 'string' },
      'max-abandon': { type: 'string' },
      within: { type: 'string' },
      records: { type: 'string' },
      database: { type: 'string' },
      day: { type: 'string' },
      'wrap-up': { type: 'string' },
      'merge-plan': { type: 'boolean' },
      rules: { type: 'string' },
      volumes: { type: 'string' },
      'calls-per-day': { type: 'string', multiple: true },
      json: { type: 'boolean' },
    },
    strict: true,
  });
  const modes = [
    values['calls-per-hour'] !== undefined,
    values.records !== undefined,
    values.database !== undefined,
    values['merge-plan'],
  ];
  if (modes.filter(Boolean).length !== 1) {
    throw new UsageError('give exactly one of --calls-per-hour, --records, --database, --merge-plan');
  }
  const maxAbandon = numberOption(values, 'max-abandon', { above: 0, below: 1 });
  const target: Target = {
    targetServiceLevel: numberOption(values, 'target-sl', { above: 0, below: 1 }) ?? 0.8,
    withinSeconds: numberOption(values, 'within', { min: 0 }) ?? 15,
    ...(maxAbandon !== undefined ? { maxAbandon } : {}),
  };
  const patience = numberOption(values, 'patience', { above: 0 });
  const day = values.day;
  if (day !== undefined && (!/^\d{4}-\d{2}-\d{2}$/.test(day) || parseInstant(day, 'UTC') === undefined)) {
    throw new UsageError(`--day: must be a date YYYY-MM-DD, got "${values.day}"`);
  }
  try {
    if (values['calls-per-hour'] !== undefined) return single(values, target, patience, io);
    if (values.records !== undefined || values.database !== undefined) {
      return await realDay(values, target, patience, io);
    }
    return mergePlan(values, target, patience, io, now);
  } catch (err) {
    if (err instanceof StaffingInputError) {
      io.err(`${OPTION_OF_FIELD[err.field] ?? err.field}: ${err.message.slice(err.field.length + 2)}`);
      return 2;
    }
    throw err;
  }
}

type Values = Record<string, unknown>;
type Target = StaffingTarget;

function single(values: Values, target: Target, patience: number | undefined, io: CommandIO): number {
  const callsPerHour = numberOption(values, 'calls-per-hour', { min: 0 })!;
  const ahtSeconds = numberOption(values, 'aht', { above: 0 });
  if (ahtSeconds === undefined) throw new UsageError('--aht is required with --calls-per-hour');
  const load = { callsPerHour, ahtSeconds, ...(patience !== undefined ? { patienceSeconds: patience } : {}) };
  const staffing = staffInterval(load, target);
  io.out(
    values.json
      ? toJson({ input: { ...load, ...target }, ...staffing })
      : formatInterval({ callsPerHour, ahtSeconds }, target, staffing),
  );
  return 0;
}

type DaySource = { profile: DayProfile; source: string; note?: string } | number;

/** The day's profile from a JSONL records file; an exit code when it cannot be had. */
async function profileFromFile(
  values: Values,
  plan: RoutingPlan,
  withinSeconds: number,
  io: CommandIO,
): Promise<DaySource> {
  const file = values.records as string;
  try {
    const day = values.day as string | undefined;
    const profile = await recordsFileDay(file, {
      timeZone: plan.center.timezone,
      withinSeconds,
      ...(day ? { day } : {}),
    });
    return { profile, source: file };
  } catch (err) {
    if (err instanceof RecordsFileError) {
      io.err(`--${err.option}: ${err.message}`);
      return err.option === 'day' ? 2 : 1;
    }
    const code = (err as NodeJS.ErrnoException).code;
    io.err(`--records: cannot read ${file}${code ? ` (${code})` : ''}`);
    return 1;
  }
}

/** The day's profile from the records database's hourly summary by queue. */
async function profileFromDatabase(values: Values, withinSeconds: number, io: CommandIO): Promise<DaySource> {
  const day = values.day as string | undefined;
  if (day === undefined) throw new UsageError('--day is required with --database');
  try {
    return await databaseDay(values.database as string, { day, withinSeconds });
  } catch (err) {
    if (!(err instanceof DatabaseDayError)) throw err;
    io.err(`--database: ${err.message}`);
    return 1;
  }
}

async function realDay(
  values: Values,
  target: Target,
  patience: number | undefined,
  io: CommandIO,
): Promise<number> {
  const wrapUp = numberOption(values, 'wrap-up', { min: 0 }) ?? 0;
  const plan = loadRules(values.rules as string | undefined, io);
  if (!plan) return 1;
  const got =
    values.records !== undefined
      ? await profileFromFile(values, plan, target.withinSeconds, io)
      : await profileFromDatabase(values, target.withinSeconds, io);
  if (typeof got === 'number') return got;
  const { profile } = got;
  const rows = staffProfile(profile, {
    target,
    wrapUpSeconds: wrapUp,
    ...(patience !== undefined ? { patienceSeconds: patience } : {}),
  });
  if (values.json) {
    io.out(toJson(profileJson(profile, rows, { target, wrapUpSeconds: wrapUp, patienceSeconds: patience })));
    return 0;
  }
  const names = (queue: string) => {
    const [kind, id] = queue.split(':') as [string, string];
    const found = kind === 'pool' ? plan.pools.get(id) : plan.experts.get(id);
    return found?.name ?? queue;
  };
  io.out(
    formatProfile(profile, rows, names, {
      ...target,
      wrapUpSeconds: wrapUp,
      source: got.source,
      ...(got.note !== undefined ? { note: got.note } : {}),
      ...(patience !== undefined ? { patienceOverride: patience } : {}),
    }),
  );
  return 0;
}

function mergePlan(
  values: Values,
  target: Target,
  patience: number | undefined,
  io: CommandIO,
  now: () => number,
): number {
  const plan = loadRules(values.rules as string | undefined, io);
  if (!plan) return 1;
  const perDay = values['calls-per-day'] as string[] | undefined;
  if ((values.volumes === undefined) === (perDay === undefined)) {
    throw new UsageError('--merge-plan needs one of --volumes FILE or --calls-per-day LINE=N');
  }
  let file: VolumesFile;
  let where: string;
  if (values.volumes !== undefined) {
    where = values.volumes as string;
    const read = readVolumesFile(where);
    if (Array.isArray(read)) {
      for (const p of read) io.err(`--volumes: ${formatProblem(p)}`);
      return 1;
    }
    file = read;
    if (values.aht !== undefined || patience !== undefined) {
      const aht = numberOption(values, 'aht', { above: 0 });
      file = {
        ...file,
        ...(aht !== undefined ? { ahtSeconds: aht } : {}),
        ...(patience !== undefined ? { patienceSeconds: patience } : {}),
      };
    }
  } else {
    where = '--calls-per-day';
    const aht = numberOption(values, 'aht', { above: 0 });
    if (aht === undefined) throw new UsageError('--aht is required with --calls-per-day');
    file = volumesFromPairs(perDay!, {
      ahtSeconds: aht,
      ...(patience !== undefined ? { patienceSeconds: patience } : {}),
    });
  }
  let volumes: Map<string, LineLoad>;
  try {
    volumes = planLineLoads(plan, file);
  } catch (err) {
    if (err instanceof StaffingInputError) {
      io.err(`${where}: ${err.message}`);
      return values.volumes !== undefined ? 1 : 2;
    }
    throw err;
  }
  let periods: ReturnType<typeof mergeLoad>;
  try {
    const fallbackDay = (values.day as string | undefined) ?? localDateKey(now(), plan.center.timezone);
    periods = mergeLoad(plan, { volumes, target, fallbackDay });
  } catch (err) {
    if (err instanceof StaffingInputError && err.field.startsWith('lines.')) {
      io.err(`${where}: ${err.message}`);
      return values.volumes !== undefined ? 1 : 2;
    }
    throw err;
  }
  if (values.json) {
    io.out(toJson({ center: plan.center.id, source: file.source, target, periods }));
    return 0;
  }
  io.out(
    formatMergePlan(periods, {
      centerName: plan.center.name,
      source: file.source,
      ...target,
      ...(file.populationMillions !== undefined ? { populationMillions: file.populationMillions } : {}),
    }),
  );
  return 0;
}
