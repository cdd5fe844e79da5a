/**
 * Q.850 hangup causes: the one table the engine reads them from. A leg's cause says how an
 * attempt to reach someone ended; the session, the call records and the agent's outcome all
 * take their meaning from here.
 */

/** How a leg that never answered failed. */
export type LegFailure = 'busy' | 'no-answer' | 'unreachable' | 'failed';

/** What the end of a ringing agent leg means for the agent (see `agentOutcomeOf`). */
export type RingOutcome = 'cancelled' | 'busy' | 'rona';

interface CauseMeaning {
  name: string;
  /** A transfer or IVR leg that ended with this cause before answering. */
  failure: LegFailure;
}

const causes: ReadonlyMap<number, CauseMeaning> = new Map([
  [1, { name: 'unallocated number', failure: 'unreachable' }],
  [3, { name: 'no route to destination', failure: 'unreachable' }],
  [16, { name: 'normal clearing', failure: 'no-answer' }],
  [17, { name: 'user busy', failure: 'busy' }],
  [18, { name: 'no user responding', failure: 'unreachable' }],
  [19, { name: 'no answer', failure: 'no-answer' }],
  [20, { name: 'subscriber absent', failure: 'unreachable' }],
  [21, { name: 'call rejected', failure: 'busy' }],
  [27, { name: 'destination out of order', failure: 'unreachable' }],
  [34, { name: 'no circuit available', failure: 'unreachable' }],
  [38, { name: 'network out of order', failure: 'unreachable' }],
]);

/** Cause 16: cleared normally (a hang-up, or an originate the engine itself ended). */
export const CAUSE_NORMAL = 16;
/** Cause 17: the phone answered 486 Busy Here (ARI dial status BUSY). */
export const CAUSE_USER_BUSY = 17;

/** How a leg that ended before answering failed, from its cause (unknown causes: `failed`). */
export function legFailureOf(cause: number | undefined): LegFailure {
  return (cause !== undefined ? causes.get(cause)?.failure : undefined) ?? 'failed';
}

/** The cause's name for logs and records (`cause 99` when the table does not know it). */
export function causeName(cause: number): string {
  return causes.get(cause)?.name ?? `cause ${cause}`;
}

/**
 * What the end of a ringing agent channel means: 16 cancelled (the engine or the caller ended
 * it); 17 busy (the phone is in use: not the agent's fault, not RONA); anything else (no answer,
 * rang out, unreachable) RONA.
 */
export function agentOutcomeOf(cause: number): RingOutcome {
  if (cause === CAUSE_NORMAL) return 'cancelled';
  if (cause === CAUSE_USER_BUSY) return 'busy';
  return 'rona';
}
