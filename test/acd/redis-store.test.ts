import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AcdChange } from '../../src/acd/store/port.ts';
import { RedisAcdStore } from '../../src/acd/store/redis.ts';
import { ManualClock, systemClock } from '../../src/clock.ts';
import { testRedisUrl } from '../support/redis.ts';
import { auditRace, raceForCalls } from './helpers/race.ts';
import { definition } from './helpers.ts';
import { eventually, storeContract } from './store-contract.ts';

const REDIS_URL = testRedisUrl();
const run = promisify(execFile);
const uniquePrefix = () => `hotline-test-${randomUUID().slice(0, 8)}`;

let admin: Redis;
beforeAll(() => {
  admin = new Redis(REDIS_URL);
});
afterAll(async () => {
  await admin.quit();
});

/** Deletes every key under a test prefix. */
async function wipe(prefix: string): Promise<void> {
  const keys = await admin.keys(`${prefix}:*`);
  if (keys.length > 0) await admin.del(...keys);
}

describe.sequential('redis store', () => {
  storeContract('redis', async (clock) => {
    const keyPrefix = uniquePrefix();
    const open = () =>
      RedisAcdStore.open({ url: REDIS_URL, keyPrefix, centerId: 'c1', clock, sweepEveryMs: 0 });
    const store = await open();
    return {
      store,
      cleanup: async () => {
        await store.close();
        await wipe(keyPrefix);
      },
    };
  });

  it('keeps agents, calls and reservations across an engine restart', async () => {
    const keyPrefix = uniquePrefix();
    const open = () =>
      RedisAcdStore.open({ url: REDIS_URL, keyPrefix, centerId: 'c1', clock: systemClock, sweepEveryMs: 0 });
    const first = await open();
    try {
      await first.setQueues([
        { id: 'general', kind: 'pool', name: 'G', wrapUpSeconds: 5, maxWaitSeconds: 60 },
      ]);
      await first.upsertAgents([definition('1001'), definition('1002')]);
      await first.login('1001', 'PJSIP/agent1001');
      await first.login('1002', 'PJSIP/agent1002');
      await first.notReady('1002', 'training');
      await first.enqueue({ callId: 'c1', queueId: 'general', enqueuedAt: Date.now(), engineId: 'e1' });
      await first.enqueue({ callId: 'c2', queueId: 'general', enqueuedAt: Date.now(), engineId: 'e1' });
      expect(await first.reserve('1001', 'c1', 'e1', 60_000)).toEqual({ ok: true });
    } finally {
      await first.close();
    }
    const second = await open();
    try {
      const snap = await second.snapshot();
      const byId = new Map(snap.agents.map((a) => [a.id, a]));
      expect(byId.get('1001')?.status).toMatchObject({
        state: 'reserved',
        callId: 'c1',
        endpoint: 'PJSIP/agent1001',
      });
      expect(byId.get('1002')?.status).toMatchObject({ state: 'not-ready', notReadyReason: 'training' });
      expect(snap.calls.map((c) => c.callId).sort()).toEqual(['c1', 'c2']);
      expect((await second.queues()).map((q) => q.id)).toEqual(['general']);
      expect((await second.confirm('c1')).status.state).toBe('on-call');
      expect((await second.complete('c1', 30)).status.state).toBe('wrap-up');
    } finally {
      await second.close();
      await wipe(keyPrefix);
    }
  });

  it('returns the agent to ready when the engine holding the reservation dies and stops renewing', async () => {
    const keyPrefix = uniquePrefix();
    // Reservation deadlines and the sweeper run on this clock: time moves only when told to.
    const clock = new ManualClock();
    const open = (sweepEveryMs: number) =>
      RedisAcdStore.open({ url: REDIS_URL, keyPrefix, centerId: 'c1', clock, sweepEveryMs });
    const doomed = await open(0);
    const survivor = await open(50);
    const seen: AcdChange[] = [];
    survivor.onChange((c) => seen.push(c));
    try {
      await survivor.setQueues([
        { id: 'general', kind: 'pool', name: 'G', wrapUpSeconds: 5, maxWaitSeconds: 60 },
      ]);
      await survivor.upsertAgents([definition('1001')]);
      await survivor.login('1001', 'PJSIP/agent1001');
      await survivor.enqueue({
        callId: 'c1',
        queueId: 'general',
        enqueuedAt: clock.now(),
        engineId: 'doomed',
      });
      expect(await doomed.reserve('1001', 'c1', 'doomed', 300)).toEqual({ ok: true });
      // While the engine renews, the reservation holds well past its first expiry (the survivor's
      // sweeper runs as time passes).
      for (let i = 0; i < 6; i++) {
        clock.advance(100);
        expect(await doomed.renew('c1', 'doomed', 300)).toBe(true);
      }
      expect((await survivor.getAgent('1001'))?.status.state).toBe('reserved');
      // The engine dies: no more renewals, connection gone.
      await doomed.close();
      const diedAt = clock.now();
      const expired = () =>
        seen.find((c) => c.kind === 'agent' && c.agentId === '1001' && c.cause === 'reservation-expired');
      // Time moves one sweep at a time, each once the sweeper has finished the one before.
      const start = Date.now();
      while (!expired()) {
        if (Date.now() - start > 15_000) throw new Error('the reservation never expired');
        if (clock.pending() > 0) clock.advance(50);
        await new Promise((r) => setTimeout(r, 5));
      }
      expect(expired()).toMatchObject({ kind: 'agent', state: 'ready' });
      // The first sweep at or after the deadline (300 ms after the last renewal) frees the agent.
      expect(expired()!.at - diedAt).toBeGreaterThanOrEqual(300);
      expect(expired()!.at - diedAt).toBeLessThanOrEqual(300 + 50);
      expect((await survivor.getAgent('1001'))?.status.state).toBe('ready');
      const call = await survivor.getCall('c1');
      expect(call?.callId).toBe('c1');
      expect(call?.offer).toBeUndefined();
      expect(seen).toContainEqual(expect.objectContaining({ kind: 'call', callId: 'c1', change: 'waiting' }));
    } finally {
      await survivor.close();
      await wipe(keyPrefix);
    }
  });

  async function raceSetup(calls: number, agents: number) {
    const keyPrefix = uniquePrefix();
    const setup = await RedisAcdStore.open({
      url: REDIS_URL,
      keyPrefix,
      centerId: 'c1',
      clock: systemClock,
      sweepEveryMs: 0,
    });
    const callIds = Array.from({ length: calls }, (_, i) => `call-${i}`);
    const agentIds = Array.from({ length: agents }, (_, i) => `agent-${i}`);
    await setup.setQueues([
      { id: 'general', kind: 'pool', name: 'G', wrapUpSeconds: 0, maxWaitSeconds: 600 },
    ]);
    await setup.upsertAgents(agentIds.map((id) => definition(id)));
    await Promise.all(agentIds.map((id) => setup.login(id, `PJSIP/${id}`)));
    const now = Date.now();
    await Promise.all(
      callIds.map((callId, i) =>
        setup.enqueue({ callId, queueId: 'general', enqueuedAt: now + i, engineId: 'origin' }),
      ),
    );
    const changes: AcdChange[] = [];
    setup.onChange((c) => changes.push(c));
    return { keyPrefix, setup, callIds, agentIds, changes };
  }

  async function raceVerdict(race: Awaited<ReturnType<typeof raceSetup>>, wonCount: number) {
    const { setup, callIds, agentIds, changes } = race;
    await eventually(() => {
      expect(changes.filter((c) => c.kind === 'agent' && c.cause === 'complete')).toHaveLength(
        callIds.length,
      );
    }, 60_000);
    expect(auditRace(changes, callIds)).toEqual([]);
    expect(wonCount).toBe(callIds.length);
    const snap = await setup.snapshot();
    expect(snap.calls).toEqual([]);
    expect(snap.agents.filter((a) => a.status.state === 'ready')).toHaveLength(agentIds.length);
    const answered = snap.agents.reduce((n, a) => n + a.status.counters.callsAnswered, 0);
    expect(answered).toBe(callIds.length);
  }

  it('gives no agent two calls and no call two agents when four connections race over 10,000 reservations', async () => {
    const race = await raceSetup(10_000, 20);
    const contenders = await Promise.all(
      [1, 2, 3, 4].map(() =>
        RedisAcdStore.open({
          url: REDIS_URL,
          keyPrefix: race.keyPrefix,
          centerId: 'c1',
          clock: systemClock,
          sweepEveryMs: 0,
        }),
      ),
    );
    try {
      const won = await Promise.all(
        contenders.map((s, i) => raceForCalls(s, `engine-${i}`, race.callIds, race.agentIds)),
      );
      expect(won.every((w) => w.length > 0)).toBe(true);
      await raceVerdict(
        race,
        won.reduce((n, w) => n + w.length, 0),
      );
    } finally {
      await Promise.all(contenders.map((s) => s.close()));
      await race.setup.close();
      await wipe(race.keyPrefix);
    }
  }, 120_000);

  it('gives no agent two calls and no call two agents when four engine processes race', async () => {
    const race = await raceSetup(10_000, 20);
    const worker = fileURLToPath(new URL('./helpers/race-worker.ts', import.meta.url));
    try {
      const outputs = await Promise.all(
        [1, 2, 3, 4].map((n) =>
          run(
            process.execPath,
            ['--import', 'tsx', worker, REDIS_URL, race.keyPrefix, 'c1', `proc-${n}`, '10000', '20'],
            { timeout: 100_000 },
          ),
        ),
      );
      const won = outputs.map((o) => (JSON.parse(o.stdout.trim()) as { won: number }).won);
      await raceVerdict(
        race,
        won.reduce((n, w) => n + w, 0),
      );
    } finally {
      await race.setup.close();
      await wipe(race.keyPrefix);
    }
  }, 120_000);
});
