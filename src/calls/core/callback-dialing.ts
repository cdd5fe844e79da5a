import type { CallbackPolicyRule } from '../../plan/schema.ts';
import type { CallbackAttempt, CallbackState } from './callback-state.ts';
import {
  cancelAllTimers,
  cancelTimer,
  log,
  nextId,
  notifyAgent,
  queuePolicy,
  RING_GRACE_MS,
  startTimer,
  type Turn,
} from './kernel.ts';
import { legFailureOf } from './q850.ts';
import type { CallState } from './types.ts';

/**
 * The dialling half of a call-back (capabilities/callback.ts takes the offer, the key and the
 * wait): the agent reserved for a pending call-back has answered; the caller's number is dialled
 * through the queue's trunk, retried per policy, and joins the agent, or the call-back ends.
 */

/** The queue's call-back policy, when call-backs are on for it. */
export function policyOf(s: CallState, t: Turn): CallbackPolicyRule | undefined {
  if (!s.queue) return undefined;
  const p = queuePolicy(t, s.queue.kind, s.queue.id).queue.callback;
  return p?.enabled ? p : undefined;
}

/**
 * The number a caller can be called back on: separators removed, a leading `+` dialled as `00`;
 * 3 to 20 digits, else none (a withheld or odd caller id is offered no call-back).
 */
export function callbackNumber(callerNumber: string): string | undefined {
  const n = callerNumber.replace(/[\s\-().]/g, '').replace(/^\+/, '00');
  return /^[0-9]{3,20}$/.test(n) ? n : undefined;
}

/** The endpoint a call-back dials: the policy's trunk with the number in place of `{number}`. */
export function callbackEndpoint(dial: string, number: string): string {
  return dial.replace('{number}', number);
}

/** The agent answered: in the call's bridge with music, and the caller's number is dialled. */
export function agentAnswered(s: CallState, t: Turn, cb: CallbackState): void {
  const offer = s.offer!;
  for (const name of ['announce', 'overflow', 'max-wait', 'ring']) cancelTimer(s, t, name);
  s.offer = undefined;
  cb.agent = { agentId: offer.agentId, channelId: offer.channelId, answeredAt: t.now };
  s.stage = 'dialing';
  s.bridgeId = nextId(s, 'b');
  t.out.push({ kind: 'create-bridge', bridgeId: s.bridgeId, channels: [offer.channelId], moh: true });
  t.out.push({ kind: 'agent-answered', agentId: offer.agentId });
  notifyAgent(s, t, offer.agentId, 'connected', { callback: 'dialing' });
  dialCaller(s, t);
}

/** One attempt to reach the caller on the outbound trunk. */
export function dialCaller(s: CallState, t: Turn): void {
  const cb = s.callback!;
  const policy = policyOf(s, t) ?? fallbackPolicy(s, t);
  const channelId = nextId(s, 'c');
  cb.status = 'dialing';
  cb.channelId = channelId;
  cb.attempts.push({ channelId, startedAt: t.now, result: 'dialing' });
  log(s, t, 'callback-dial', { attempt: cb.attempts.length });
  t.out.push({
    kind: 'originate',
    role: 'target',
    channelId,
    endpoint: callbackEndpoint(policy.dial, cb.number),
    callerId: { name: s.line.name.slice(0, 40), number: s.dialed },
    timeoutSeconds: policy.ringSeconds,
    variables: {
      HOTLINE_CALL_ID: s.id,
      HOTLINE_LINE: s.line.id,
      HOTLINE_CALLBACK: String(cb.attempts.length),
    },
  });
  startTimer(s, t, 'callback-ring', policy.ringSeconds * 1000 + RING_GRACE_MS);
}

/**
 * The queue's policy with call-backs since switched off (a published plan changed): a call-back
 * already under way is finished on the policy's values as they were written.
 */
function fallbackPolicy(s: CallState, t: Turn): CallbackPolicyRule {
  const p = queuePolicy(t, s.queue!.kind, s.queue!.id).queue.callback;
  if (p) return p;
  throw new Error(`queue ${s.queue!.kind}:${s.queue!.id} has no call-back policy`);
}

/** The caller picked up: their leg is the call's caller from now on; they join the agent. */
export function callerAnswered(s: CallState, t: Turn, cb: CallbackState): void {
  const channelId = cb.channelId!;
  cancelTimer(s, t, 'callback-ring');
  const attempt = current(cb)!;
  attempt.result = 'answered';
  attempt.answeredAt = t.now;
  cb.status = 'connected';
  cb.channelId = undefined;
  s.callerChannel = channelId;
  s.stage = 'talking';
  s.disposition = 'answered';
  const agent = { ...cb.agent!, answeredAt: t.now };
  s.agent = agent;
  cb.agent = undefined;
  log(s, t, 'callback-connected', { attempt: cb.attempts.length });
  log(s, t, 'connected', { agent: agent.agentId });
  t.out.push({ kind: 'add-to-bridge', bridgeId: s.bridgeId!, channel: channelId, stopMoh: true });
}

/** How an unanswered attempt ended, from its Q.850 cause (0: the engine gave up ringing). */
function attemptResult(cause: number): CallbackAttempt['result'] {
  if (cause === 0) return 'no-answer';
  const failure = legFailureOf(cause);
  return failure === 'unreachable' ? 'failed' : failure;
}

function current(cb: CallbackState): CallbackAttempt | undefined {
  return cb.attempts[cb.attempts.length - 1];
}

/** An attempt ended unanswered: the next one after the interval, or the end of the call-back. */
export function attemptFailed(s: CallState, t: Turn, cause: number): void {
  const cb = s.callback!;
  cancelTimer(s, t, 'callback-ring');
  const attempt = current(cb);
  if (attempt && attempt.result === 'dialing') {
    attempt.result = attemptResult(cause);
    attempt.endedAt = t.now;
    if (cause) attempt.cause = cause;
  }
  cb.channelId = undefined;
  log(s, t, 'callback-attempt-failed', { attempt: cb.attempts.length, cause });
  const policy = policyOf(s, t) ?? fallbackPolicy(s, t);
  if (cb.attempts.length < policy.attempts) {
    cb.status = 'retry-wait';
    startTimer(s, t, 'callback-retry', policy.retryIntervalSeconds * 1000);
    return;
  }
  cb.status = 'unanswered';
  s.disposition = 'callback-unanswered';
  end(s, t, cause);
}

/**
 * The agent hung up while the caller was being called: the call-back goes back to its place in
 * the queue (the next free agent takes it on, the attempts made still count).
 */
export function agentGone(s: CallState, t: Turn): void {
  const cb = s.callback!;
  const agent = cb.agent!;
  if (cb.channelId) t.out.push({ kind: 'hangup', channel: cb.channelId, reason: 'normal' });
  const attempt = current(cb);
  if (attempt && attempt.result === 'dialing') {
    attempt.result = 'failed';
    attempt.endedAt = t.now;
  }
  cb.channelId = undefined;
  for (const name of ['callback-ring', 'callback-retry']) cancelTimer(s, t, name);
  log(s, t, 'agent-left', { agent: agent.agentId });
  t.out.push({ kind: 'agent-complete', agentId: agent.agentId, talkSeconds: 0 });
  if (s.bridgeId) t.out.push({ kind: 'destroy-bridge', bridgeId: s.bridgeId });
  s.bridgeId = undefined;
  cb.agent = undefined;
  const policy = policyOf(s, t) ?? fallbackPolicy(s, t);
  if (cb.attempts.length >= policy.attempts) {
    cb.status = 'unanswered';
    s.disposition = 'callback-unanswered';
    end(s, t, 0);
    return;
  }
  cb.status = 'pending';
  s.stage = 'queued';
  t.out.push({ kind: 'enqueue', queue: { ...s.queue! } });
  log(s, t, 'queued', {
    queue: `${s.queue!.kind}:${s.queue!.id}`,
    priority: s.queue!.priority,
    callback: true,
  });
}

/** The call-back is over without a conversation: every leg hung up, the agent released, the call ends. */
export function end(s: CallState, t: Turn, cause: number): void {
  const cb = s.callback!;
  if (cb.channelId) t.out.push({ kind: 'hangup', channel: cb.channelId, reason: 'normal' });
  cb.channelId = undefined;
  if (s.stage === 'queued') t.out.push({ kind: 'dequeue' });
  if (s.offer) {
    t.out.push({ kind: 'hangup', channel: s.offer.channelId, reason: 'normal' });
    t.out.push({ kind: 'agent-release', agentId: s.offer.agentId, outcome: 'cancelled' });
  }
  if (cb.agent) {
    t.out.push({ kind: 'hangup', channel: cb.agent.channelId, reason: 'normal' });
    notifyAgent(s, t, cb.agent.agentId, 'ended', { by: 'callback-unanswered' });
    t.out.push({ kind: 'agent-complete', agentId: cb.agent.agentId, talkSeconds: 0 });
    cb.agent = undefined;
  }
  if (s.bridgeId) t.out.push({ kind: 'destroy-bridge', bridgeId: s.bridgeId });
  cancelAllTimers(s, t);
  s.endedAt = t.now;
  s.hangupCause = cause;
  log(s, t, 'ended', { cause, disposition: s.disposition });
  s.stage = 'ended';
  t.out.push({ kind: 'ended' });
}
