import { describe, expect, it } from 'vitest';
import type { Agent } from '../../src/acd/agent.ts';
import { AgentRecovery, type RecoverableStore } from '../../src/acd/agent-recovery.ts';
import type { ChangeListener } from '../../src/acd/store/port.ts';
import { ManualClock } from '../../src/clock.ts';
import { createLogger } from '../../src/log.ts';
import { agent, policy, T0 } from './helpers.ts';

/** What the recovery decides to write back, against a store that only records it. */
class FakeStore implements RecoverableStore {
  token = 'epoch-1';
  agents: Agent[] = [];
  restored: Agent[][] = [];
  steps: string[] = [];
  listeners: ChangeListener[] = [];
  async epoch() {
    return this.token;
  }
  async agentsInEpoch(ids?: readonly string[]) {
    const agents = ids ? this.agents.filter((a) => ids.includes(a.id)) : this.agents;
    return { epoch: this.token, agents };
  }
  async restoreAgents(agents: readonly Agent[]) {
    this.steps.push('restore');
    this.restored.push([...agents]);
    return agents.length;
  }
  async queues() {
    return [policy('general', { wrapUpSeconds: 10 })];
  }
  onChange(listener: ChangeListener) {
    this.listeners.push(listener);
    return () => undefined;
  }
}

const logger = createLogger({ level: 'silent' });

describe('agent recovery', () => {
  it('restores idle agents as they were, and a reserved or on-call agent as such only if its call is live in this engine', async () => {
    const clock = new ManualClock(T0 + 60_000);
    const store = new FakeStore();
    const onCall = { state: 'on-call' as const, engineId: 'e1', queueId: 'general' };
    store.agents = [
      agent('1001'),
      agent('1002', {}, { state: 'not-ready', notReadyReason: 'lunch', readySince: undefined }),
      agent('1003', {}, { ...onCall, callId: 'live-call' }),
      agent('1004', {}, { ...onCall, callId: 'gone-call' }),
      agent(
        '1005',
        {},
        { state: 'reserved', engineId: 'e1', queueId: 'general', callId: 'gone-2', until: T0 + 90_000 },
      ),
      agent('1006', {}, { ...onCall, engineId: 'e2', callId: 'elsewhere' }),
      agent('1007', {}, { state: 'wrap-up', until: T0 + 65_000 }),
    ];
    const live = new Set(['live-call']);
    let restoredHook = 0;
    const recovery = new AgentRecovery({
      store,
      engineId: 'e1',
      clock,
      logger,
      callLive: (callId) => live.has(callId),
      redeclare: async () => {
        store.steps.push('redeclare');
      },
      requeue: async () => {
        store.steps.push('requeue');
        return 0;
      },
      onRestored: () => {
        restoredHook++;
      },
    });
    await recovery.start();
    try {
      await recovery.check();
      expect(store.restored).toEqual([]);

      store.token = 'epoch-2';
      await recovery.check();
      expect(store.steps).toEqual(['redeclare', 'restore', 'requeue']);
      expect(restoredHook).toBe(1);
      const written = new Map(store.restored[0]!.map((a) => [a.id, a]));
      for (const id of ['1001', '1002', '1003', '1007']) {
        expect(written.get(id)).toEqual(store.agents.find((a) => a.id === id));
      }
      // The call ended while Redis was away: wrap-up from now for the queue's time.
      expect(written.get('1004')!.status).toMatchObject({ state: 'wrap-up', until: clock.now() + 10_000 });
      expect(written.get('1004')!.status.engineId).toBeUndefined();
      // The offer's call is gone: ready again, keeping its place in line.
      expect(written.get('1005')!.status).toMatchObject({ state: 'ready', readySince: T0 });
      // Held by another engine: that engine restores it.
      expect(written.has('1006')).toBe(false);
      expect(recovery.recoveries).toBe(1);

      // Known now: checking again restores nothing; a reconnection declares again and requeues.
      await recovery.check(true);
      expect(store.restored).toHaveLength(1);
      expect(store.steps.slice(3)).toEqual(['redeclare', 'requeue']);
    } finally {
      recovery.stop();
    }
  });

  it('does not take into its mirror agents read after the store lost its state', async () => {
    const clock = new ManualClock(T0);
    const store = new FakeStore();
    store.agents = [agent('1001')];
    const recovery = new AgentRecovery({
      store,
      engineId: 'e1',
      clock,
      logger,
      callLive: () => false,
      redeclare: async () => undefined,
      requeue: async () => 0,
    });
    await recovery.start();
    try {
      // The store lost its state; the agent, declared again, reads logged out in the new epoch.
      store.token = 'epoch-2';
      store.agents = [agent('1001', {}, { state: 'logged-out', readySince: undefined })];
      for (const l of store.listeners) {
        l({
          kind: 'agent',
          agentId: '1001',
          state: 'logged-out',
          previous: 'ready',
          cause: 'logout',
          at: T0,
        });
      }
      await new Promise((r) => setImmediate(r));
      while (!recovery.idle) await new Promise((r) => setImmediate(r));
      expect(store.restored[0]!.map((a) => a.status.state)).toEqual(['ready']);
    } finally {
      recovery.stop();
    }
  });
});
