import {
  agentAnswered,
  agentGone,
  attemptFailed,
  callbackNumber,
  callerAnswered,
  dialCaller,
  policyOf,
} from '../callback-dialing.ts';
import type { CallbackState } from '../callback-state.ts';
import { cancelTimer, log, offerFailed, startTimer, type Turn } from '../kernel.ts';
import { agentOutcomeOf } from '../q850.ts';
import type { CallEvent, CallState, Next } from '../types.ts';
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
