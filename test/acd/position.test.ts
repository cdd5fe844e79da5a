import { describe, expect, it } from 'vitest';
import type { Agent } from '../../src/acd/agent.ts';
import { queuePosition } from '../../src/acd/position.ts';
import { compareCalls, type QueuedCall } from '../../src/acd/queue-policy.ts';
import { agent, call, T0 } from './helpers.ts';

const day = '2026-01-01';
/** An agent of `general` who answered `calls` calls today, `talk` seconds in all. */
const busy = (id: string, calls: number, talk: number, extra: Parameters<typeof agent>[1] = {}): Agent =>
  agent(id, extra, { counters: { day, callsAnswered: calls, talkSeconds: talk } });

const me = { callId: 'm', queueId: 'general', priority: 0, enqueuedAt: T0 + 5_000 };

describe('a caller’s place in the queue', () => {
  it('counts calls of higher priority, then earlier arrivals, as the queue order has them', () => {
    const calls: QueuedCall[] = [
      call('early', { enqueuedAt: T0 }),
      call('urgent-late', { enqueuedAt: T0 + 9_000, priority: 5 }),
      call('later', { enqueuedAt: T0 + 6_000 }),
      call('low-early', { enqueuedAt: T0, priority: -1 }),
      call('m', { enqueuedAt: T0 + 5_000 }),
    ];
    expect(queuePosition({ agents: [], calls }, me).ahead).toBe(2);
  });

  it('breaks a tie of priority and arrival by call id, like the dispatch board', () => {
    const calls = [call('a', { enqueuedAt: me.enqueuedAt }), call('z', { enqueuedAt: me.enqueuedAt })];
    expect(queuePosition({ agents: [], calls }, me).ahead).toBe(1);
    // The same rule the board sorts its calls by.
    const order = [...calls, call('m', { enqueuedAt: me.enqueuedAt })]
      .sort(compareCalls)
      .map((c) => c.callId);
    expect(order).toEqual(['a', 'm', 'z']);
  });

  it('counts a call being offered, which was picked first', () => {
    const calls = [call('ringing', { offer: { agentId: '1', engineId: 'e1', until: T0 + 30_000 } })];
    expect(queuePosition({ agents: [], calls }, me).ahead).toBe(1);
  });

  it('ignores calls of other queues', () => {
    const calls = [call('other', { queueId: 'tax' }), call('early')];
    expect(queuePosition({ agents: [], calls }, me).ahead).toBe(1);
  });

  it('estimates the wait from today’s average talk time of the queue’s agents', () => {
    const agents = [
      busy('1', 2, 200), // 100 s a call
      busy('2', 2, 600, {}), // 300 s a call
      busy('3', 10, 5000, { pools: ['tax'] }), // another queue
      agent('4', {}, { state: 'logged-out', counters: { day, callsAnswered: 50, talkSeconds: 99_999 } }),
    ];
    const calls = [call('early')];
    // 800 s over 4 calls = 200 s; 2 agents; 1 ahead: (1 + 1) × 200 / 2.
    expect(queuePosition({ agents, calls }, me)).toEqual({ ahead: 1, expectedWaitSeconds: 200 });
  });

  it('counts an expert seat group’s agents for that group', () => {
    const agents = [busy('x', 1, 120, { pools: [], expertSeats: ['hr'] })];
    expect(queuePosition({ agents, calls: [] }, { ...me, queueId: 'hr' })).toEqual({
      ahead: 0,
      expectedWaitSeconds: 120,
    });
  });

  it('with a preferred skill, counts only the agents having it', () => {
    const agents = [
      busy('fast', 1, 60, { skills: { tax: 3 } }),
      busy('slow', 1, 600, { skills: { pension: 5 } }),
    ];
    expect(queuePosition({ agents, calls: [] }, { ...me, preferredSkill: 'tax' }).expectedWaitSeconds).toBe(
      60,
    );
    expect(queuePosition({ agents, calls: [] }, me).expectedWaitSeconds).toBe(165);
    expect(queuePosition({ agents, calls: [] }, { ...me, preferredSkill: 'law' })).toEqual({
      ahead: 0,
      expectedWaitSeconds: null,
    });
  });

  it('has no estimate without agents, or when they answered no call today', () => {
    const calls = [call('early')];
    expect(queuePosition({ agents: [], calls }, me)).toEqual({ ahead: 1, expectedWaitSeconds: null });
    expect(queuePosition({ agents: [agent('1')], calls }, me)).toEqual({
      ahead: 1,
      expectedWaitSeconds: null,
    });
  });
});
