import { describe, expect, it } from 'vitest';
import { AgentDispatcher } from '../../src/acd/agent-dispatcher.ts';
import { MemoryAcdStore } from '../../src/acd/store/memory.ts';
import { ManualClock } from '../../src/clock.ts';
import { createLogger } from '../../src/log.ts';
import { definition, policy, T0 } from './helpers.ts';

describe('the agent dispatcher', () => {
  it('rings the agent a full round picks at its login endpoint, with one reservation and no failed release', async () => {
    const clock = new ManualClock(T0);
    const store = new MemoryAcdStore({ centerId: 'c1', clock });
    await store.setQueues([policy('general')]);
    await store.upsertAgents([definition('1001')]);
    await store.login('1001', 'PJSIP/desk-7');
    await store.enqueue({ callId: 'c1', queueId: 'general', enqueuedAt: T0, engineId: 'e1' });
    const releases: string[] = [];
    const release = store.release.bind(store);
    store.release = async (callId, outcome) => {
      releases.push(`${callId} ${outcome}`);
      return release(callId, outcome);
    };
    const offers: string[][] = [];
    let offered!: () => void;
    const firstOffer = new Promise<void>((r) => {
      offered = r;
    });
    const dispatcher = new AgentDispatcher({
      engineId: 'e1',
      store,
      clock,
      logger: createLogger({ level: 'silent' }),
      offer: (callId, agentId, endpoint) => {
        offers.push([callId, agentId, endpoint]);
        offered();
      },
    });
    dispatcher.start();
    try {
      await firstOffer;
      expect(offers).toEqual([['c1', '1001', 'PJSIP/desk-7']]);
      expect(releases).toEqual([]);
      expect(dispatcher.reservations).toBe(1);
      expect((await store.getAgent('1001'))?.status.state).toBe('reserved');
    } finally {
      dispatcher.stop();
    }
  });
});
