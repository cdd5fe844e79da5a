import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { startHotline } from '../../src/app.ts';
import type { CallState } from '../../src/calls/core/types.ts';
import { TOMBSTONE_TTL_MS } from '../../src/calls/runtime/session-store.ts';
import { SteppedClock } from '../../src/clock.ts';
import type { Hotline } from '../../src/hotline.ts';
import { createLogger } from '../../src/log.ts';
import { RedisSessionStore } from '../../src/sessions/redis-session-store.ts';
import { type AriSimulator, startAriSimulator } from '../../src/sim/index.ts';
import { MemoryRecords, plans, VirtualTime } from '../support/engine-harness.ts';
import { testRedisUrl } from '../support/redis.ts';

const redisUrl = testRedisUrl();
const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const roster = [
  { id: 'a1001', name: 'a1001', pools: ['general'], skills: { general: 5 } },
  { id: 'a1002', name: 'a1002', pools: ['general'], skills: { general: 5 } },
];
let sim: AriSimulator | undefined;
const engines: Hotline[] = [];
afterEach(async () => {
  for (const e of engines.splice(0)) await e.close().catch(() => undefined);
  await sim?.stop();
});

/** Starts an engine on the test's simulator; a second one with the same id is the restarted engine. */
function engineStarter(clock: SteppedClock, prefix: string, engineId: string) {
  return async (records: MemoryRecords): Promise<Hotline> => {
    const h = await startHotline({
      plan: plans.sichuan(),
      ari: { url: sim!.url, user: 'hotline', password: 'hotline', apps: ['hotline'], maxConnections: 8 },
      redisUrl,
      redisKeyPrefix: prefix,
      roster,
      records,
      engineId,
      clock,
      logger,
      env: {},
    });
    engines.push(h);
    return h;
  };
}

describe('an engine restarted after a crash (sessions kept in Redis)', () => {
  it('picks its calls up again: a bridged call stays up and ends with its record, a queued call gets an agent', async () => {
    const clock = new SteppedClock(Date.now());
    sim = await startAriSimulator({ clock, logger, defaultPlaybackMs: 2000 });
    const time = new VirtualTime(clock, { sim, engines: () => engines });
    const until = time.runUntil.bind(time);
    const start = engineStarter(clock, `hotline-restart-${process.pid}-${Date.now()}`, 'engine-one');
    const first = await start(new MemoryRecords());
    sim.setEndpoint('PJSIP/a1001', { behaviour: 'answer', answerAfterMs: 300, online: true });
    await first.store.login('a1001', 'PJSIP/a1001');
    const talking = sim.injectCall({ app: 'hotline', dialed: '12345', callerNumber: '13800138010' });
    await until('talking', () => first.engine.call(talking.channelId)?.stage === 'talking');
    const waiting = sim.injectCall({ app: 'hotline', dialed: '12345', callerNumber: '13800138011' });
    await until('queued', () => first.engine.call(waiting.channelId)?.stage === 'queued');
    await time.settle("the sessions' last writes");

    // The crash: the engine goes away without hanging anything up (close() touches no call).
    engines.splice(engines.indexOf(first), 1);
    await first.close();
    expect(sim.stats().liveChannels).toBe(3); // two callers and the first caller's agent

    const records = new MemoryRecords();
    const second = await start(records);
    const ended: CallState[] = [];
    second.engine.onEnded((s) => ended.push(s));
    expect(second.engine.call(talking.channelId)?.stage).toBe('talking');
    expect(second.engine.call(waiting.channelId)?.stage).toBe('queued');

    sim.setEndpoint('PJSIP/a1002', { behaviour: 'answer', answerAfterMs: 300, online: true });
    await second.store.login('a1002', 'PJSIP/a1002');
    await until(
      'the waiting caller reaches an agent',
      () => second.engine.call(waiting.channelId)?.stage === 'talking',
    );

    sim.hangup(talking.channelId);
    sim.hangup(waiting.channelId);
    await until('both records', () => records.records.length === 2);
    expect(records.records.map((r) => [r.agentId, r.disposition]).sort()).toEqual([
      ['a1001', 'answered'],
      ['a1002', 'answered'],
    ]);
    await until('no leaks', () => sim!.stats().liveChannels === 0 && sim!.stats().liveBridges === 0);
    await until('agents released', async () => {
      const states = await Promise.all(roster.map((a) => second.store.getAgent(a.id)));
      return states.every((a) => a?.status.state === 'wrap-up' || a?.status.state === 'ready');
    });
  }, 30_000);

  it('ends with its record a call whose caller hung up while the engine was down', async () => {
    const clock = new SteppedClock(Date.now());
    sim = await startAriSimulator({ clock, logger, defaultPlaybackMs: 2000 });
    const time = new VirtualTime(clock, { sim, engines: () => engines });
    const until = time.runUntil.bind(time);
    const start = engineStarter(clock, `hotline-restart-${process.pid}-${Date.now()}-b`, 'engine-two');
    const first = await start(new MemoryRecords());
    const call = sim.injectCall({ app: 'hotline', dialed: '12345', callerNumber: '13800138012' });
    await until('queued', () => first.engine.call(call.channelId)?.stage === 'queued');
    await time.settle("the sessions' last writes");
    engines.splice(engines.indexOf(first), 1);
    await first.close();
    sim.hangup(call.channelId);

    const records = new MemoryRecords();
    await start(records);
    await until('the record', () => records.records.length === 1);
    expect(records.records[0]).toMatchObject({ callId: call.channelId, disposition: 'abandoned-queue' });
    await until('no leaks', () => sim!.stats().liveChannels === 0 && sim!.stats().liveBridges === 0);
  }, 30_000);
});

describe('the Redis session store at the end of a call', () => {
  it('keeps the final state, then replaces the session with a tombstone of its ids in one step, expiring with the TTL', async () => {
    const redis = new Redis(redisUrl);
    const prefix = `hotline-tombstone-${process.pid}-${Date.now()}`;
    try {
      const store = new RedisSessionStore({
        redis,
        centerId: 'sichuan',
        engineId: 'e9',
        keyPrefix: prefix,
        logger,
      });
      const state = { id: 'call-1', stage: 'queued' } as unknown as CallState;
      store.save(state);
      await store.ending({ ...state, stage: 'ended' } as CallState);
      expect((await store.load()).map((s) => [s.id, s.stage])).toEqual([['call-1', 'ended']]);
      const now = Date.now();
      await store.tombstone('call-1', ['call-1', 'leg-1'], now + TOMBSTONE_TTL_MS);
      expect(await store.load()).toEqual([]);
      expect((await store.tombstones(now)).map((t) => t.id).sort()).toEqual(['call-1', 'leg-1']);
      expect(await store.tombstones(now + TOMBSTONE_TTL_MS)).toEqual([]);
      const ttl = await redis.pttl(`${prefix}:{sichuan}:ended:e9`);
      expect(ttl).toBeGreaterThan(TOMBSTONE_TTL_MS - 60_000);
      expect(ttl).toBeLessThanOrEqual(TOMBSTONE_TTL_MS);
    } finally {
      redis.disconnect();
    }
  });
});
