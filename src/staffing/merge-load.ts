import type { CompiledLine, RoutingPlan } from '../plan/compile.ts';
import { explain } from '../plan/explain.ts';
import { isOpen } from '../plan/schedule.ts';
import type { PhaseKindName } from '../plan/schema.ts';
import { localDateKey } from '../plan/zoned-time.ts';
import type { StaffingTarget } from './erlang.ts';
import { StaffingInputError } from './errors.ts';
import { type IntervalLoad, type IntervalStaffing, staffInterval } from './interval.ts';
import { epochOf, periodBounds, referenceDay } from './merge-periods.ts';
import type { LineLoad } from './volumes.ts';

/**
 * Merge-date planning: where each line's calls go in each period between the plan's phase
 * boundaries, and what load that puts on 12345's pools and expert seats.
 *
 * - The periods: every `from`/`until` of a phase of a line with a volume cuts the calendar; each
 *   piece is one period (before the first cut, between cuts, after the last).
 * - Each period is judged on one reference day: its first workday (the plan's holiday calendar,
 *   else Monday–Friday), or for the open period before the first cut, the last workday before it
 *   (a plan without phase dates: the first workday from `fallbackDay`).
 *   Expert seats keep office hours, so a workday shows them open; the day is named in the output.
 * - For each hour of that day the line's route is followed at half past (the same `explain` as
 *   `hotline explain`): its calls that hour (calls per day × the hour's share) go to the target the
 *   route ends at. A queue's overflow to another pool (after N seconds of waiting) is not counted:
 *   the load is where calls are queued first.
 * - Pools and expert seats are staffed per hour by Erlang C (and Erlang A with a patience); the AHT
 *   and patience of a target in an hour are the call-weighted means of the lines that reach it.
 */

export interface MergeLoadOptions {
  /** Per line id: its figures (lines without an entry carry no calls). */
  volumes: ReadonlyMap<string, LineLoad>;
  target: StaffingTarget;
  /**
   * Local date (YYYY-MM-DD) to judge a period open at both ends on (a plan whose lines have no
   * phase dates): its first workday from this date.
   */
  fallbackDay?: string;
}

export interface PhaseInEffect {
  /** The line's group, or the line itself when it has its own phases. */
  owner: string;
  phase: string;
  kind: PhaseKindName;
  lines: string[];
}

export interface LineRouting {
  lineId: string;
  number: string;
  name: string;
  callsPerDay: number;
  /** Where its calls go that day (`pool:general`, `expert:legal`, `department:legal`, …) and how many. */
  targets: { target: string; callsPerDay: number }[];
}

export interface HourLoad extends IntervalLoad {
  hour: number;
  staffing: IntervalStaffing;
}

export interface TargetLoad {
  /** `pool:general`, `expert:legal`. */
  target: string;
  name: string;
  callsPerDay: number;
  /** Lines whose calls reach it, with their calls per day here. */
  lines: { lineId: string; callsPerDay: number }[];
  hours: HourLoad[];
  /** The busiest hour (the first of equals). */
  peak: HourLoad;
  /** Σ over the hours of the agents needed: agent-hours per day. */
  agentHoursC: number;
  agentHoursA?: number;
}

export interface MergePeriod {
  /** Inclusive start and exclusive end, local dates; absent when open. */
  from?: string;
  until?: string;
  /** The day the period is judged on. */
  day: string;
  /** Some line is in a `transition` phase (dual answering with the voice prompt). */
  transition: boolean;
  phases: PhaseInEffect[];
  lines: LineRouting[];
  /** 12345's own queues: pools and expert seats. */
  queues: TargetLoad[];
  /** Calls that go elsewhere (department lines, sub-centers, other centers, tickets, announcements). */
  elsewhere: { target: string; name: string; callsPerDay: number }[];
  /** Lines whose targets differ from the previous period's. */
  changes: { lineId: string; before: string[]; after: string[] }[];
}

function targetName(plan: RoutingPlan, kind: string, id: string): string {
  const maps: Record<string, ReadonlyMap<string, { name: string }> | undefined> = {
    pool: plan.pools,
    expert: plan.experts,
    subcenter: plan.subcenters,
    department: plan.departments,
    emergency: plan.emergency,
    center: plan.centers,
  };
  return (
    maps[kind]?.get(id)?.name ?? (kind === 'ticket' ? '派发工单' : kind === 'announcement' ? '放音' : id)
  );
}

type Destination = { target: string; kind: string; id: string; share: number };

/**
 * Which of the plan's schedules are open at an instant: with the line's phase, all a route's
 * choice depends on here (no caller class), so destinations are cached by the two.
 */
function openMask(plan: RoutingPlan, atMs: number): string {
  let mask = '';
  for (const s of plan.schedules.values()) mask += isOpen(s, atMs, plan.center.timezone) ? '1' : '0';
  return mask;
}

/** Where a line's calls go at an instant: targets with the share of the line's calls. */
function destinations(plan: RoutingPlan, line: CompiledLine, load: LineLoad, atMs: number): Destination[] {
  const choices = load.menuShares ?? new Map([['', 1]]);
  return [...choices].map(([digits, share]) => {
    const e = explain(plan, { number: line.number, atMs, ...(digits ? { digits } : {}) });
    if (e.target.kind === 'menu') {
      throw new StaffingInputError(
        `lines.${line.id}.menuShares`,
        `calls to ${line.number} reach menu "${e.target.id}"${digits ? ` after keys ${digits}` : ''}: give the keys callers press and their shares`,
      );
    }
    return { target: `${e.target.kind}:${e.target.id}`, kind: e.target.kind, id: e.target.id, share };
  });
}

function phasesInEffect(plan: RoutingPlan, lineIds: readonly string[], atMs: number): PhaseInEffect[] {
  const out = new Map<string, PhaseInEffect>();
  for (const id of lineIds) {
    const line = plan.lines.get(id)!;
    const phase = line.phases.find((p) => p.fromMs <= atMs && atMs < p.untilMs);
    if (!phase) continue;
    const owner = line.group ?? line.id;
    const key = `${owner}\u0000${phase.id}`;
    const entry = out.get(key) ?? { owner, phase: phase.id, kind: phase.kind, lines: [] };
    entry.lines.push(id);
    out.set(key, entry);
  }
  return [...out.values()];
}

interface Accumulator {
  kind: string;
  id: string;
  calls: number[];
  ahtWeighted: number[];
  patienceWeighted: number[];
  patienceCalls: number[];
  lines: Map<string, number>;
}

function staffTarget(acc: Accumulator, name: string, target: StaffingTarget): TargetLoad {
  const hours: HourLoad[] = acc.calls.map((calls, hour) => {
    const load: IntervalLoad = {
      callsPerHour: calls,
      ahtSeconds: calls > 0 ? acc.ahtWeighted[hour]! / calls : 1,
    };
    // Erlang A only when every call of the hour has a patience (else the mean would be partial).
    const withPatience = acc.patienceCalls[hour]!;
    if (calls > 0 && withPatience >= calls * (1 - 1e-12)) {
      load.patienceSeconds = acc.patienceWeighted[hour]! / withPatience;
    }
    return { hour, ...load, staffing: staffInterval(load, target) };
  });
  const peak = hours.reduce((best, h) => (h.callsPerHour > best.callsPerHour ? h : best), hours[0]!);
  const result: TargetLoad = {
    target: `${acc.kind}:${acc.id}`,
    name,
    callsPerDay: acc.calls.reduce((a, b) => a + b, 0),
    lines: [...acc.lines].map(([lineId, callsPerDay]) => ({ lineId, callsPerDay })),
    hours,
    peak,
    agentHoursC: hours.reduce((s, h) => s + h.staffing.erlangC.agents, 0),
  };
  if (hours.every((h) => h.callsPerHour === 0 || h.staffing.erlangA)) {
    result.agentHoursA = hours.reduce((s, h) => s + (h.staffing.erlangA?.agents ?? 0), 0);
  }
  return result;
}

/** The load on 12345's queues in every period of the plan, given the lines' volumes. */
export function mergeLoad(plan: RoutingPlan, options: MergeLoadOptions): MergePeriod[] {
  for (const id of options.volumes.keys()) {
    if (!plan.lines.has(id)) throw new StaffingInputError(`lines.${id}`, 'no such line in the plan');
  }
  const lineIds = [...options.volumes].filter(([, v]) => v.callsPerDay > 0).map(([id]) => id);
  const tz = plan.center.timezone;
  const periods: MergePeriod[] = [];
  let previous: Map<string, string[]> | undefined;
  const cache = new Map<string, Destination[]>();
  for (const [fromMs, untilMs] of periodBounds(plan, lineIds)) {
    const day = referenceDay(plan, fromMs, untilMs, options.fallbackDay);
    const masks = Array.from({ length: 24 }, (_, hour) => openMask(plan, epochOf(plan, day, hour, 30)));
    const accs = new Map<string, Accumulator>();
    const routings: LineRouting[] = [];
    for (const id of lineIds) {
      const line = plan.lines.get(id)!;
      const load = options.volumes.get(id)!;
      const perTarget = new Map<string, number>();
      for (let hour = 0; hour < 24; hour++) {
        const calls = load.callsPerDay * load.hourly[hour]!;
        if (calls === 0) continue;
        const atMs = epochOf(plan, day, hour, 30);
        const phase = line.phases.find((p) => p.fromMs <= atMs && atMs < p.untilMs)?.id ?? '';
        const key = `${id}\u0000${phase}\u0000${masks[hour]}`;
        let found = cache.get(key);
        if (!found) {
          found = destinations(plan, line, load, atMs);
          cache.set(key, found);
        }
        for (const d of found) {
          const share = calls * d.share;
          perTarget.set(d.target, (perTarget.get(d.target) ?? 0) + share);
          let acc = accs.get(d.target);
          if (!acc) {
            const zero = () => new Array<number>(24).fill(0);
            acc = {
              kind: d.kind,
              id: d.id,
              calls: zero(),
              ahtWeighted: zero(),
              patienceWeighted: zero(),
              patienceCalls: zero(),
              lines: new Map(),
            };
            accs.set(d.target, acc);
          }
          acc.calls[hour]! += share;
          acc.ahtWeighted[hour]! += share * load.ahtSeconds;
          if (load.patienceSeconds !== undefined) {
            acc.patienceWeighted[hour]! += share * load.patienceSeconds;
            acc.patienceCalls[hour]! += share;
          }
          acc.lines.set(id, (acc.lines.get(id) ?? 0) + share);
        }
      }
      routings.push({
        lineId: id,
        number: line.number,
        name: line.name,
        callsPerDay: load.callsPerDay,
        targets: [...perTarget].map(([target, callsPerDay]) => ({ target, callsPerDay })),
      });
    }
    const queues: TargetLoad[] = [];
    const elsewhere: MergePeriod['elsewhere'] = [];
    for (const acc of accs.values()) {
      const name = targetName(plan, acc.kind, acc.id);
      if (acc.kind === 'pool' || acc.kind === 'expert') queues.push(staffTarget(acc, name, options.target));
      else
        elsewhere.push({
          target: `${acc.kind}:${acc.id}`,
          name,
          callsPerDay: acc.calls.reduce((a, b) => a + b, 0),
        });
    }
    queues.sort((a, b) => b.callsPerDay - a.callsPerDay);
    elsewhere.sort((a, b) => b.callsPerDay - a.callsPerDay);
    const noon = epochOf(plan, day, 12);
    const phases = phasesInEffect(plan, lineIds, noon);
    const now = new Map(routings.map((r) => [r.lineId, r.targets.map((t) => t.target).sort()]));
    const changes: MergePeriod['changes'] = [];
    if (previous) {
      for (const [lineId, after] of now) {
        const before = previous.get(lineId) ?? [];
        if (before.join() !== after.join()) changes.push({ lineId, before, after });
      }
    }
    previous = now;
    const period: MergePeriod = {
      day,
      transition: phases.some((p) => p.kind === 'transition'),
      phases,
      lines: routings,
      queues,
      elsewhere,
      changes,
    };
    if (Number.isFinite(fromMs)) period.from = localDateKey(fromMs, tz);
    if (Number.isFinite(untilMs)) period.until = localDateKey(untilMs, tz);
    periods.push(period);
  }
  return periods;
}
