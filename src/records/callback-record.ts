import type { CallbackState } from '../calls/core/callback-state.ts';
import type { CallbackRecord } from './schema.ts';

const iso = (ms: number) => new Date(ms).toISOString();

/** What the call record says of a call's call-back (capabilities/callback.ts): when, each attempt, how it ended. */
export function callbackRecord(cb: CallbackState): CallbackRecord {
  return {
    offeredAt: iso(cb.offeredAt),
    ...(cb.requestedAt !== undefined ? { requestedAt: iso(cb.requestedAt) } : {}),
    attempts: cb.attempts.map((a) => ({
      startedAt: iso(a.startedAt),
      ...(a.answeredAt !== undefined ? { answeredAt: iso(a.answeredAt) } : {}),
      ...(a.endedAt !== undefined ? { endedAt: iso(a.endedAt) } : {}),
      result: a.result,
      ...(a.cause !== undefined ? { cause: a.cause } : {}),
    })),
    outcome: outcomeOf(cb),
  };
}

function outcomeOf(cb: CallbackState): CallbackRecord['outcome'] {
  switch (cb.status) {
    case 'connected':
    case 'unanswered':
    case 'cancelled':
      return cb.status;
    case 'offered':
      return 'not-taken';
    default:
      return 'pending';
  }
}
