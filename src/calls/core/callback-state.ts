/**
 * A call-back (virtual hold) as plain data, kept on the call (`CallState.callback`) so it is
 * saved with the session and survives an engine restart.
 *
 * `status`, in the order a call-back goes through it:
 * - `offered`: the waiting caller heard the offer; the key is taken while they still wait.
 * - `confirming`: they pressed it; the confirmation plays, then their channel is hung up.
 * - `cancelled`: an agent was free before the caller had left: served as an ordinary call.
 * - `pending`: the caller's place is kept in the queue, with no channel (`callerChannel` is `''`).
 *   An agent the ACD reserves is rung as for any call (stage `ringing`).
 * - `dialing`: the agent answered (stage `dialing`, in the call's bridge with music); the
 *   caller's number rings on `channelId`.
 * - `retry-wait`: the caller did not answer; the next attempt follows the policy's interval.
 * - `connected`: the caller answered; their leg is the call's `callerChannel` from then on.
 * - `unanswered`: no attempt was answered; the agent is released and the call ends.
 */
export type CallbackStatus =
  | 'offered'
  | 'confirming'
  | 'cancelled'
  | 'pending'
  | 'dialing'
  | 'retry-wait'
  | 'connected'
  | 'unanswered';

/** One call to the caller's number and how it ended. */
export interface CallbackAttempt {
  channelId: string;
  startedAt: number;
  answeredAt?: number;
  endedAt?: number;
  /** `no-answer`, `busy`, `failed` (unreachable, refused); `answered` once they picked up. */
  result: 'dialing' | 'answered' | 'no-answer' | 'busy' | 'failed';
  /** Q.850 cause of an attempt that failed. */
  cause?: number;
}

export interface CallbackState {
  status: CallbackStatus;
  /** The key that asks for the call-back (the queue's policy when it was offered). */
  key: string;
  /** The number called back: the caller's number as dialled on the outbound trunk. */
  number: string;
  offeredAt: number;
  requestedAt?: number;
  /** The channel the caller called in on, hung up after the confirmation. */
  firstChannel?: string;
  /** The leg ringing the caller now (status `dialing`). */
  channelId?: string;
  /**
   * The agent who answered to call the caller back (statuses `dialing`, `retry-wait`): the call's
   * `agent` only once the caller answers, so the call counts as answered from then on.
   */
  agent?: { agentId: string; channelId: string; answeredAt: number };
  attempts: CallbackAttempt[];
}
