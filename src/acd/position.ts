import { compareCalls } from './queue-policy.ts';
import { hasSkill } from './select-agent.ts';
import type { StoreSnapshot } from './store/port.ts';

/** The call whose place is asked for: its queue, and the keys the queue order uses. */
export interface PositionQuery {
  callId: string;
  queueId: string;
  priority: number;
  enqueuedAt: number;
  preferredSkill?: string;
}

export interface QueuePosition {
  /** Calls of the same queue the ACD serves before this one. */
  ahead: number;
  /** (ahead + 1) × today's average talk time of the agents who could take the call ÷ their number;
   *  null when there are none or they answered no call today. */
  expectedWaitSeconds: number | null;
}

/**
 * A caller's place in its queue, from a store snapshot (which may be a few seconds old: the place
 * is counted from the call's own keys, not from its entry in the snapshot).
 *
 * "Ahead" uses the queue order of the dispatch board, `compareCalls` (priority, higher first; then
 * arrival, earlier first; then call id), so the figure cannot disagree with the order in which the
 * ACD picks calls. Calls being offered (ringing an agent) still count: they were picked first and
 * come back to the queue if the offer fails.
 *
 * The wait estimate counts the agents serving the queue (logged in, listed in its pool or expert
 * seat group) who could take this call: with a preferred skill, only those having it, as the board
 * offers such a call to them alone (until the queue's policy widens it).
 */
export function queuePosition(snapshot: StoreSnapshot, call: PositionQuery): QueuePosition {
  let ahead = 0;
  for (const c of snapshot.calls) {
    if (c.queueId === call.queueId && c.callId !== call.callId && compareCalls(c, call) < 0) ahead++;
  }
  let serving = 0;
  let answered = 0;
  let talk = 0;
  for (const a of snapshot.agents) {
    if (a.status.state === 'logged-out') continue;
    if (!a.pools.includes(call.queueId) && !a.expertSeats.includes(call.queueId)) continue;
    if (call.preferredSkill !== undefined && !hasSkill(a, call.preferredSkill)) continue;
    serving++;
    answered += a.status.counters.callsAnswered;
    talk += a.status.counters.talkSeconds;
  }
  if (serving === 0 || answered === 0) return { ahead, expectedWaitSeconds: null };
  return { ahead, expectedWaitSeconds: ((ahead + 1) * (talk / answered)) / serving };
}
