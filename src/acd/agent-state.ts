import { type Agent, type AgentStatus, countersOn } from './agent.ts';
import { AcdError, InvalidTransitionError } from './errors.ts';

/**
 * The agent state machine as a pure function: (agent, event, now) → agent | typed error.
 *
 *   logged-out ─login→ ready (or not-ready with a reason) ─reserve→ reserved ─answer→ on-call ─complete→ wrap-up ─(end/expiry)→ ready
 *   not-ready(reason) from ready or not-ready at once; during reserved/on-call/wrap-up it is kept
 *   pending and applied when the reservation, call or wrap-up ends.
 *
 * The Redis store's Lua scripts mirror reserve/renew/answer/release/expiry/complete; the shared
 * store contract tests hold both to the same behaviour.
 */

/**
 * How an offer ended unanswered. rona: rang out (the agent goes not-ready `rona`); busy: the
 * phone refused it busy (486: the agent is likely on another call; the agent stays ready but the
 * device is marked unavailable until the telephony layer sees it free); failed: not the agent's
 * doing; cancelled: the caller left.
 */
export type ReleaseOutcome = 'rona' | 'busy' | 'failed' | 'cancelled';

export type AgentEvent =
  /** With `notReadyReason` the agent starts not-ready (the toolbar's login: 登录), else ready. */
  | { type: 'login'; endpoint: string; notReadyReason?: string }
  | { type: 'ready' }
  | { type: 'not-ready'; reason: string }
  | { type: 'logout' }
  | { type: 'end-wrap-up' }
  | { type: 'device'; available: boolean }
  | { type: 'reserve'; callId: string; queueId: string; engineId: string; until: number }
  | { type: 'renew'; engineId: string; until: number }
  | { type: 'answer' }
  | { type: 'release'; outcome: ReleaseOutcome }
  | { type: 'reservation-expired' }
  | { type: 'complete'; talkSeconds: number; wrapUpSeconds: number }
  | { type: 'wrap-up-expired' };

/** Reason set on an agent who did not answer an offered call (ring-no-answer). */
export const RONA_REASON = 'rona';

/** Reason set on an agent who has just logged in through the API, until they press 就绪. */
export const LOGIN_REASON = '登录';

type Status = AgentStatus;

function withoutCall(s: Status): Status {
  const { callId: _c, queueId: _q, engineId: _e, until: _u, ...rest } = s;
  return rest;
}

/** Leaves a reservation, call or wrap-up: to not-ready if one was asked for, else ready. */
function becomeIdle(s: Status, now: number, keepReadySince: boolean): Status {
  const { pendingNotReady, notReadyReason: _r, readySince: previous, ...base } = withoutCall(s);
  if (pendingNotReady !== undefined) {
    return { ...base, state: 'not-ready', since: now, notReadyReason: pendingNotReady };
  }
  const readySince = keepReadySince && previous !== undefined ? previous : now;
  return { ...base, state: 'ready', since: now, readySince };
}

function ready(s: Status, now: number): Status {
  const { notReadyReason: _r, pendingNotReady: _p, ...base } = withoutCall(s);
  return { ...base, state: 'ready', since: now, readySince: now };
}

function step(s: Status, event: AgentEvent, now: number): Status | AcdError {
  const invalid = () => new InvalidTransitionError(s.state, event.type);
  switch (event.type) {
    case 'login':
      if (s.state !== 'logged-out') return invalid();
      if (event.notReadyReason !== undefined) {
        const { readySince: _r, pendingNotReady: _p, ...base } = withoutCall(s);
        return {
          ...base,
          state: 'not-ready',
          since: now,
          notReadyReason: event.notReadyReason,
          endpoint: event.endpoint,
        };
      }
      return { ...ready(s, now), endpoint: event.endpoint };
    case 'ready':
      if (s.state === 'ready') return s;
      if (s.state === 'not-ready' || s.state === 'wrap-up') return ready(s, now);
      if (s.state === 'reserved' || s.state === 'on-call') {
        const { pendingNotReady: _p, ...rest } = s;
        return rest;
      }
      return invalid();
    case 'not-ready':
      if (s.state === 'ready' || s.state === 'not-ready') {
        const { readySince: _r, ...base } = withoutCall(s);
        return { ...base, state: 'not-ready', since: now, notReadyReason: event.reason };
      }
      if (s.state === 'reserved' || s.state === 'on-call' || s.state === 'wrap-up') {
        return { ...s, pendingNotReady: event.reason };
      }
      return invalid();
    case 'logout':
      if (s.state === 'ready' || s.state === 'not-ready' || s.state === 'wrap-up') {
        const { notReadyReason: _r, pendingNotReady: _p, readySince: _s, ...base } = withoutCall(s);
        return { ...base, state: 'logged-out', since: now };
      }
      return invalid();
    case 'end-wrap-up':
      if (s.state !== 'wrap-up') return invalid();
      return becomeIdle(s, now, false);
    case 'wrap-up-expired':
      if (s.state !== 'wrap-up' || s.until === undefined || s.until > now) return invalid();
      return becomeIdle(s, now, false);
    case 'device':
      return s.deviceAvailable === event.available ? s : { ...s, deviceAvailable: event.available };
    case 'reserve':
      if (s.state !== 'ready') return invalid();
      if (!s.deviceAvailable)
        return new AcdError('device-unavailable', 'the agent softphone is not registered');
      return {
        ...s,
        state: 'reserved',
        since: now,
        callId: event.callId,
        queueId: event.queueId,
        engineId: event.engineId,
        until: event.until,
        lastOfferAt: now,
      };
    case 'renew':
      if (s.state !== 'reserved' || s.engineId !== event.engineId) return invalid();
      return { ...s, until: Math.max(s.until ?? 0, event.until) };
    case 'answer': {
      if (s.state !== 'reserved') return invalid();
      const counters = countersOn(s.counters, now);
      const { until: _u, ...rest } = s;
      return {
        ...rest,
        state: 'on-call',
        since: now,
        counters: { ...counters, callsAnswered: counters.callsAnswered + 1 },
      };
    }
    case 'release':
      if (s.state !== 'reserved') return invalid();
      if (event.outcome === 'rona') {
        const { pendingNotReady: _p, readySince: _r, ...base } = withoutCall(s);
        return { ...base, state: 'not-ready', since: now, notReadyReason: RONA_REASON };
      }
      // Busy is not RONA: no not-ready, but no offer either until the device is free again.
      if (event.outcome === 'busy') return { ...becomeIdle(s, now, false), deviceAvailable: false };
      return becomeIdle(s, now, true);
    case 'reservation-expired':
      if (s.state !== 'reserved' || s.until === undefined || s.until > now) return invalid();
      return becomeIdle(s, now, true);
    case 'complete': {
      if (s.state !== 'on-call') return invalid();
      const counters = countersOn(s.counters, now);
      const after: Status = {
        ...s,
        counters: {
          ...counters,
          talkSeconds: counters.talkSeconds + Math.max(0, event.talkSeconds),
          lastCallEndAt: now,
        },
      };
      if (event.wrapUpSeconds <= 0) return becomeIdle(after, now, false);
      const { engineId: _e, ...rest } = after;
      return { ...rest, state: 'wrap-up', since: now, until: now + event.wrapUpSeconds * 1000 };
    }
  }
}

/** Applies one event to an agent. Returns the new agent, or the error saying why it cannot. */
export function transition(agent: Agent, event: AgentEvent, now: number): Agent | AcdError {
  const next = step(agent.status, event, now);
  if (next instanceof AcdError) return next;
  return next === agent.status ? agent : { ...agent, status: next };
}

/** The automatic event due for an agent at `now` (reservation expiry, end of wrap-up), if any. */
export function dueEvent(agent: Agent, now: number): AgentEvent | undefined {
  const { state, until } = agent.status;
  if (until === undefined || until > now) return undefined;
  if (state === 'reserved') return { type: 'reservation-expired' };
  if (state === 'wrap-up') return { type: 'wrap-up-expired' };
  return undefined;
}
