import { z } from 'zod';
import type { RoutingPlan } from '../plan/compile.ts';
import { parseYamlFile } from '../plan/load.ts';
import type { RuleProblem } from '../plan/problems.ts';
import { StaffingInputError } from './errors.ts';

/**
 * Per-line daily volumes for merge-date planning (`hotline staffing --merge-plan --volumes FILE`):
 * a YAML or JSON file. Each line of the plan (by id or number) gets its calls per day, and may
 * override the AHT, the callers' mean patience, the hourly shape and, for a line whose calls reach
 * a menu, how callers choose (keys → share).
 */

const Shape = z
  .array(z.number().nonnegative())
  .length(24)
  .refine((s) => s.some((v) => v > 0), { message: 'needs at least one hour with a weight above 0' });

/** Keys as `explain --digits` reads them: 0-9, *, #, and T for a menu timeout. */
const MenuShares = z.record(
  z.string().regex(/^[0-9*#T]+$/, 'keys may contain only 0-9, *, # and T (a menu timeout)'),
  z.number().positive(),
);

export const LineVolume = z.strictObject({
  callsPerDay: z.number().nonnegative(),
  ahtSeconds: z.number().positive().optional(),
  patienceSeconds: z.number().positive().optional(),
  /** 24 relative weights, hour 0 (00:00–01:00) to 23, in the plan's time zone. */
  hourlyShape: Shape.optional(),
  /** For a line whose route reaches a menu: keys pressed → share of the callers (normalised). */
  menuShares: MenuShares.optional(),
});
export type LineVolume = z.infer<typeof LineVolume>;

export const VolumesFile = z.strictObject({
  /** Where the figures come from (a statistic, an estimate, or "illustrative"). */
  source: z.string().min(1),
  /** Average handling time of a call (talk and wrap-up), seconds. */
  ahtSeconds: z.number().positive(),
  /** Mean patience of callers in a queue, seconds: enables Erlang A. */
  patienceSeconds: z.number().positive().optional(),
  hourlyShape: Shape.optional(),
  /** Population served, millions: for the comparison with a seats-per-million norm. */
  populationMillions: z.number().positive().optional(),
  /** Line id or number → calls per day, or the line's figures. */
  lines: z.record(z.string().min(1), z.union([z.number().nonnegative(), LineVolume])),
});
export type VolumesFile = z.infer<typeof VolumesFile>;

/**
 * The hourly shape used when neither the file nor the line gives one: an illustrative 12345 day
 * (quiet at night, a morning peak at 9–11 and an afternoon peak at 14–16), not a measurement. A
 * records file's `hotline staffing --records` profile gives a real one to put in the volumes file.
 */
export const DEFAULT_HOURLY_SHAPE: readonly number[] = [
  0.8, 0.5, 0.4, 0.3, 0.3, 0.5, 1.2, 2.6, 5.2, 7.6, 8.0, 7.2, 5.0, 5.6, 7.0, 7.2, 6.8, 6.0, 4.8, 4.2, 3.8,
  3.2, 2.2, 1.3,
];

/** The figures of one line, with the file's defaults filled in and the shape normalised to sum 1. */
export interface LineLoad {
  callsPerDay: number;
  ahtSeconds: number;
  patienceSeconds?: number;
  /** Share of the day's calls in each hour (sums to 1). */
  hourly: readonly number[];
  /** Keys → share (sums to 1); absent when the line's route needs no keys. */
  menuShares?: ReadonlyMap<string, number>;
}

export function normalise(weights: readonly number[]): number[] {
  const total = weights.reduce((a, b) => a + b, 0);
  return weights.map((w) => w / total);
}

/** Fills in one line's figures from the file's defaults. */
export function lineLoad(file: VolumesFile, value: VolumesFile['lines'][string]): LineLoad {
  const own: LineVolume = typeof value === 'number' ? { callsPerDay: value } : value;
  const load: LineLoad = {
    callsPerDay: own.callsPerDay,
    ahtSeconds: own.ahtSeconds ?? file.ahtSeconds,
    hourly: normalise(own.hourlyShape ?? file.hourlyShape ?? DEFAULT_HOURLY_SHAPE),
  };
  const patience = own.patienceSeconds ?? file.patienceSeconds;
  if (patience !== undefined) load.patienceSeconds = patience;
  if (own.menuShares) {
    const total = Object.values(own.menuShares).reduce((a, b) => a + b, 0);
    load.menuShares = new Map(Object.entries(own.menuShares).map(([k, v]) => [k, v / total]));
  }
  return load;
}

/** Each line's figures by the plan's line id; a key must be a line's id or number, once. */
export function planLineLoads(plan: RoutingPlan, file: VolumesFile): Map<string, LineLoad> {
  const volumes = new Map<string, LineLoad>();
  for (const [key, value] of Object.entries(file.lines)) {
    const line = plan.lines.get(key) ?? plan.linesByNumber.get(key);
    if (!line) throw new StaffingInputError(`lines.${key}`, 'no line of the plan has this id or number');
    if (volumes.has(line.id)) throw new StaffingInputError(`lines.${key}`, `line ${line.id} is given twice`);
    volumes.set(line.id, lineLoad(file, value));
  }
  return volumes;
}

/** Reads and checks a volumes file (YAML or JSON); its problems, each naming FILE:PATH, when invalid. */
export function readVolumesFile(path: string): VolumesFile | RuleProblem[] {
  const problems: RuleProblem[] = [];
  const parsed = parseYamlFile(path, path, VolumesFile, problems);
  return parsed ?? problems;
}

/** Volumes given as `LINE=N` pairs (line id or number = calls per day), with the default hourly shape. */
export function volumesFromPairs(
  pairs: readonly string[],
  o: { ahtSeconds: number; patienceSeconds?: number },
): VolumesFile {
  const lines: Record<string, number> = {};
  for (const item of pairs) {
    const m = /^([^=]+)=(\d+(?:\.\d+)?)$/.exec(item);
    if (!m)
      throw new StaffingInputError('--calls-per-day', `must be LINE=N (a line id or number), got "${item}"`);
    lines[m[1]!] = Number(m[2]);
  }
  return { source: 'given on the command line (--calls-per-day), default hourly shape', ...o, lines };
}
