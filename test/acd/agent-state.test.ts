import { describe, expect, it } from 'vitest';
import type { Agent } from '../../src/acd/agent.ts';
import { type AgentEvent, transition } from '../../src/acd/agent-state.ts';
import { AcdError } from '../../src/acd/errors.ts';
import { agent, T0 } from './helpers.ts';

function run(start: Agent, steps: [AgentEvent, number][]): Agent {
  let current = start;
  for (const [event, at] of steps) {
    const next = transition(current, event, at);
    if (next instanceof AcdError) throw next;
    current = next;
  }
  return current;
}

function errorOf(a: Agent, event: AgentEvent, now = T0): string | undefined {
  const out = transition(a, event, now);
  return out instanceof AcdError ? out.code : undefined;
}

const loggedOut = () =>
  agent('1001', {}, { state: 'logged-out', readySince: undefined, endpoint: undefined });
const reserve = (until = T0 + 20_000): AgentEvent => ({
  type: 'reserve',
  callId: 'call-1',
  queueId: 'general',
  engineId: 'e1',
  until,
});

describe('agent state machine', () => {
  it('logs an agent in as ready on the endpoint given', () => {
    const a = run(loggedOut(), [[{ type: 'login', endpoint: 'PJSIP/agent9' }, T0]]);
    expect(a.status).toMatchObject({ state: 'ready', endpoint: 'PJSIP/agent9', readySince: T0, since: T0 });
  });

  it('goes through a whole call: reserved, on-call, wrap-up, and back to ready when wrap-up expires', () => {
    const a = agent('1001');
    const reserved = run(a, [[reserve(), T0 + 1000]]);
    expect(reserved.status).toMatchObject({
      state: 'reserved',
      callId: 'call-1',
      engineId: 'e1',
      lastOfferAt: T0 + 1000,
    });
    const onCall = run(reserved, [[{ type: 'answer' }, T0 + 5000]]);
    expect(onCall.status.state).toBe('on-call');
    expect(onCall.status.counters.callsAnswered).toBe(1);
    const wrap = run(onCall, [[{ type: 'complete', talkSeconds: 95, wrapUpSeconds: 30 }, T0 + 100_000]]);
    expect(wrap.status).toMatchObject({ state: 'wrap-up', until: T0 + 130_000 });
    expect(wrap.status.counters).toMatchObject({ talkSeconds: 95, lastCallEndAt: T0 + 100_000 });
    expect(errorOf(wrap, { type: 'wrap-up-expired' }, T0 + 129_999)).toBe('invalid-transition');
    const back = run(wrap, [[{ type: 'wrap-up-expired' }, T0 + 130_000]]);
    expect(back.status).toMatchObject({ state: 'ready', readySince: T0 + 130_000 });
    expect(back.status.callId).toBeUndefined();
    expect(back.status.until).toBeUndefined();
  });

  it('goes straight back to ready when the pool has no wrap-up time', () => {
    const a = run(agent('1001'), [
      [reserve(), T0],
      [{ type: 'answer' }, T0],
      [{ type: 'complete', talkSeconds: 10, wrapUpSeconds: 0 }, T0 + 10_000],
    ]);
    expect(a.status).toMatchObject({ state: 'ready', readySince: T0 + 10_000 });
  });

  it('lets the agent end wrap-up early', () => {
    const a = run(agent('1001'), [
      [reserve(), T0],
      [{ type: 'answer' }, T0],
      [{ type: 'complete', talkSeconds: 10, wrapUpSeconds: 60 }, T0 + 10_000],
      [{ type: 'end-wrap-up' }, T0 + 15_000],
    ]);
    expect(a.status).toMatchObject({ state: 'ready', readySince: T0 + 15_000 });
  });

  it('keeps a not-ready request made during a call and applies it when wrap-up ends', () => {
    const onCall = run(agent('1001'), [
      [reserve(), T0],
      [{ type: 'answer' }, T0],
      [{ type: 'not-ready', reason: 'lunch' }, T0 + 1000],
    ]);
    expect(onCall.status).toMatchObject({ state: 'on-call', pendingNotReady: 'lunch' });
    const wrap = run(onCall, [[{ type: 'complete', talkSeconds: 5, wrapUpSeconds: 20 }, T0 + 5000]]);
    expect(wrap.status.state).toBe('wrap-up');
    const after = run(wrap, [[{ type: 'wrap-up-expired' }, T0 + 25_000]]);
    expect(after.status).toMatchObject({ state: 'not-ready', notReadyReason: 'lunch' });
    expect(after.status.pendingNotReady).toBeUndefined();
  });

  it('drops a pending not-ready when the agent asks to be ready again during the call', () => {
    const a = run(agent('1001'), [
      [reserve(), T0],
      [{ type: 'answer' }, T0],
      [{ type: 'not-ready', reason: 'lunch' }, T0],
      [{ type: 'ready' }, T0],
      [{ type: 'complete', talkSeconds: 5, wrapUpSeconds: 0 }, T0 + 5000],
    ]);
    expect(a.status.state).toBe('ready');
  });

  it('sets not-ready at once from ready and from not-ready (changing the reason)', () => {
    const a = run(agent('1001'), [[{ type: 'not-ready', reason: 'meeting' }, T0 + 1]]);
    expect(a.status).toMatchObject({ state: 'not-ready', notReadyReason: 'meeting', since: T0 + 1 });
    const b = run(a, [[{ type: 'not-ready', reason: 'training' }, T0 + 2]]);
    expect(b.status.notReadyReason).toBe('training');
    const c = run(b, [[{ type: 'ready' }, T0 + 3]]);
    expect(c.status).toMatchObject({ state: 'ready', readySince: T0 + 3 });
    expect(c.status.notReadyReason).toBeUndefined();
  });

  it('makes an agent who did not answer not-ready with reason rona', () => {
    const a = run(agent('1001'), [
      [reserve(), T0],
      [{ type: 'release', outcome: 'rona' }, T0 + 20_000],
    ]);
    expect(a.status).toMatchObject({ state: 'not-ready', notReadyReason: 'rona' });
  });

  it('returns an agent to ready with its idle position kept when an offer fails or expires', () => {
    const start = agent('1001', {}, { readySince: T0 - 60_000 });
    const failed = run(start, [
      [reserve(), T0],
      [{ type: 'release', outcome: 'failed' }, T0 + 100],
    ]);
    expect(failed.status).toMatchObject({ state: 'ready', readySince: T0 - 60_000 });
    const expired = run(start, [
      [reserve(T0 + 5000), T0],
      [{ type: 'reservation-expired' }, T0 + 5000],
    ]);
    expect(expired.status).toMatchObject({ state: 'ready', readySince: T0 - 60_000 });
  });

  it('lets only the holding engine renew a reservation', () => {
    const reserved = run(agent('1001'), [[reserve(T0 + 5000), T0]]);
    expect(errorOf(reserved, { type: 'renew', engineId: 'e2', until: T0 + 9000 })).toBe('invalid-transition');
    expect(run(reserved, [[{ type: 'renew', engineId: 'e1', until: T0 + 9000 }, T0]]).status.until).toBe(
      T0 + 9000,
    );
  });

  it('refuses to reserve an agent whose softphone is unregistered', () => {
    const a = agent('1001', {}, { deviceAvailable: false });
    expect(errorOf(a, reserve())).toBe('device-unavailable');
  });

  it('tracks softphone availability in any state', () => {
    const a = run(loggedOut(), [[{ type: 'device', available: false }, T0]]);
    expect(a.status).toMatchObject({ state: 'logged-out', deviceAvailable: false });
  });

  it('starts the daily counters afresh on a new day in Shanghai', () => {
    const yesterday = agent(
      '1001',
      {},
      { counters: { day: '2025-12-31', callsAnswered: 40, talkSeconds: 9000 } },
    );
    const a = run(yesterday, [
      [reserve(), T0],
      [{ type: 'answer' }, T0],
    ]);
    expect(a.status.counters).toEqual({ day: '2026-01-01', callsAnswered: 1, talkSeconds: 0 });
  });

  it.each<[string, Partial<Agent['status']>, AgentEvent]>([
    ['ready while logged out', { state: 'logged-out' }, { type: 'ready' }],
    ['not-ready while logged out', { state: 'logged-out' }, { type: 'not-ready', reason: 'x' }],
    ['a second login', { state: 'ready' }, { type: 'login', endpoint: 'PJSIP/x' }],
    ['logout during a call', { state: 'on-call', callId: 'c' }, { type: 'logout' }],
    ['logout while reserved', { state: 'reserved', callId: 'c' }, { type: 'logout' }],
    ['answer without a reservation', { state: 'ready' }, { type: 'answer' }],
    ['end of wrap-up outside wrap-up', { state: 'ready' }, { type: 'end-wrap-up' }],
    ['a second reservation', { state: 'reserved', callId: 'c' }, reserve()],
    [
      'complete while reserved',
      { state: 'reserved', callId: 'c' },
      { type: 'complete', talkSeconds: 1, wrapUpSeconds: 1 },
    ],
    ['release during a call', { state: 'on-call', callId: 'c' }, { type: 'release', outcome: 'failed' }],
  ])('rejects %s with invalid-transition', (_name, status, event) => {
    expect(errorOf(agent('1001', {}, status), event)).toBe('invalid-transition');
  });

  it('allows logout from ready, not-ready and wrap-up', () => {
    for (const state of ['ready', 'not-ready', 'wrap-up'] as const) {
      const a = run(agent('1001', {}, { state, until: state === 'wrap-up' ? T0 + 1000 : undefined }), [
        [{ type: 'logout' }, T0],
      ]);
      expect(a.status.state).toBe('logged-out');
    }
  });
});
