import { parseRef } from '../../../plan/ref.ts';
import type { QueueStep } from '../../../plan/route-step.ts';
import { sayNumber } from '../../../prompts/say-number.ts';
import {
  cancelTimer,
  holdInBridge,
  log,
  queuePolicy,
  RING_GRACE_MS,
  startTimer,
  type Turn,
} from '../kernel.ts';
import type { CallState, Next } from '../types.ts';
import { followFrom, say, silence } from './playlist.ts';

/** Waiting for an agent: the queue, the position announcements, and the overflow and longest-wait timers. */

/** The caller joins a queue: into a bridge with music on hold, the ACD is told, escalation timers start. */
export function enterQueue(s: CallState, t: Turn, step: QueueStep): void {
  const policy = queuePolicy(t, step.queue, step.id).queue;
  s.stage = 'queued';
  s.queue = {
    kind: step.queue,
    id: step.id,
    skill: step.skill,
    priority: step.priority,
    enqueuedAt: s.queue?.enqueuedAt ?? t.now,
  };
  s.queuedAt = t.now;
  holdInBridge(s, t);
  t.out.push({ kind: 'enqueue', queue: { ...s.queue } });
  log(s, t, 'queued', { queue: `${step.queue}:${step.id}`, priority: step.priority });
  if (policy.announceEverySeconds > 0) startTimer(s, t, 'announce', policy.announceEverySeconds * 1000);
  if (policy.overflowAfterSeconds !== undefined)
    startTimer(s, t, 'overflow', policy.overflowAfterSeconds * 1000);
  startTimer(s, t, 'max-wait', policy.maxWaitSeconds * 1000);
}

/** Stops the queue timers; `dequeue` also takes the call out of the ACD (not needed once an agent answered). */
export function leaveQueue(s: CallState, t: Turn, dequeue: boolean): void {
  for (const name of ['announce', 'overflow', 'max-wait', 'ring']) cancelTimer(s, t, name);
  if (dequeue) t.out.push({ kind: 'dequeue' });
}

export function announceDue(s: CallState, t: Turn): void {
  if (s.stage !== 'queued' || s.playback) return rearmAnnounce(s, t);
  t.out.push({ kind: 'ask-position' });
}

/** The next position announcement, while the caller waits (again, after an offer failed). */
export function rearmAnnounce(s: CallState, t: Turn): void {
  if (s.stage !== 'queued' || !s.queue) return;
  const policy = queuePolicy(t, s.queue.kind, s.queue.id).queue;
  if (policy.announceEverySeconds > 0) startTimer(s, t, 'announce', policy.announceEverySeconds * 1000);
}

/** Reads out the caller's place in the queue and the expected wait, between spells of music. */
export function announcePosition(
  s: CallState,
  t: Turn,
  ahead: number,
  expectedWaitSeconds: number | null,
): Next | undefined {
  if (s.stage !== 'queued' || s.playback) {
    rearmAnnounce(s, t);
    return undefined;
  }
  const prompts: string[] = [];
  if (ahead <= 0 || ahead > 9999) prompts.push('queue-hold');
  else prompts.push('queue-position', ...sayNumber(ahead, { quantity: true }), 'queue-position-unit');
  if (expectedWaitSeconds !== null && ahead > 0) {
    const minutes = Math.max(1, Math.min(9999, Math.round(expectedWaitSeconds / 60)));
    prompts.push('queue-wait', ...sayNumber(minutes, { quantity: true }), 'queue-wait-unit');
  }
  const next = say(s, t, prompts, { kind: 'resume-queue' });
  rearmAnnounce(s, t);
  return next;
}

/** The overflow wait passed: on to the queue or center the policy names. */
export function overflowDue(s: CallState, t: Turn): Next | undefined {
  if (!s.queue) return undefined;
  if (s.stage === 'ringing') {
    startTimer(s, t, 'overflow', RING_GRACE_MS);
    return undefined;
  }
  if (s.stage !== 'queued') return undefined;
  const policy = queuePolicy(t, s.queue.kind, s.queue.id).queue;
  const ref = parseRef(policy.overflowTo ?? '');
  if (typeof ref === 'string') return undefined;
  leaveQueue(s, t, true);
  if (s.playback) silence(s, t);
  log(s, t, 'overflow', { from: `${s.queue.kind}:${s.queue.id}`, to: `${ref.kind}:${ref.id}` });
  return followFrom(s, t, { prompts: [], target: ref, skill: s.queue.skill, priority: s.queue.priority });
}

/** The longest wait passed: the caller is told a ticket is made for a call-back. */
export function maxWaitDue(s: CallState, t: Turn): Next | undefined {
  if (s.stage === 'ringing') {
    startTimer(s, t, 'max-wait', RING_GRACE_MS);
    return undefined;
  }
  if (s.stage !== 'queued') return undefined;
  leaveQueue(s, t, true);
  if (s.playback) silence(s, t);
  if (s.bridgeId) t.out.push({ kind: 'bridge-moh', bridgeId: s.bridgeId, on: false });
  s.stage = 'closing';
  s.disposition = 'ticketed';
  s.ticketReason = 'max-wait';
  log(s, t, 'max-wait');
  return say(s, t, ['ticket-created'], { kind: 'hangup' });
}
