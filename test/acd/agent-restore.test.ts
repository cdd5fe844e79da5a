import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from '../../src/acd/agent.ts';
import type { AcdChange } from '../../src/acd/store/port.ts';
import { RedisAcdStore } from '../../src/acd/store/redis.ts';
import { ManualClock } from '../../src/clock.ts';
import { testRedisUrl } from '../support/redis.ts';
import { definition, T0 } from './helpers.ts';

/**
 * The Redis store's side of restoring agents after it lost its state (see
 * src/acd/agent-recovery.ts): the epoch token, reads that carry it, and the atomic restore that
 * never writes over a state an agent event wrote since the loss. Losing the state is deleting
 * this test's keys (the shared test Redis is not flushed).
 */

const REDIS_URL = testRedisUrl();
let admin: Redis;
const opened: RedisAcdStore[] = [];
beforeAll(() => {
  admin = new Redis(REDIS_URL);
});
afterAll(async () => {
  await admin.quit();
});
afterEach(async () => {
  for (const s of opened.splice(0)) {
    await s.destroy();
    await s.close();
  }
});

async function open(clock: ManualClock, keyPrefix: string): Promise<RedisAcdStore> {
  const store = await RedisAcdStore.open({
    url: REDIS_URL,
    keyPrefix,
    centerId: 'c1',
    clock,
    sweepEveryMs: 0,
  });
  opened.push(store);
  return store;
}

async function lose(prefix: string): Promise<void> {
  const keys = await admin.keys(`${prefix}:*`);
  if (keys.length > 0) await admin.del(...keys);
}

const byId = (agents: Agent[]) => new Map(agents.map((a) => [a.id, a]));

describe('restoring agents after the store lost its state', () => {
  it('has an epoch token that stays until the state is lost, and reads agents with it', async () => {
    const clock = new ManualClock(T0);
    const prefix = `hotline-test-${randomUUID().slice(0, 8)}`;
    const store = await open(clock, prefix);
    await store.upsertAgents([definition('1001'), definition('1002')]);
    const epoch = await store.epoch();
    expect(await store.epoch()).toBe(epoch);
    await store.login('1001', 'PJSIP/agent1001');
    const read = await store.agentsInEpoch();
    expect(read.epoch).toBe(epoch);
    // 1002 was only declared: nothing to restore about it.
    expect(read.agents.map((a) => a.id)).toEqual(['1001']);
    expect((await store.agentsInEpoch(['1001', '1002', 'nobody'])).agents.map((a) => a.id)).toEqual(['1001']);

    await lose(prefix);
    expect((await store.agentsInEpoch()).epoch).toBeNull();
    expect(await store.epoch()).not.toBe(epoch);
  });

  it('restores login, ready, not-ready with its reason and wrap-up over a re-declared roster, and keeps states written since', async () => {
    const clock = new ManualClock(T0);
    const prefix = `hotline-test-${randomUUID().slice(0, 8)}`;
    const store = await open(clock, prefix);
    await store.setQueues([
      { id: 'general', kind: 'pool', name: 'G', wrapUpSeconds: 60, maxWaitSeconds: 600 },
    ]);
    const ids = ['1001', '1002', '1003', '1004', '1005'];
    await store.upsertAgents(ids.map((id) => definition(id)));
    for (const id of ids.slice(0, 4)) await store.login(id, `PJSIP/agent${id}`);
    await store.notReady('1002', 'lunch');
    await store.enqueue({ callId: 'c-1', queueId: 'general', priority: 0, enqueuedAt: T0, engineId: 'e1' });
    expect(await store.reserve('1003', 'c-1', 'e1', 30_000)).toEqual({ ok: true });
    await store.confirm('c-1');
    clock.advance(20_000);
    await store.complete('c-1', 20);
    clock.advance(1_000);
    const mirror = (await store.agentsInEpoch()).agents;
    expect(mirror.map((a) => [a.id, a.status.state])).toEqual([
      ['1001', 'ready'],
      ['1002', 'not-ready'],
      ['1003', 'wrap-up'],
      ['1004', 'ready'],
    ]);

    await lose(prefix);
    // The roster is declared again (every agent logged out); 1004 logs in and goes not-ready
    // before the restore: that newer state stays.
    await store.upsertAgents(ids.map((id) => definition(id)));
    await store.setQueues([
      { id: 'general', kind: 'pool', name: 'G', wrapUpSeconds: 60, maxWaitSeconds: 600 },
    ]);
    clock.advance(1_000);
    await store.login('1004', 'PJSIP/agent1004');
    await store.notReady('1004', 'meeting');
    const changes: AcdChange[] = [];
    store.onChange((c) => changes.push(c));
    await store.subscribed();

    expect(await store.restoreAgents(mirror)).toBe(3);
    const now = byId(await store.listAgents());
    for (const id of ['1001', '1002', '1003']) {
      expect(now.get(id)!.status).toEqual(mirror.find((a) => a.id === id)!.status);
    }
    expect(now.get('1002')!.status.notReadyReason).toBe('lunch');
    expect(now.get('1004')!.status).toMatchObject({ state: 'not-ready', notReadyReason: 'meeting' });
    expect(now.get('1005')!.status.state).toBe('logged-out');

    // Restoring again (another engine doing it at once) changes nothing.
    expect(await store.restoreAgents(mirror)).toBe(0);
    // The restored wrap-up still ends on its own; the restored ready agent takes calls.
    clock.advance(60_000);
    expect(await store.expireDue()).toBe(1);
    expect((await store.getAgent('1003'))!.status.state).toBe('ready');
    await store.enqueue({ callId: 'c-2', queueId: 'general', priority: 0, enqueuedAt: T0, engineId: 'e1' });
    expect(await store.reserve('1001', 'c-2', 'e1', 30_000)).toEqual({ ok: true });
    expect(await store.reserve('1002', 'c-2', 'e1', 30_000)).toEqual({
      ok: false,
      reason: 'agent-not-ready',
    });

    await eventuallyTrue(
      () => changes.filter((c) => c.kind === 'agent' && c.cause === 'restore').length === 3,
    );
    expect(
      changes
        .filter((c) => c.kind === 'agent' && c.cause === 'restore')
        .map((c) => c.kind === 'agent' && c.agentId),
    ).toEqual(['1001', '1002', '1003']);
  });

  it('lets a newer restored state win over an older one, never the other way round', async () => {
    const clock = new ManualClock(T0);
    const prefix = `hotline-test-${randomUUID().slice(0, 8)}`;
    const store = await open(clock, prefix);
    await store.upsertAgents([definition('1001')]);
    await store.login('1001', 'PJSIP/agent1001');
    const older = (await store.agentsInEpoch()).agents;
    clock.advance(1_000);
    await store.notReady('1001', 'break');
    const newer = (await store.agentsInEpoch()).agents;

    await lose(prefix);
    await store.upsertAgents([definition('1001')]);
    // A lagging engine restores first, then one that saw the last change.
    expect(await store.restoreAgents(older)).toBe(1);
    expect(await store.restoreAgents(newer)).toBe(1);
    expect(await store.restoreAgents(older)).toBe(0);
    expect((await store.getAgent('1001'))!.status).toMatchObject({
      state: 'not-ready',
      notReadyReason: 'break',
    });

    // Once an agent event has moved the agent, no restore applies any more.
    clock.advance(1_000);
    await store.ready('1001');
    clock.advance(1_000);
    const later = newer.map((a) => ({ ...a, status: { ...a.status, since: clock.now() + 1 } }));
    expect(await store.restoreAgents(later)).toBe(0);
    expect((await store.getAgent('1001'))!.status.state).toBe('ready');
  });

  it('restores a reservation and a call so that answering, releasing and completing still work', async () => {
    const clock = new ManualClock(T0);
    const prefix = `hotline-test-${randomUUID().slice(0, 8)}`;
    const store = await open(clock, prefix);
    await store.setQueues([
      { id: 'general', kind: 'pool', name: 'G', wrapUpSeconds: 0, maxWaitSeconds: 600 },
    ]);
    await store.upsertAgents([definition('1001'), definition('1002')]);
    await store.login('1001', 'PJSIP/agent1001');
    await store.login('1002', 'PJSIP/agent1002');
    for (const [callId, agentId] of [
      ['c-1', '1001'],
      ['c-2', '1002'],
    ] as const) {
      await store.enqueue({ callId, queueId: 'general', priority: 0, enqueuedAt: T0, engineId: 'e1' });
      expect(await store.reserve(agentId, callId, 'e1', 30_000)).toEqual({ ok: true });
    }
    await store.confirm('c-1');
    const mirror = (await store.agentsInEpoch()).agents;

    await lose(prefix);
    await store.setQueues([
      { id: 'general', kind: 'pool', name: 'G', wrapUpSeconds: 0, maxWaitSeconds: 600 },
    ]);
    expect(await store.restoreAgents(mirror)).toBe(2);
    expect((await store.getAgent('1001'))!.status).toMatchObject({ state: 'on-call', callId: 'c-1' });
    expect((await store.getAgent('1002'))!.status).toMatchObject({ state: 'reserved', callId: 'c-2' });
    expect((await store.confirm('c-2')).status.state).toBe('on-call');
    expect((await store.complete('c-1', 30)).status.state).toBe('ready');
    expect((await store.complete('c-2', 30)).status.state).toBe('ready');
  });
});

async function eventuallyTrue(predicate: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !predicate(); i++) await admin.ping();
  expect(predicate()).toBe(true);
}
