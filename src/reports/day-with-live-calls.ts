import { dayFacts } from '../admin/day-facts.ts';
import { type DayCounts, type SlotField, slotOf } from '../admin/day-slots.ts';
import type { CallState } from '../calls/core/types.ts';

/**
 * The wallboard's day when the records database is configured: the ended calls' slots read from
 * it (database-day-slots.ts), plus the facts so far of the calls still live on this engine (their
 * records come at their end), plus the agents' answers (`agentAnswers`, expert consultations
 * included, which the records do not count) from the engines' own slots, at least the slot's
 * answered calls. Pure.
 *
 * A call that has just ended is in neither part until its record is stored (the outbox delivers
 * within moments; while the database is away, the records wait in the outbox).
 */
export function dayWithLiveCalls(
  ended: DayCounts,
  live: readonly CallState[],
  serviceLevelSeconds: number,
  own: DayCounts,
): DayCounts {
  const out = structuredClone(ended);
  for (const call of live) {
    if (call.stage === 'ended' || call.endedAt !== undefined) continue;
    for (const fact of dayFacts(call, serviceLevelSeconds)) {
      const { day, slot } = slotOf(fact.at);
      if (day !== out.day || fact.add.agentAnswers !== undefined) continue;
      const s = out.slots[slot]!;
      for (const [field, n] of Object.entries(fact.add) as [SlotField, number][]) s[field] += n;
      if (fact.line !== undefined) out.lines[fact.line] = (out.lines[fact.line] ?? 0) + 1;
    }
  }
  // Every answered call had an agent's answer: after a restart without Redis the engine's own
  // count starts again from 0, and the slot's answered calls are the better (lower) bound.
  for (const [i, s] of out.slots.entries())
    s.agentAnswers = Math.max(own.slots[i]?.agentAnswers ?? 0, s.answered);
  return out;
}
