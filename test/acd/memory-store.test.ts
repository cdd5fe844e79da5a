import { describe, expect, it } from 'vitest';
import { MemoryAcdStore } from '../../src/acd/store/memory.ts';
import { ManualClock } from '../../src/clock.ts';
import { definition, T0 } from './helpers.ts';
import { storeContract } from './store-contract.ts';

storeContract('memory', async (clock) => ({
  store: new MemoryAcdStore({ centerId: 'c1', clock }),
  cleanup: async () => {},
}));

describe('memory store timers', () => {
  it('ends wrap-up and expires reservations on the clock without being asked', async () => {
    const clock = new ManualClock(T0);
    const store = new MemoryAcdStore({ centerId: 'c1', clock });
    await store.setQueues([
      { id: 'general', kind: 'pool', name: 'G', wrapUpSeconds: 15, maxWaitSeconds: 60 },
    ]);
    await store.upsertAgents([definition('1001'), definition('1002')]);
    await store.login('1001', 'PJSIP/agent1001');
    await store.login('1002', 'PJSIP/agent1002');
    await store.enqueue({ callId: 'c1', queueId: 'general', enqueuedAt: T0, engineId: 'e1' });
    await store.enqueue({ callId: 'c2', queueId: 'general', enqueuedAt: T0, engineId: 'e1' });
    await store.reserve('1001', 'c1', 'e1', 3000);
    await store.reserve('1002', 'c2', 'e1', 3000);
    await store.confirm('c2');
    await store.complete('c2', 1);
    clock.advance(3000);
    expect((await store.getAgent('1001'))?.status.state).toBe('ready');
    expect((await store.getCall('c1'))?.offer).toBeUndefined();
    clock.advance(12_000);
    expect((await store.getAgent('1002'))?.status.state).toBe('ready');
  });

  it('keeps going when a change listener throws', async () => {
    const clock = new ManualClock(T0);
    const errors: unknown[] = [];
    const store = new MemoryAcdStore({ centerId: 'c1', clock, onListenerError: (e) => errors.push(e) });
    await store.upsertAgents([definition('1001')]);
    const seen: string[] = [];
    store.onChange(() => {
      throw new Error('boom');
    });
    store.onChange((c) => seen.push(c.kind));
    expect((await store.login('1001', 'PJSIP/agent1001')).status.state).toBe('ready');
    expect(seen).toEqual(['agent']);
    expect(errors).toHaveLength(1);
  });
});
