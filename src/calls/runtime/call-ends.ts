import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../../clock.ts';
import type { CallState } from '../core/types.ts';
import type { RecordEmitter } from './record-emitter.ts';
import { legsOf } from './registry.ts';
import { type SessionStore, TOMBSTONE_TTL_MS } from './session-store.ts';
import type { Tombstones } from './tombstones.ts';

/**
 * The durable steps of a call's end, in this order: `ending` (about to keep its final state),
 * `ending-saved` (the session store has it: a restart completes the call rather than resume it),
 * `record-written` (the sink has the record durably), `tombstoned` (the session is replaced by
 * the tombstone of the call's ids).
 */
export type EndStep = 'ending' | 'ending-saved' | 'record-written' | 'tombstoned';

export interface CallEndsParts {
  sessions: SessionStore;
  emitter: RecordEmitter;
  tombstones: Tombstones;
  clock: Clock;
  logger: Logger;
}

const FIRST_RETRY_MS = 1_000;
const MAX_RETRY_MS = 60_000;

/** The ids a call's tombstone carries: the call's and every channel it owned. */
export function idsOf(state: CallState, channels: Iterable<string> = []): string[] {
  const ids = new Set<string>([state.id, ...channels]);
  for (const ch of legsOf(state)) if (ch) ids.add(ch);
  return [...ids];
}

/**
 * Completes ended calls so that each has exactly one record: the final state is kept first, the
 * record written, then the session replaced by a tombstone. A step that fails is retried (from
 * that step) with a backoff of 1 s doubling to 60 s, until it succeeds or the engine stops: a call
 * is never dropped while it has no record. The ids are tombstoned in memory at once, so no
 * listing or late event starts the call again meanwhile.
 */
export class CallEnds {
  readonly stepListeners: ((callId: string, step: EndStep) => void)[] = [];
  /** Calls whose end is not yet complete, with the retry waiting (if any). */
  private readonly open = new Map<string, { timer?: TimerHandle }>();
  private stopped = false;

  constructor(private readonly p: CallEndsParts) {}

  /** Calls whose end is still being written. */
  get pending(): number {
    return this.open.size;
  }

  /** Ends `state` durably (it is `ended`); `channels`: every channel the call owned. */
  complete(state: CallState, channels: Iterable<string> = []): void {
    // Once stopped, an end is still written; only its retries are left to the next run.
    if (this.open.has(state.id)) return;
    const ids = idsOf(state, channels);
    const expiresAt = this.p.clock.now() + TOMBSTONE_TTL_MS;
    this.p.tombstones.add(ids, expiresAt);
    this.open.set(state.id, {});
    this.step(state.id, 'ending');
    this.attempt(state, ids, expiresAt, this.p.sessions.durable ? 'ending' : 'ending-saved', 0);
  }

  /** No more retries (the engine stops; a restart completes what is left, from its ending mark). */
  stop(): void {
    this.stopped = true;
    for (const o of this.open.values()) o.timer?.cancel();
  }

  private step(callId: string, step: EndStep): void {
    for (const l of this.stepListeners) l(callId, step);
  }

  /** Runs the steps from `from`; a failure schedules the same step again. */
  private attempt(state: CallState, ids: string[], expiresAt: number, from: EndStep, tries: number): void {
    const { sessions, emitter } = this.p;
    let at = from;
    const run = async () => {
      if (at === 'ending') {
        await sessions.ending(state);
        at = 'ending-saved';
        this.step(state.id, at);
      }
      if (at === 'ending-saved') {
        await emitter.record(state);
        at = 'record-written';
        this.step(state.id, at);
      }
      await sessions.tombstone(state.id, ids, expiresAt);
      this.open.delete(state.id);
      this.step(state.id, 'tombstoned');
    };
    run().catch((err) => {
      const entry = this.open.get(state.id);
      if (this.stopped || !entry) return;
      const ms = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** tries);
      this.p.logger.warn(
        { callId: state.id, step: at, retryInMs: ms, err: (err as Error).message },
        'the end of a call could not be written: retrying',
      );
      entry.timer = this.p.clock.after(ms, () => this.attempt(state, ids, expiresAt, at, tries + 1));
    });
  }
}
