import { describe, expect, it } from 'vitest';
import { dispatchRound } from '../../src/acd/dispatcher.ts';
import { MemoryAcdStore } from '../../src/acd/store/memory.ts';
import { ManualClock } from '../../src/clock.ts';
import { definition, policy, T0 } from './helpers.ts';

describe('dispatch round', () => {
  it('reserves agents for its own calls, leaves other engines’ calls, and reports escalations', async () => {
    const clock = new ManualClock(T0);
    const store = new MemoryAcdStore({ centerId: 'c1', clock });
    const general = policy('general', {
      overflowAfterSeconds: 60,
      overflowTo: 'province',
      maxWaitSeconds: 300,
    });
    await store.setQueues([general]);
    await store.upsertAgents([definition('1001'), definition('1002')]);
    await store.login('1001', 'PJSIP/agent1001');
    clock.advance(1000);
    await store.login('1002', 'PJSIP/agent1002');
    await store.enqueue({ callId: 'old', queueId: 'general', enqueuedAt: T0 - 61_000, engineId: 'e1' });
    await store.enqueue({ callId: 'theirs', queueId: 'general', enqueuedAt: T0 - 5000, engineId: 'e2' });
    await store.enqueue({ callId: 'mine', queueId: 'general', enqueuedAt: T0 - 1000, engineId: 'e1' });
    const round = await dispatchRound({
      store,
      queues: [general],
      engineId: 'e1',
      reservationTtlMs: 20_000,
      now: clock.now(),
    });
    expect(round.reserved).toEqual([
      {
        callId: 'mine',
        queueId: 'general',
        agentId: '1002',
        endpoint: 'PJSIP/agent1002',
        engineId: 'e1',
        stage: 'preferred',
      },
    ]);
    expect(round.escalations).toEqual([
      { callId: 'old', queueId: 'general', engineId: 'e1', stage: 'overflow', overflowTo: 'province' },
    ]);
    expect((await store.getAgent('1001'))?.status.state).toBe('ready');
    expect((await store.getAgent('1002'))?.status).toMatchObject({ state: 'reserved', callId: 'mine' });
    // The overflowing call reaches max-wait at arrival + 300 s if the engine has not moved it by then.
    expect(round.nextCheckAt).toBe(T0 - 61_000 + 300_000);
  });

  it('reports an offer lost to another engine as refused', async () => {
    const clock = new ManualClock(T0);
    const store = new MemoryAcdStore({ centerId: 'c1', clock });
    const general = policy('general');
    await store.setQueues([general]);
    await store.upsertAgents([definition('1001')]);
    await store.login('1001', 'PJSIP/agent1001');
    await store.enqueue({ callId: 'c1', queueId: 'general', enqueuedAt: T0, engineId: 'e1' });
    const realReserve = store.reserve.bind(store);
    store.reserve = async (agentId, callId, engineId, ttl) => {
      await store.notReady(agentId, 'break');
      return realReserve(agentId, callId, engineId, ttl);
    };
    const round = await dispatchRound({
      store,
      queues: [general],
      engineId: 'e1',
      reservationTtlMs: 5000,
      now: T0,
    });
    expect(round.reserved).toEqual([]);
    expect(round.refused).toEqual([
      {
        offer: {
          callId: 'c1',
          queueId: 'general',
          agentId: '1001',
          endpoint: 'PJSIP/agent1001',
          engineId: 'e1',
          stage: 'preferred',
        },
        reason: 'agent-not-ready',
      },
    ]);
  });
});
