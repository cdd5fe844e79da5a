import type { RoutingPlan } from '../plan/compile.ts';
import { localDateKey } from '../plan/zoned-time.ts';
import { tailRecords } from '../records/records-tail.ts';
import type { RosterEntry } from '../roster.ts';
import type { TrafficDay, WhatIfComparison } from '../whatif/comparison.ts';
import { WhatIfInputError } from '../whatif/errors.ts';
import { runWhatIf } from '../whatif/run-what-if.ts';
import { profileFromPlan, trafficFromProfile } from '../whatif/traffic-profile.ts';
import { trafficFromRecords } from '../whatif/traffic-records.ts';

/** Where the replayed day's calls come from. */
export type WhatIfTrafficChoice =
  /** The engine's own records (the JSONL file's last `tailBytes`): `date`, else their busiest day; none: a profile of `calls`. */
  | { source: 'recent'; recordsPath: string; tailBytes: number; date?: string; calls: number }
  /** A synthetic day of `calls` drawn from the live plan's lines (src/whatif/traffic-profile.ts). */
  | { source: 'profile'; date?: string; calls: number };

/** One what-if as the worker receives it: plain data (structured clone). */
export interface WhatIfTask {
  /** The running rules' plan and the draft's, compiled (a plan survives the structured clone). */
  live: RoutingPlan;
  draft: RoutingPlan;
  /** Now (epoch ms): the default day. */
  now: number;
  traffic: WhatIfTrafficChoice;
  /** The agents (roster format); absent: H4's default staffing. */
  agents?: RosterEntry[];
  seed?: number;
}

/**
 * The comparison, and why the traffic is not the one asked for (no records to replay); or the
 * input the what-if could not use (an error's class does not cross the worker's boundary).
 */
export type WhatIfTaskResult =
  | { ok: true; comparison: WhatIfComparison; trafficNote?: string }
  | { ok: false; where: string; message: string };

/**
 * Runs in the what-if worker (whatif-worker.mjs): builds the day's traffic, replays it through
 * the live rules and the draft (src/whatif) and compares.
 */
export async function runWhatIfTask(task: WhatIfTask): Promise<WhatIfTaskResult> {
  try {
    const { traffic, note } = await trafficFor(task, task.live);
    const comparison = await runWhatIf({
      live: task.live,
      draft: task.draft,
      traffic,
      ...(task.agents ? { agents: task.agents } : {}),
      ...(task.seed !== undefined ? { seed: task.seed } : {}),
    });
    return { ok: true, comparison, ...(note ? { trafficNote: note } : {}) };
  } catch (err) {
    if (err instanceof WhatIfInputError) return { ok: false, where: err.where, message: err.message };
    throw err;
  }
}

async function trafficFor(
  task: WhatIfTask,
  live: RoutingPlan,
): Promise<{ traffic: TrafficDay; note?: string }> {
  const tz = live.center.timezone;
  const t = task.traffic;
  const seed = task.seed ?? 1;
  if (t.source === 'recent') {
    const records = await tailRecords(t.recordsPath, t.tailBytes);
    const onDay = t.date
      ? records.filter((r) => localDateKey(Date.parse(r.times.arrivedAt), tz) === t.date)
      : records;
    if (onDay.length > 0) {
      return {
        traffic: trafficFromRecords(onDay, {
          timezone: tz,
          ...(t.date ? { recordsDate: t.date } : {}),
          seed,
        }),
      };
    }
    const note =
      records.length === 0
        ? 'the engine has kept no call records yet: a synthetic day from the plan is replayed instead'
        : `the records have no call on ${t.date}: a synthetic day from the plan is replayed instead`;
    return { traffic: profileDay(live, t.calls, t.date ?? localDateKey(task.now, tz), seed), note };
  }
  return { traffic: profileDay(live, t.calls, t.date ?? localDateKey(task.now, tz), seed) };
}

function profileDay(live: RoutingPlan, calls: number, date: string, seed: number): TrafficDay {
  return trafficFromProfile(profileFromPlan(live, calls, date), { plan: live, date, seed });
}
