import { calendarDay } from '../plan/calendar.ts';
import type { RoutingPlan } from '../plan/compile.ts';
import { localDateKey, zonedToEpoch } from '../plan/zoned-time.ts';
import { StaffingInputError } from './errors.ts';

/**
 * The periods of merge-date planning: the phase dates of the lines cut the calendar, and each
 * period is judged on one reference day (see merge-load.ts).
 */

function addDays(date: string, n: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

export function isWorkday(plan: RoutingPlan, date: string): boolean {
  const calendar = [...plan.schedules.values()].find((s) => s.calendar)?.calendar;
  const day = calendar ? calendarDay(calendar, date) : undefined;
  if (day) return !day.off;
  const weekday = new Date(`${date}T00:00:00Z`).getUTCDay();
  return weekday >= 1 && weekday <= 5;
}

export function epochOf(plan: RoutingPlan, date: string, hour = 0, minute = 0): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return zonedToEpoch(plan.center.timezone, y, m, d, hour, minute);
}

/** The period's reference day: its first workday, or the last before `until` for an open start. */
export function referenceDay(
  plan: RoutingPlan,
  fromMs: number,
  untilMs: number,
  fallbackDay?: string,
): string {
  const tz = plan.center.timezone;
  if (!Number.isFinite(fromMs) && !Number.isFinite(untilMs)) {
    if (fallbackDay === undefined) {
      throw new StaffingInputError(
        'fallbackDay',
        'the lines have no phase dates: give the day to judge the plan on',
      );
    }
    fromMs = epochOf(plan, fallbackDay);
  } else if (!Number.isFinite(fromMs)) {
    const last = localDateKey(untilMs - 1, tz);
    for (let i = 0; i < 31; i++) if (isWorkday(plan, addDays(last, -i))) return addDays(last, -i);
    return last;
  }
  const first = localDateKey(fromMs, tz);
  for (let i = 0; i < 31; i++) {
    const day = addDays(first, i);
    if (epochOf(plan, day) >= untilMs) break;
    if (isWorkday(plan, day)) return day;
  }
  return first;
}

/** The periods between the phase boundaries of the lines with a volume. */
export function periodBounds(plan: RoutingPlan, lineIds: readonly string[]): [number, number][] {
  const cuts = new Set<number>();
  for (const id of lineIds) {
    for (const p of plan.lines.get(id)!.phases) {
      if (Number.isFinite(p.fromMs)) cuts.add(p.fromMs);
      if (Number.isFinite(p.untilMs)) cuts.add(p.untilMs);
    }
  }
  const sorted = [...cuts].sort((a, b) => a - b);
  const edges = [-Infinity, ...sorted, Infinity];
  return edges.slice(0, -1).map((from, i) => [from, edges[i + 1]!]);
}
