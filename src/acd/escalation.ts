import type { QueuePolicy, WaitingCall } from './queue-policy.ts';

/**
 * Escalation of a waiting call, a pure function of (call, queue policy, now):
 *   preferred  only agents with the call's preferred skill (any pool agent if it has none)
 *   widened    after `widenAfterSeconds`: any agent of the queue
 *   overflow   after `overflowAfterSeconds`: the engine transfers it to `overflowTo` (another center)
 *   max-wait   after `maxWaitSeconds`: the engine turns it into a ticket
 * Each boundary is inclusive: at exactly `enqueuedAt + N s` the call is in the later stage.
 */
export type EscalationStage = 'preferred' | 'widened' | 'overflow' | 'max-wait';

export interface Escalation {
  stage: EscalationStage;
  /** When the current stage began (ms). */
  since: number;
  /** When the next stage begins (ms), if any: the engine re-runs dispatch then. */
  nextAt?: number;
  /** The overflow target (stage `overflow`). */
  overflowTo?: string;
}

export function escalate(call: WaitingCall, policy: QueuePolicy, now: number): Escalation {
  const at = (seconds: number | undefined) =>
    seconds === undefined ? undefined : call.enqueuedAt + seconds * 1000;
  const maxAt = call.enqueuedAt + policy.maxWaitSeconds * 1000;
  const overflowAt = policy.overflowTo === undefined ? undefined : at(policy.overflowAfterSeconds);
  const widenAt = at(policy.widenAfterSeconds);
  const next = (...times: (number | undefined)[]) => {
    let soonest = maxAt;
    for (const t of times) if (t !== undefined && t > now && t < soonest) soonest = t;
    return soonest;
  };
  if (now >= maxAt) return { stage: 'max-wait', since: maxAt };
  if (overflowAt !== undefined && now >= overflowAt) {
    return { stage: 'overflow', since: overflowAt, nextAt: maxAt, overflowTo: policy.overflowTo };
  }
  if (widenAt !== undefined && now >= widenAt)
    return { stage: 'widened', since: widenAt, nextAt: next(overflowAt) };
  return { stage: 'preferred', since: call.enqueuedAt, nextAt: next(widenAt, overflowAt) };
}

/** Whether a call at this stage may still be offered to an agent of its queue. */
export function isOfferableStage(stage: EscalationStage): stage is 'preferred' | 'widened' {
  return stage === 'preferred' || stage === 'widened';
}
