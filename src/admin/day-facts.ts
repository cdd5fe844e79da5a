import type { CallState } from '../calls/core/types.ts';
import type { EngineGroup } from '../calls/runtime/engine-group.ts';
import type { Clock } from '../clock.ts';
import { callFigures, withinServiceLevel } from '../records/call-figures.ts';
import type { DaySlotStore, SlotFact } from './day-slots.ts';

/**
 * The facts of a call the day's slots count, as `callFigures` (records/call-figures.ts) defines
 * them, each at the moment it happened:
 * - arrived (its line), at arrival;
 * - offered, at the first queue entry;
 * - answered, at the first agent's answer, with the wait from the queue and from arrival and
 *   whether each is within the service level (`serviceLevelSeconds` of the plan at that moment);
 * - abandoned, at the end, for an offered call whose caller hung up waiting or while ringing;
 * - every agent answer (`connected`, and an expert seat answering a consultation): what the
 *   agents' daily counters count, so the day's agent answers are the sum of the agents' 今日接听.
 */
export function dayFacts(s: CallState, serviceLevelSeconds: number): SlotFact[] {
  const f = callFigures(s, { serviceLevelSeconds });
  const out: SlotFact[] = [
    { callId: s.id, key: 'arrived', at: f.arrivedAt, add: { arrived: 1 }, line: s.line.id },
  ];
  if (f.offered && f.queuedAt !== undefined)
    out.push({ callId: s.id, key: 'offered', at: f.queuedAt, add: { offered: 1 } });
  if (f.offered && f.answered && f.answeredAt !== undefined) {
    const wait = f.waitMs ?? 0;
    const fromArrival = f.waitFromArrivalMs ?? wait;
    out.push({
      callId: s.id,
      key: 'answered',
      at: f.answeredAt,
      add: {
        answered: 1,
        waitMs: wait,
        waitFromArrivalMs: fromArrival,
        withinServiceLevel: withinServiceLevel(wait, serviceLevelSeconds) ? 1 : 0,
        withinServiceLevelFromArrival: withinServiceLevel(fromArrival, serviceLevelSeconds) ? 1 : 0,
      },
    });
  }
  if (f.ended && f.abandonedWaiting)
    out.push({ callId: s.id, key: 'abandoned', at: f.endedAt, add: { abandoned: 1 } });
  s.events.forEach((e, i) => {
    const agent = e.detail?.agent;
    if ((e.what === 'connected' || e.what === 'transfer-connected') && typeof agent === 'string')
      out.push({ callId: s.id, key: `agent-answer:${i}`, at: e.at, add: { agentAnswers: 1 } });
  });
  return out;
}

/**
 * Follows the engines of the process (its own and those it took over, calls/runtime/engine-group.ts):
 * at each stage of a call, and at its end, counts the call's facts not yet counted. Counting
 * never holds a call up: the store's answer is not awaited, a failure is logged. A call restored
 * after a restart (or taken over by another engine) brings its earlier facts again; the store
 * counts each fact once.
 */
export class DayFactsFeed {
  private readonly sent = new Map<string, Set<string>>();
  private stopped = false;
  private readonly stops: (() => void)[];

  constructor(
    private readonly o: {
      calls: Pick<EngineGroup, 'call' | 'onStage' | 'onEnded' | 'onAgentEvent'>;
      /** The live plan's service level (seconds). */
      serviceLevelSeconds: () => number;
      store: DaySlotStore;
      clock: Clock;
      onError: (err: Error) => void;
    },
  ) {
    this.stops = [
      o.calls.onStage((s) => this.take(s, false)),
      o.calls.onEnded((s) => this.take(s, true)),
      // An expert seat answering a consultation changes no stage: its answer is counted as it happens.
      o.calls.onAgentEvent((e) => {
        const callId = e.detail.callId;
        if (e.event !== 'connected' || typeof callId !== 'string') return;
        const s = o.calls.call(callId);
        if (s) this.take(s, false);
      }),
    ];
  }

  private take(s: CallState, ended: boolean): void {
    if (this.stopped) return;
    let sent = this.sent.get(s.id);
    if (!sent) {
      sent = new Set();
      this.sent.set(s.id, sent);
    }
    for (const fact of dayFacts(s, this.o.serviceLevelSeconds())) {
      if (sent.has(fact.key)) continue;
      sent.add(fact.key);
      this.o.store.count(fact).catch((err: Error) => this.o.onError(err));
    }
    if (ended) this.sent.delete(s.id);
  }

  stop(): void {
    this.stopped = true;
    for (const stop of this.stops) stop();
    this.sent.clear();
  }
}
