import type { CallbackPolicyRule } from '../../../plan/schema.ts';
import type { CallbackAttempt, CallbackState } from '../callback-state.ts';
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
} from '../kernel.ts';
import { agentOutcomeOf, legFailureOf } from '../q850.ts';
import type { CallEvent, CallState, Next } from '../types.ts';
import { offerFailed } from './offer.ts';
import { say, silence } from './playlist.ts';

/**
 * Call-backs (virtual hold, 回拨): a caller who has waited the queue's `callback.offerAfterSeconds`
 * hears an offer; pressing its key keeps their place in the queue (the ACD entry stays, marked a
 * call-back), a confirmation plays and their channel is hung up. When the ACD reserves an agent
 * for the entry the agent is rung as for any call; once the agent answers, the caller's number is
 * dialled through the outbound trunk (`callback.dial`), up to `attempts` times `retryIntervalSeconds`
 * apart while the agent waits with music; the caller who answers joins the agent in the call's
 * bridge, and the call goes on as any answered call. No answer after the last attempt ends the
 * call (`callback-unanswered`) and releases the agent.
 *
 * `route` is asked first about every event of a call: it answers the events that concern a
 * call-back (`{ next }`) and leaves every other one to the session (undefined).
 */

const CALLBACK_TIMERS = new Set(['callback-offer', 'callback-ring', 'callback-retry']);
/** How soon the offer is tried again when another prompt is playing as it falls due. */
const OFFER_RETRY_MS = 3_000;

/** The queue's call-back policy, when call-backs are on for it. */
function policyOf(s: CallState, t: Turn): CallbackPolicyRule | undefined {
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

/** The caller waits with no channel (pending, or being called back): nothing is played to them. */
export function callerAway(s: CallState): boolean {
  const st = s.callback?.status;
  return st === 'pending' || st === 'dialing' || st === 'retry-wait';
}

/** After the caller joined a queue: the offer is timed from their first entry (kept through overflow). */
export function armOffer(s: CallState, t: Turn): void {
  if (s.callback || s.stage !== 'queued' || !s.queue) return;
  const policy = policyOf(s, t);
  if (!policy || !callbackNumber(s.callerNumber)) return;
  startTimer(s, t, 'callback-offer', s.queue.enqueuedAt + policy.offerAfterSeconds * 1000 - t.now);
}

/** The events a call-back answers; undefined: the session handles the event as for any call. */
export function route(s: CallState, t: Turn, e: CallEvent): { next: Next | undefined } | undefined {
  const cb = s.callback;
  switch (e.kind) {
    case 'timer':
      if (!CALLBACK_TIMERS.has(e.name) && !(e.name === 'announce' && callerAway(s))) return undefined;
      if (s.timers[e.name] !== e.token) return { next: undefined };
      delete s.timers[e.name];
      if (s.timerDue) delete s.timerDue[e.name];
      if (e.name === 'callback-offer') return { next: offerDue(s, t) };
      if (e.name === 'callback-ring' && cb?.channelId)
        t.out.push({ kind: 'hangup', channel: cb.channelId, reason: 'no_answer' });
      if (e.name === 'callback-retry' && cb?.status === 'retry-wait') dialCaller(s, t);
      return { next: undefined };
    case 'dtmf':
      if (cb?.status !== 'offered' || s.stage !== 'queued' || e.channel !== s.callerChannel) return undefined;
      if (e.digit !== cb.key) return undefined;
      log(s, t, 'key', { digit: e.digit });
      return { next: accept(s, t, cb) };
    case 'position':
      return callerAway(s) ? { next: undefined } : undefined;
    case 'agent-reserved':
      // An agent is free while the confirmation still plays: the caller is served at once, as an
      // ordinary call (the session offers it). Once it has played, their hang-up is on its way.
      if (cb?.status === 'confirming' && s.playback) {
        cb.status = 'cancelled';
        log(s, t, 'callback-cancelled', { reason: 'agent-free' });
      }
      return undefined;
    case 'channel-answered':
      if (cb?.status === 'confirming' && s.stage === 'ringing' && s.offer?.channelId === e.channel)
        callerLeft(s, t, cb, s.callerChannel);
      if (cb?.status === 'pending' && s.stage === 'ringing' && s.offer?.channelId === e.channel) {
        agentAnswered(s, t, cb);
        return { next: undefined };
      }
      if (cb?.status === 'dialing' && s.stage === 'dialing' && cb.channelId === e.channel) {
        callerAnswered(s, t, cb);
        return { next: undefined };
      }
      return undefined;
    case 'channel-ended':
      return channelEnded(s, t, e.channel, e.cause, e.lost === true);
    case 'pbx-lost':
      // A waiting call-back has no leg on the node; one being called back lost its agent's leg.
      if (!callerAway(s)) return undefined;
      log(s, t, 'pbx-lost', { node: e.node });
      if (s.callback?.agent) agentGone(s, t);
      return { next: undefined };
    case 'command-failed':
      if (e.command.kind !== 'originate' || !callerAway(s)) return undefined;
      if (e.command.role === 'target' && cb?.channelId === e.command.channelId) {
        attemptFailed(s, t, e.status ?? 0);
        return { next: undefined };
      }
      if (e.command.role === 'agent' && s.offer?.channelId === e.command.channelId) {
        offerFailed(s, t, e.status ?? 0, 'failed');
        return { next: undefined };
      }
      return undefined;
    default:
      return undefined;
  }
}

/** The offer falls due: read out while the caller waits (after any announcement playing now). */
function offerDue(s: CallState, t: Turn): Next | undefined {
  if (s.callback || s.stage !== 'queued') return undefined;
  const policy = policyOf(s, t);
  const number = callbackNumber(s.callerNumber);
  if (!policy || !number) return undefined;
  if (s.playback) {
    startTimer(s, t, 'callback-offer', OFFER_RETRY_MS);
    return undefined;
  }
  s.callback = { status: 'offered', key: policy.key, number, offeredAt: t.now, attempts: [] };
  log(s, t, 'callback-offered', { key: policy.key });
  return say(s, t, ['callback-offer-a', `num-${policy.key}`, 'callback-offer-b'], { kind: 'resume-queue' });
}

/** The caller asked for the call-back: place kept (marked in the ACD), confirmation, then hang-up. */
function accept(s: CallState, t: Turn, cb: CallbackState): Next | undefined {
  silence(s, t);
  s.next = undefined;
  for (const name of ['announce', 'overflow', 'max-wait']) cancelTimer(s, t, name);
  cb.status = 'confirming';
  cb.requestedAt = t.now;
  log(s, t, 'callback-requested');
  t.out.push({ kind: 'mark-callback', requestedAt: t.now });
  return say(s, t, ['callback-confirm'], { kind: 'hangup' });
}

function channelEnded(
  s: CallState,
  t: Turn,
  channel: string,
  cause: number,
  lost: boolean,
): { next: Next | undefined } | undefined {
  const cb = s.callback;
  if (!cb) return undefined;
  if (cb.status === 'confirming' && channel === s.callerChannel) {
    // Hung up after the confirmation (or during it: the call-back is registered either way).
    callerLeft(s, t, cb, channel);
    return { next: undefined };
  }
  if (!callerAway(s)) return undefined;
  if (s.offer?.channelId === channel) {
    // The agent did not take it: released, and the call-back waits on in its place (nothing to announce).
    offerFailed(s, t, cause, lost ? 'failed' : agentOutcomeOf(cause));
    return { next: undefined };
  }
  if (cb.channelId === channel) {
    attemptFailed(s, t, cause);
    return { next: undefined };
  }
  if (cb.agent?.channelId === channel) {
    agentGone(s, t);
    return { next: undefined };
  }
  // The caller's own channel ended long ago (a late or resynchronised end): nothing to do.
  return { next: undefined };
}

/** The caller's channel is gone (or going): the call-back waits in the queue with no channel. */
function callerLeft(s: CallState, t: Turn, cb: CallbackState, channel: string): void {
  cb.status = 'pending';
  cb.firstChannel = channel;
  s.callerChannel = '';
  s.playback = undefined;
  s.playlist = [];
  s.next = undefined;
  cancelTimer(s, t, 'announce');
  if (s.bridgeId) t.out.push({ kind: 'destroy-bridge', bridgeId: s.bridgeId });
  s.bridgeId = undefined;
  log(s, t, 'callback-pending');
}

/** The agent answered: in the call's bridge with music, and the caller's number is dialled. */
function agentAnswered(s: CallState, t: Turn, cb: CallbackState): void {
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
function dialCaller(s: CallState, t: Turn): void {
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
function callerAnswered(s: CallState, t: Turn, cb: CallbackState): void {
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
function attemptFailed(s: CallState, t: Turn, cause: number): void {
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
function agentGone(s: CallState, t: Turn): void {
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
function end(s: CallState, t: Turn, cause: number): void {
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
