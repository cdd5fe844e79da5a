import { shanghaiDay } from '../acd/agent.ts';

/**
 * Today's call figures in 15-minute slots, the wallboard's source for the day's KPIs and its
 * trend chart. The day is the one the agents' daily counters use (`shanghaiDay`, Asia/Shanghai),
 * so "today" means the same on every figure of the board. Each fact of a call (it arrived, was
 * offered to the agents, answered, abandoned; each agent answer) is counted once, in the slot
 * of the moment it happened, as it happens: a call still in progress counts already.
 */
export const SLOT_MINUTES = 15;
export const SLOT_MS = SLOT_MINUTES * 60_000;
export const SLOTS_PER_DAY = (24 * 60) / SLOT_MINUTES;
const SHANGHAI_OFFSET_MS = 8 * 3_600_000;

/** What a slot counts. Waits are summed in ms (the mean is the sum over `answered`). */
export const slotFields = [
  /** Calls that reached the hotline (呼入). */
  'arrived',
  /** Calls that entered an agent queue (转人工): the denominator of the rates. */
  'offered',
  /** Offered calls an agent answered (the first answer of the call). */
  'answered',
  /** Offered calls whose caller hung up waiting in a queue or while an agent's phone rang. */
  'abandoned',
  /** Answered within the service level of entering the queue. */
  'withinServiceLevel',
  /** Answered within the service level of arriving (prompts and menus included). */
  'withinServiceLevelFromArrival',
  /** Sum of the answered calls' waits from the first queue entry, ms. */
  'waitMs',
  /** Sum of the answered calls' waits from arrival, ms. */
  'waitFromArrivalMs',
  /** Every answer by an agent: the first one and the expert seats' consultations (the agents' 今日接听). */
  'agentAnswers',
] as const;
export type SlotField = (typeof slotFields)[number];
export type SlotCounts = Record<SlotField, number>;

export const emptySlot = (): SlotCounts => Object.fromEntries(slotFields.map((f) => [f, 0])) as SlotCounts;

/** One day's counters: `slots[i]` is the i-th quarter hour from local midnight. */
export interface DayCounts {
  day: string;
  slots: SlotCounts[];
  /** Calls that arrived today, by line id. */
  lines: Record<string, number>;
}

export const emptyDay = (day: string): DayCounts => ({
  day,
  slots: Array.from({ length: SLOTS_PER_DAY }, emptySlot),
  lines: {},
});

/** The day (Asia/Shanghai) and the quarter hour of that day an instant falls in. */
export function slotOf(at: number): { day: string; slot: number } {
  const local = at + SHANGHAI_OFFSET_MS;
  const msOfDay = ((local % 86_400_000) + 86_400_000) % 86_400_000;
  return { day: shanghaiDay(at), slot: Math.floor(msOfDay / SLOT_MS) };
}

/** `HH:MM`, the local start of a slot. */
export function slotStart(slot: number): string {
  const minutes = slot * SLOT_MINUTES;
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

/**
 * One fact of one call: `key` names it within the call (`offered`, `agent-answer:3`…) so that
 * counting it again (the call's next stage, a restart that restores the call, another engine
 * taking it over) changes nothing.
 */
export interface SlotFact {
  callId: string;
  key: string;
  at: number;
  add: Partial<SlotCounts>;
  /** The line of an `arrived` fact. */
  line?: string;
}

/** Where the slots are kept: this process's memory, or Redis (shared by the engines, kept across restarts). */
export interface DaySlotStore {
  /** Counts the fact, unless this call's fact of that key was counted already. */
  count(fact: SlotFact): Promise<void>;
  read(day: string): Promise<DayCounts>;
}

/** The slots in memory: this engine's calls since it started; lost on restart. */
export class MemoryDaySlots implements DaySlotStore {
  private readonly days = new Map<string, { counts: DayCounts; counted: Set<string> }>();

  async count(fact: SlotFact): Promise<void> {
    this.countNow(fact);
  }

  /** `count`, at once (the store is in memory). */
  countNow(fact: SlotFact): void {
    const { day, slot } = slotOf(fact.at);
    let d = this.days.get(day);
    if (!d) {
      d = { counts: emptyDay(day), counted: new Set() };
      this.days.set(day, d);
      // Yesterday is kept for the calls that straddle midnight; older days go.
      for (const key of [...this.days.keys()].sort().slice(0, -2)) this.days.delete(key);
    }
    const member = `${fact.callId}|${fact.key}`;
    if (d.counted.has(member)) return;
    d.counted.add(member);
    const s = d.counts.slots[slot]!;
    for (const [field, n] of Object.entries(fact.add) as [SlotField, number][]) s[field] += n;
    if (fact.line !== undefined) d.counts.lines[fact.line] = (d.counts.lines[fact.line] ?? 0) + 1;
  }

  async read(day: string): Promise<DayCounts> {
    return structuredClone(this.days.get(day)?.counts ?? emptyDay(day));
  }
}
