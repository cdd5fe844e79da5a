import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Agent } from '../../src/acd/agent.ts';
import { DispatchBoard } from '../../src/acd/dispatch-board.ts';
import type { QueuedCall, QueuePolicy } from '../../src/acd/queue-policy.ts';
import { agent, call, policy, T0 } from './helpers.ts';

/** A whole decision from a snapshot, as the agent dispatcher takes it after a rebuild. */
function decideDispatch(
  s: { queues: readonly QueuePolicy[]; agents: readonly Agent[]; calls: readonly QueuedCall[] },
  now: number,
) {
  return DispatchBoard.from(s.queues, s.agents, s.calls, now).decide(now);
}

const general = policy('general', {
  widenAfterSeconds: 30,
  overflowAfterSeconds: 120,
  overflowTo: 'prov',
  maxWaitSeconds: 300,
});
const tax = policy('tax', { skills: ['tax'], strategy: 'skill-level' });

describe('dispatch decision', () => {
  it('offers a preferred-skill call only to agents with that skill until it is widened', () => {
    const agents = [agent('a', { skills: { social: 5 } })];
    const calls = [call('c1', { preferredSkill: 'tax', enqueuedAt: T0 })];
    const before = decideDispatch({ queues: [general], agents, calls }, T0 + 29_999);
    expect(before.offers).toEqual([]);
    const after = decideDispatch({ queues: [general], agents, calls }, T0 + 30_000);
    expect(after.offers).toEqual([
      {
        callId: 'c1',
        queueId: 'general',
        agentId: 'a',
        endpoint: 'PJSIP/agenta',
        engineId: 'e1',
        stage: 'widened',
      },
    ]);
  });

  it('gives the only ready agent to the higher-priority call even if it arrived later', () => {
    const calls = [call('old', { enqueuedAt: T0 - 60_000 }), call('vip', { enqueuedAt: T0, priority: 5 })];
    const d = decideDispatch({ queues: [general], agents: [agent('a')], calls }, T0 + 1000);
    expect(d.offers.map((o) => o.callId)).toEqual(['vip']);
  });

  it('serves calls of equal priority in arrival order', () => {
    const calls = [call('second', { enqueuedAt: T0 - 10 }), call('first', { enqueuedAt: T0 - 20 })];
    const d = decideDispatch({ queues: [general], agents: [agent('a')], calls }, T0);
    expect(d.offers.map((o) => o.callId)).toEqual(['first']);
  });

  it('offers an agent of several pools the best call across them', () => {
    const a = agent('a', { pools: ['general', 'tax'], skills: { tax: 3 } });
    const calls = [
      call('g-old', { queueId: 'general', enqueuedAt: T0 - 50_000 }),
      call('t-vip', { queueId: 'tax', enqueuedAt: T0 - 1000, priority: 2 }),
      call('t-old', { queueId: 'tax', enqueuedAt: T0 - 90_000 }),
    ];
    const d = decideDispatch({ queues: [general, tax], agents: [a], calls }, T0);
    expect(d.offers.map((o) => o.callId)).toEqual(['t-vip']);
    const board = DispatchBoard.from([general, tax], [a], calls, T0);
    expect(board.bestCallFor('a', T0)?.call.callId).toBe('t-vip');
    board.removeCall('t-vip');
    expect(board.bestCallFor('a', T0)?.call.callId).toBe('t-old');
  });

  it('does not offer an agent a preferred-stage call needing a skill it lacks, but takes the next one', () => {
    const a = agent('a');
    const calls = [
      call('needs-tax', { enqueuedAt: T0 - 5000, preferredSkill: 'tax' }),
      call('any', { enqueuedAt: T0 }),
    ];
    const board = DispatchBoard.from([general], [a], calls, T0);
    expect(board.bestCallFor('a', T0)?.call.callId).toBe('any');
  });

  it('offers calls however long they have waited: overflow and max-wait are the call’s own timers', () => {
    const calls = [
      call('over', { enqueuedAt: T0 - 120_000 }),
      call('max', { enqueuedAt: T0 - 300_000 }),
      call('fresh', { enqueuedAt: T0 }),
    ];
    const d = decideDispatch({ queues: [general], agents: [agent('a'), agent('b')], calls }, T0);
    expect(d.offers.map((o) => o.callId)).toEqual(['max', 'over']);
  });

  it('leaves calls already offered alone', () => {
    const calls = [call('c1', { offer: { agentId: 'x', engineId: 'e1', until: T0 + 5000 } })];
    expect(decideDispatch({ queues: [general], agents: [agent('a')], calls }, T0).offers).toEqual([]);
  });

  it('ignores calls of queues it does not know', () => {
    const calls = [call('c1', { queueId: 'nowhere' })];
    expect(decideDispatch({ queues: [general], agents: [agent('a')], calls }, T0)).toEqual({ offers: [] });
  });

  it('never offers an agent twice nor a call twice, and leaves no match unmade', () => {
    const skills = ['tax', 'social', 'housing'];
    const agentArb = fc.record({
      pools: fc.subarray(['general', 'tax'], { minLength: 1 }),
      skill: fc.option(fc.constantFrom(...skills), { nil: undefined }),
      idle: fc.integer({ min: 0, max: 100_000 }),
      ready: fc.boolean(),
    });
    const callArb = fc.record({
      queueId: fc.constantFrom('general', 'tax'),
      priority: fc.integer({ min: 0, max: 3 }),
      waited: fc.integer({ min: 0, max: 200_000 }),
      skill: fc.option(fc.constantFrom(...skills), { nil: undefined }),
    });
    fc.assert(
      fc.property(fc.array(agentArb, { maxLength: 30 }), fc.array(callArb, { maxLength: 30 }), (as, cs) => {
        const agents: Agent[] = as.map((x, i) =>
          agent(
            `a${i}`,
            { pools: x.pools, skills: x.skill ? { [x.skill]: 5 } : {} },
            { state: x.ready ? 'ready' : 'not-ready', readySince: T0 - x.idle },
          ),
        );
        const calls = cs.map((x, i) =>
          call(`c${i}`, {
            queueId: x.queueId,
            priority: x.priority,
            enqueuedAt: T0 - x.waited,
            preferredSkill: x.skill,
          }),
        );
        const d = decideDispatch({ queues: [general, tax], agents, calls }, T0);
        const agentIds = d.offers.map((o) => o.agentId);
        const callIds = d.offers.map((o) => o.callId);
        expect(new Set(agentIds).size).toBe(agentIds.length);
        expect(new Set(callIds).size).toBe(callIds.length);
        for (const o of d.offers) expect(agents.find((a) => a.id === o.agentId)?.status.state).toBe('ready');
        // Nothing left to match: every remaining waiting call finds no remaining agent.
        const used = new Set(agentIds);
        const rest = DispatchBoard.from(
          [general, tax],
          agents.filter((a) => !used.has(a.id)),
          calls.filter((c) => !callIds.includes(c.callId)),
          T0,
        );
        expect(rest.decide(T0).offers).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });

  it('keeps its indexes right when agents and calls change one at a time', () => {
    const p = policy('general', { strategy: 'fewest-calls' });
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 7 }), fc.boolean(), fc.integer({ min: 0, max: 9 })), {
          maxLength: 60,
        }),
        (ops) => {
          const board = new DispatchBoard([p], T0);
          const current = new Map<string, Agent>();
          for (const [n, ready, calls] of ops) {
            const a = agent(
              `a${n}`,
              {},
              {
                state: ready ? 'ready' : 'not-ready',
                counters: { day: '2026-01-01', callsAnswered: calls, talkSeconds: 0 },
              },
            );
            current.set(a.id, a);
            board.putAgent(a, T0);
          }
          const fresh = DispatchBoard.from([p], [...current.values()], [], T0);
          const c = call('x');
          expect(board.bestAgentFor(c, T0)).toEqual(fresh.bestAgentFor(c, T0));
          expect(board.offerableAgents).toBe(fresh.offerableAgents);
        },
      ),
    );
  });
});

describe('node affinity over several Asterisk nodes', () => {
  // Calls on node a carry the prefix `a-`; agents x, y, z are registered on node b, w on node a.
  const onNode: Record<string, string> = {
    'PJSIP/agentx': 'b',
    'PJSIP/agenty': 'b',
    'PJSIP/agentz': 'b',
    'PJSIP/agentw': 'a',
  };
  const affinity = (depth: number) => ({
    depth,
    near: (callId: string, a: Agent) =>
      callId.startsWith(`${onNode[a.status.endpoint ?? a.endpoint ?? '']}-`),
  });
  // Longest idle first: x, y, z, then w (ready last).
  const agents = [
    agent('x', {}, { readySince: T0 - 40_000 }),
    agent('y', {}, { readySince: T0 - 30_000 }),
    agent('z', {}, { readySince: T0 - 20_000 }),
    agent('w', {}, { readySince: T0 - 10_000 }),
  ];

  it("offers the call an agent on the call's own node when one is within the first depth agents", () => {
    const d = DispatchBoard.from(
      [general],
      agents,
      [call('a-1.1', { enqueuedAt: T0 })],
      T0,
      affinity(4),
    ).decide(T0);
    expect(d.offers.map((o) => o.agentId)).toEqual(['w']);
  });

  it("keeps the strategy's choice when no agent on the call's node is within depth", () => {
    const d = DispatchBoard.from(
      [general],
      agents,
      [call('a-1.1', { enqueuedAt: T0 })],
      T0,
      affinity(3),
    ).decide(T0);
    expect(d.offers.map((o) => o.agentId)).toEqual(['x']);
  });

  it('takes the head when the head is already on the call node, and ignores affinity at depth 1', () => {
    const onB = DispatchBoard.from([general], agents, [call('b-1.1', { enqueuedAt: T0 })], T0, affinity(4));
    expect(onB.decide(T0).offers.map((o) => o.agentId)).toEqual(['x']);
    const strict = DispatchBoard.from(
      [general],
      agents,
      [call('a-1.1', { enqueuedAt: T0 })],
      T0,
      affinity(1),
    );
    expect(strict.decide(T0).offers.map((o) => o.agentId)).toEqual(['x']);
  });

  it('gives each of two calls an agent on its own node in one decision', () => {
    const calls = [call('b-1.2', { enqueuedAt: T0 - 1000 }), call('a-1.3', { enqueuedAt: T0 })];
    const d = DispatchBoard.from([general], agents, calls, T0, affinity(4)).decide(T0);
    expect(d.offers.map((o) => [o.callId, o.agentId])).toEqual([
      ['b-1.2', 'x'],
      ['a-1.3', 'w'],
    ]);
  });

  it('applies within the preferred skill at the skill stage too', () => {
    const skilled = [
      agent('x', { skills: { tax: 3 } }, { readySince: T0 - 40_000 }),
      agent('w', { skills: { tax: 3 } }, { readySince: T0 - 10_000 }),
      agent('y', {}, { readySince: T0 - 50_000 }),
    ];
    const c = call('a-1.4', { enqueuedAt: T0, preferredSkill: 'tax' });
    const d = DispatchBoard.from([general], skilled, [c], T0, affinity(4)).decide(T0);
    expect(d.offers.map((o) => o.agentId)).toEqual(['w']);
  });
});
