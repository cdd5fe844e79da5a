import { describe, expect, it } from 'vitest';
import type { Agent } from '../../src/acd/agent.ts';
import { DispatchBoard } from '../../src/acd/dispatch-board.ts';
import type { QueuedCall, QueuePolicy } from '../../src/acd/queue-policy.ts';
import { skillStage } from '../../src/acd/select-agent.ts';
import { agent, call, policy, T0 } from './helpers.ts';

function choose(p: QueuePolicy, agents: Agent[], c: QueuedCall, now = T0 + 1000): string | undefined {
  return DispatchBoard.from([p], agents, [c], now).bestAgentFor(c, now)?.agentId;
}

const counters = (callsAnswered: number, talkSeconds: number, lastCallEndAt?: number) => ({
  day: '2026-01-01',
  callsAnswered,
  talkSeconds,
  ...(lastCallEndAt === undefined ? {} : { lastCallEndAt }),
});

describe('agent selection strategies', () => {
  it('longest-idle picks the agent ready for the longest time', () => {
    const agents = [
      agent('a', {}, { readySince: T0 - 10_000 }),
      agent('b', {}, { readySince: T0 - 50_000 }),
      agent('c', {}, { readySince: T0 - 20_000 }),
    ];
    expect(choose(policy('general'), agents, call('x'))).toBe('b');
  });

  it('longest-idle breaks ties by agent id', () => {
    const agents = [agent('b'), agent('a')];
    expect(choose(policy('general'), agents, call('x'))).toBe('a');
  });

  it('fewest-calls picks the agent with fewest calls answered today, then least talk time', () => {
    const p = policy('general', { strategy: 'fewest-calls' });
    const agents = [
      agent('a', {}, { counters: counters(5, 100), readySince: T0 - 99_000 }),
      agent('b', {}, { counters: counters(3, 900) }),
      agent('c', {}, { counters: counters(3, 400) }),
    ];
    expect(choose(p, agents, call('x'))).toBe('c');
  });

  it('fewest-calls ignores yesterday’s counters', () => {
    const p = policy('general', { strategy: 'fewest-calls' });
    const agents = [
      agent('a', {}, { counters: { day: '2025-12-31', callsAnswered: 50, talkSeconds: 9000 } }),
      agent('b', {}, { counters: counters(1, 10) }),
    ];
    expect(choose(p, agents, call('x'))).toBe('a');
  });

  it('fewest-calls prefers the agent whose last call ended earliest when counts and talk time tie', () => {
    const p = policy('general', { strategy: 'fewest-calls' });
    const agents = [
      agent('a', {}, { counters: counters(2, 60, T0 - 1000) }),
      agent('b', {}, { counters: counters(2, 60, T0 - 9000) }),
    ];
    expect(choose(p, agents, call('x'))).toBe('b');
  });

  it('skill-level picks the best level in the preferred skill, ties by idle time', () => {
    const p = policy('general', { strategy: 'skill-level' });
    const agents = [
      agent('a', { skills: { tax: 5 } }, { readySince: T0 - 90_000 }),
      agent('b', { skills: { tax: 9 } }, { readySince: T0 - 10_000 }),
      agent('c', { skills: { tax: 9 } }, { readySince: T0 - 30_000 }),
      agent('d', { skills: { social: 10 } }, { readySince: T0 - 99_000 }),
    ];
    expect(choose(p, agents, call('x', { preferredSkill: 'tax' }))).toBe('c');
  });

  it('skill-level falls back to the longest idle agent for a call without a preferred skill', () => {
    const p = policy('general', { strategy: 'skill-level' });
    const agents = [
      agent('a', { skills: { tax: 9 } }, { readySince: T0 }),
      agent('b', {}, { readySince: T0 - 5 }),
    ];
    expect(choose(p, agents, call('x'))).toBe('b');
  });

  it('round-robin picks the agent offered a call least recently, never-offered agents first', () => {
    const p = policy('general', { strategy: 'round-robin' });
    const agents = [
      agent('a', {}, { lastOfferAt: T0 - 1000, readySince: T0 - 90_000 }),
      agent('b', {}, { lastOfferAt: T0 - 5000 }),
      agent('c', {}, { lastOfferAt: T0 - 3000 }),
    ];
    expect(choose(p, agents, call('x'))).toBe('b');
    expect(choose(p, [...agents, agent('d')], call('x'))).toBe('d');
  });

  it('round-robin rotates through the pool as offers are made', () => {
    const p = policy('general', { strategy: 'round-robin' });
    let agents = [agent('a'), agent('b'), agent('c')];
    const picks: string[] = [];
    for (let i = 0; i < 6; i++) {
      const now = T0 + 1000 * (i + 1);
      const id = choose(p, agents, call(`x${i}`), now)!;
      picks.push(id);
      agents = agents.map((a) => (a.id === id ? { ...a, status: { ...a.status, lastOfferAt: now } } : a));
    }
    expect(picks).toEqual(['a', 'b', 'c', 'a', 'b', 'c']);
  });

  it('never picks an agent who is not ready or whose softphone is unregistered', () => {
    const agents = [
      agent('a', {}, { readySince: T0 - 90_000, deviceAvailable: false }),
      agent('b', {}, { state: 'not-ready', readySince: undefined }),
      agent('c', {}, { state: 'wrap-up' }),
      agent('d', {}, { state: 'on-call' }),
      agent('e', {}, { readySince: T0 }),
    ];
    expect(choose(policy('general'), agents, call('x'))).toBe('e');
  });

  it('only picks agents listed in the pool and having one of the queue skills', () => {
    const p = policy('general', { skills: ['tax', 'customs'] });
    const agents = [
      agent('a', { pools: ['other'], skills: { tax: 9 } }, { readySince: T0 - 90_000 }),
      agent('b', { skills: { social: 9 } }, { readySince: T0 - 80_000 }),
      agent('c', { skills: { customs: 1 } }, { readySince: T0 }),
    ];
    expect(choose(p, agents, call('x'))).toBe('c');
  });

  it('staffs an expert seat queue only with agents of that expert seat group', () => {
    const p = policy('expert-12333', { kind: 'expert' });
    const agents = [
      agent('a', { pools: ['expert-12333'] }, { readySince: T0 - 90_000 }),
      agent('b', { pools: [], expertSeats: ['expert-12333'], department: '12333' }),
    ];
    expect(choose(p, agents, call('x', { queueId: 'expert-12333' }))).toBe('b');
  });
});

describe('skill widening', () => {
  const widening = policy('general', {
    widenAfterSeconds: 30,
    overflowAfterSeconds: 90,
    overflowTo: 'center-provincial',
    maxWaitSeconds: 180,
  });

  it('widens exactly at the boundary, counted from the time the call entered the queue', () => {
    const c = call('c1', { enqueuedAt: T0 + 5000, preferredSkill: 'tax' });
    expect(skillStage(c, widening, T0 + 34_999)).toBe('preferred');
    expect(skillStage(c, widening, T0 + 35_000)).toBe('widened');
    // Overflow and max-wait belong to the call's timers: the ACD keeps the call widened.
    expect(skillStage(c, widening, T0 + 500_000)).toBe('widened');
  });

  it('never widens when the policy does not say when', () => {
    const p = policy('general', { overflowAfterSeconds: 60, overflowTo: 'x', maxWaitSeconds: 120 });
    expect(skillStage(call('c1', { preferredSkill: 'tax' }), p, T0 + 3_600_000)).toBe('preferred');
  });
});
