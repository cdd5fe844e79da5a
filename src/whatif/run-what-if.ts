import type {
  DayResult,
  LineRow,
  PoolRow,
  TargetKind,
  TargetRow,
  WhatIfComparison,
  WhatIfOptions,
} from './comparison.ts';
import { defaultStaffing } from './default-staffing.ts';
import { simulateDay } from './simulate-day.ts';

/** Lets other work on the event loop run between the two runs (each run is synchronous). */
const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Replays the day through the live rules and through the draft with the same calls and the same
 * agents, and lines the figures up side by side. The service-level threshold is the live plan's.
 */
export async function runWhatIf(o: WhatIfOptions): Promise<WhatIfComparison> {
  const topics = [...new Set([...o.live.lines.values(), ...o.draft.lines.values()].map((l) => l.topic))];
  const staffing = o.agents ? undefined : defaultStaffing(o.live, o.traffic, topics);
  const roster = o.agents ?? staffing!.roster;
  const serviceLevelSeconds = o.live.center.serviceLevelSeconds;
  await yieldToLoop();
  const live = simulateDay(o.live, o.traffic, roster, { serviceLevelSeconds });
  await yieldToLoop();
  const draft = simulateDay(o.draft, o.traffic, roster, { serviceLevelSeconds });
  return {
    date: o.traffic.date,
    calls: o.traffic.calls.length,
    seed: o.seed ?? 1,
    traffic: o.traffic.source,
    agents: {
      count: roster.length,
      source: o.agents ? 'roster' : 'default',
      note: staffing ? staffing.note : `roster of ${roster.length} agents, all logged in all day`,
    },
    totals: { live: live.totals, draft: draft.totals },
    pools: poolRows(live, draft),
    lines: lineRows(live, draft),
    targets: targetRows(live, draft),
    serviceLevelSeconds,
  };
}

function poolRows(live: DayResult, draft: DayResult): PoolRow[] {
  const keys = [...new Set([...live.queues.keys(), ...draft.queues.keys()])];
  return keys.map((k) => {
    const a = live.queues.get(k);
    const b = draft.queues.get(k);
    const q = (a ?? b)!;
    return { kind: q.kind, id: q.id, name: q.name, live: a?.figures ?? null, draft: b?.figures ?? null };
  });
}

function lineRows(live: DayResult, draft: DayResult): LineRow[] {
  const keys = [...new Set([...live.lines.keys(), ...draft.lines.keys()])];
  return keys.map((k) => {
    const a = live.lines.get(k);
    const b = draft.lines.get(k);
    const l = (a ?? b)!;
    return { id: l.id, number: l.number, name: l.name, live: a?.figures ?? null, draft: b?.figures ?? null };
  });
}

const kindOrder: readonly TargetKind[] = [
  'pool',
  'expert',
  'subcenter',
  'department',
  'emergency',
  'center',
  'ticket',
  'announcement',
];

function targetRows(live: DayResult, draft: DayResult): TargetRow[] {
  const keys = [...new Set([...live.targets.keys(), ...draft.targets.keys()])];
  return keys
    .map((k) => {
      const at = k.indexOf(':');
      return {
        kind: k.slice(0, at) as TargetKind,
        id: k.slice(at + 1),
        live: live.targets.get(k) ?? 0,
        draft: draft.targets.get(k) ?? 0,
      };
    })
    .sort(
      (a, b) =>
        kindOrder.indexOf(a.kind) - kindOrder.indexOf(b.kind) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
    );
}
