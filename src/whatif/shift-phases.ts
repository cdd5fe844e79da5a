import type { CompiledLine, CompiledPhase, RoutingPlan } from '../plan/compile.ts';
import { MergeMode, type MergeModeName } from '../plan/schema.ts';
import { DAY_MS } from './day.ts';
import { WhatIfInputError } from './errors.ts';

/** Which lines' phases move, and by how many days (negative: earlier). */
export interface PhaseShift {
  mode: MergeModeName;
  days: number;
}

/**
 * Reads `--shift-phases MODE:DAYS` (e.g. `dual-number:-7`: the lines in 双号并行 change phase a
 * week earlier).
 */
export function parsePhaseShift(text: string): PhaseShift {
  const m = /^([a-z-]+):([+-]?\d{1,4})$/.exec(text.trim());
  if (!m) throw new WhatIfInputError('--shift-phases', `"${text}" is not MODE:DAYS, e.g. dual-number:-7`);
  const mode = MergeMode.safeParse(m[1]);
  if (!mode.success) {
    throw new WhatIfInputError(
      '--shift-phases',
      `"${m[1]}" is not a merge mode (${MergeMode.options.join(', ')})`,
    );
  }
  return { mode: mode.data, days: Number(m[2]) };
}

/**
 * A draft made from a plan: every dated phase boundary of the lines in `mode` moved by `days`
 * whole days (the plan's zone, Asia/Shanghai, has no daylight saving: a day is 24 h). Open
 * boundaries stay open; everything else is the plan's own (same objects).
 */
export function shiftPhases(plan: RoutingPlan, shift: PhaseShift): RoutingPlan {
  const by = shift.days * DAY_MS;
  const move = (ms: number) => (Number.isFinite(ms) ? ms + by : ms);
  const lines = new Map<string, CompiledLine>();
  for (const [id, line] of plan.lines) {
    if (line.mode !== shift.mode || by === 0) {
      lines.set(id, line);
      continue;
    }
    const phases: CompiledPhase[] = line.phases.map((p) => ({
      ...p,
      fromMs: move(p.fromMs),
      untilMs: move(p.untilMs),
    }));
    lines.set(id, { ...line, phases });
  }
  return {
    ...plan,
    lines,
    linesByNumber: new Map([...lines.values()].map((l) => [l.number, l])),
  };
}

/** How many lines a shift moves. */
export function linesShifted(plan: RoutingPlan, shift: PhaseShift): number {
  return [...plan.lines.values()].filter((l) => l.mode === shift.mode && l.phases.length > 0).length;
}
