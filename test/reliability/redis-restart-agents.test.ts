import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import type { Agent } from '../../src/acd/agent.ts';
import { startHotline } from '../../src/app.ts';
import type { CallState } from '../../src/calls/core/types.ts';
import { SteppedClock } from '../../src/clock.ts';
import type { Hotline } from '../../src/hotline.ts';
import { createLogger } from '../../src/log.ts';
import { type AriSimulator, startAriSimulator } from '../../src/sim/index.ts';
import { MemoryRecords, plans, type Rig, startRig, VirtualTime } from '../support/engine-harness.ts';
import { type PrivateRedis, startPrivateRedis } from '../support/redis.ts';

/**
 * Agents survive a Redis that restarts empty (it keeps nothing on disk): their roster, login,
 * ready / not-ready with its reason and wrap-up come back (src/acd/agent-recovery.ts), and new
 * calls are answered without anyone logging in again.
 */

const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const roster = ['a1001', 'a1002', 'a1003', 'a1004'].map((id) => ({
  id,
  name: id,
  pools: ['general'],
  skills: { general: 5 },
}));

let redis: PrivateRedis | undefined;
let rig: Rig | undefined;
let sim: AriSimulator | undefined;
const engines: Hotline[] = [];
afterEach(async () => {
  await rig?.close().catch(() => undefined);
  rig = undefined;
  for (const e of engines.splice(0)) await e.close().catch(() => undefined);
  await sim?.stop();
  sim = undefined;
  await redis?.stop();
  redis = undefined;
});

const statesOf = async (h: Hotline) => new Map((await h.store.listAgents()).map((a) => [a.id, a]));

/** Agent a1003 takes a call and hangs up after 2 s (wrap-up follows); the others are as named. */
async function staff(
  h: Hotline,
  simulator: AriSimulator,
  run: (what: string, p: () => boolean | Promise<boolean>) => Promise<void>,
  app: string,
) {
  simulator.setEndpoint('PJSIP/a1003', {
    behaviour: 'answer',
    answerAfterMs: 300,
    hangupAfterMs: 2000,
    online: true,
  });
  await h.store.login('a1003', 'PJSIP/a1003');
  const first = simulator.injectCall({ app, dialed: '12345', callerNumber: '13900000070' });
  await run('a1003 in wrap-up', async () => (await h.store.getAgent('a1003'))?.status.state === 'wrap-up');
  expect(first.channelId).toBeTruthy();
  for (const id of ['a1001', 'a1002', 'a1004']) {
    simulator.setEndpoint(`PJSIP/${id}`, {
      behaviour: 'answer',
      answerAfterMs: 300,
      hangupAfterMs: 1000,
      online: true,
    });
    await h.store.login(id, `PJSIP/${id}`);
  }
  await h.store.notReady('a1002', 'lunch');
  await h.store.logout('a1004');
  // The mirror follows the change feed (pub/sub): Redis may go only once it has the last changes.
  await run('the agent mirror up to date', async () => {
    const stored = await h.store.listAgents();
    return stored.every((a) => JSON.stringify(h.recovery?.agent(a.id)?.status) === JSON.stringify(a.status));
  });
}

function expectRestored(before: Map<string, Agent>, after: Map<string, Agent>) {
  for (const [id, agent] of before) expect(after.get(id), id).toEqual(agent);
  expect(after.get('a1001')!.status.state).toBe('ready');
  expect(after.get('a1002')!.status).toMatchObject({ state: 'not-ready', notReadyReason: 'lunch' });
  expect(after.get('a1003')!.status.state).toBe('wrap-up');
  expect(after.get('a1004')!.status).toMatchObject({ state: 'logged-out', endpoint: 'PJSIP/a1004' });
}

describe('agents when Redis restarts empty', () => {
  it('come back logged in, ready, not-ready with their reason and in wrap-up, and answer new calls (Redis killed and started empty)', async () => {
    redis = await startPrivateRedis();
    rig = await startRig({ roster, redisUrl: redis.url, promptMs: 500 });
    const r = rig;
    await staff(r.hotline, r.sim, (w, p) => r.runUntil(w, p), 'hotline');
    const before = await statesOf(r.hotline);
    const reserved: string[] = [];
    r.hotline.store.onChange((c) => {
      if (c.kind === 'agent' && c.cause === 'reserve') reserved.push(c.agentId);
    });

    await redis.restart();
    await r.runUntil('the agents back in their states', async () => {
      const now = await r.hotline.store.listAgents();
      return now.filter((a) => a.status.state !== 'logged-out').length === 3;
    });
    expectRestored(before, await statesOf(r.hotline));

    // New calls are answered by the ready agent and by a1003 after its wrap-up; a1002 (not
    // ready) and a1004 (logged out) are never offered one.
    const ended: CallState[] = [];
    r.hotline.engine.onEnded((s) => ended.push(s));
    const calls = [0, 1].map((i) =>
      r.sim.injectCall({ app: 'hotline', dialed: '12345', callerNumber: `1390000008${i}` }),
    );
    const endedOf = () => ended.filter((s) => calls.some((c) => c.channelId === s.id));
    await r.runUntil('both calls answered and ended', () => endedOf().length === 2);
    expect(endedOf().map((s) => s.disposition)).toEqual(['answered', 'answered']);
    expect(reserved).toContain('a1001');
    expect(reserved.filter((id) => id !== 'a1001' && id !== 'a1003')).toEqual([]);
  }, 60_000);

  it('come back when Redis is flushed while connected (found by the periodic check)', async () => {
    redis = await startPrivateRedis();
    rig = await startRig({ roster, redisUrl: redis.url, promptMs: 500 });
    const r = rig;
    await staff(r.hotline, r.sim, (w, p) => r.runUntil(w, p), 'hotline');
    const before = await statesOf(r.hotline);
    const admin = new Redis(redis.url);
    try {
      await admin.flushall();
    } finally {
      await admin.quit();
    }
    expect(await r.hotline.store.listAgents()).toEqual([]);
    await r.runUntil(
      'the agents back in their states',
      async () =>
        (await r.hotline.store.listAgents()).filter((a) => a.status.state !== 'logged-out').length === 3,
      { maxVirtualMs: 5_000 },
    );
    expectRestored(before, await statesOf(r.hotline));
    const ended: CallState[] = [];
    r.hotline.engine.onEnded((s) => ended.push(s));
    const call = r.sim.injectCall({ app: 'hotline', dialed: '12345', callerNumber: '13900000090' });
    await r.runUntil('the call answered and ended', () => ended.some((s) => s.id === call.channelId));
    expect(ended.find((s) => s.id === call.channelId)!.disposition).toBe('answered');
  }, 60_000);

  it('are restored once, to their last states, by two engines recovering at once; an agent on a live call stays on it', async () => {
    redis = await startPrivateRedis();
    const clock = new SteppedClock(Date.now());
    sim = await startAriSimulator({ clock, logger, defaultPlaybackMs: 500 });
    const time = new VirtualTime(clock, { sim, engines: () => engines });
    const run = (what: string, p: () => boolean | Promise<boolean>) => time.runUntil(what, p);
    const prefix = `hotline-test-${process.pid}-${Date.now()}`;
    const recordsOf = new Map<Hotline, MemoryRecords>();
    for (const [engineId, app] of [
      ['engine-one', 'hotline'],
      ['engine-two', 'hotline2'],
    ] as const) {
      const records = new MemoryRecords();
      const h = await startHotline({
        plan: plans.sichuan(),
        ari: { url: sim.url, user: 'hotline', password: 'hotline', apps: [app], maxConnections: 8 },
        redisUrl: redis.url,
        redisKeyPrefix: prefix,
        roster,
        records,
        engineId,
        clock,
        logger,
        env: {},
      });
      engines.push(h);
      recordsOf.set(h, records);
    }
    const [one, two] = engines as [Hotline, Hotline];
    await staff(two, sim, run, 'hotline2');
    // a1001 is talking on a call of engine one when Redis goes.
    sim.setEndpoint('PJSIP/a1001', { behaviour: 'answer', answerAfterMs: 300, online: true });
    const talking = sim.injectCall({ app: 'hotline', dialed: '12345', callerNumber: '13900000091' });
    await run('a1001 talking', () => one.engine.call(talking.channelId)?.stage === 'talking');
    const before = await statesOf(one);
    expect(before.get('a1001')!.status).toMatchObject({ state: 'on-call', engineId: 'engine-one' });
    // How many agents each engine's restore wrote.
    const written: number[] = [];
    for (const h of engines) {
      const store = h.store as unknown as { restoreAgents(a: Agent[]): Promise<number> };
      const restore = store.restoreAgents.bind(store);
      store.restoreAgents = async (agents) => {
        const n = await restore(agents);
        written.push(n);
        return n;
      };
    }

    // Both engines see the connection come back at once and recover together.
    await redis.restart();
    await run('the agents back in their states', async () => {
      const now = await one.store.listAgents();
      return now.filter((a) => a.status.state !== 'logged-out').length === 3;
    });
    await run('both engines recovered', () => written.length === 2);
    const after = await statesOf(one);
    for (const [id, agent] of before) expect(after.get(id), id).toEqual(agent);
    expect(after.get('a1002')!.status).toMatchObject({ state: 'not-ready', notReadyReason: 'lunch' });
    // Each agent written once, by whichever engine came first; none twice or over a newer state.
    expect(written.reduce((a, b) => a + b, 0)).toBe(4);
    // Agents on both engines agree.
    expect(await statesOf(two)).toEqual(after);

    // The live call ends normally: its agent goes to wrap-up, then new calls on engine two are
    // answered by the restored agents.
    const ended: CallState[] = [];
    for (const h of engines) h.engine.onEnded((s) => ended.push(s));
    sim.hangup(talking.channelId);
    await run(
      'a1001 in wrap-up',
      async () => (await one.store.getAgent('a1001'))?.status.state === 'wrap-up',
    );
    await run('its record', () => recordsOf.get(one)!.records.length === 1);
    expect(recordsOf.get(one)!.records.map((x) => [x.agentId, x.disposition])).toEqual([
      ['a1001', 'answered'],
    ]);
    sim.setEndpoint('PJSIP/a1001', {
      behaviour: 'answer',
      answerAfterMs: 300,
      hangupAfterMs: 1000,
      online: true,
    });
    const next = [0, 1].map((i) =>
      sim!.injectCall({ app: 'hotline2', dialed: '12345', callerNumber: `1390000009${i + 2}` }),
    );
    const endedOf = () => ended.filter((s) => next.some((c) => c.channelId === s.id));
    await run('the new calls answered and ended', () => endedOf().length === 2);
    expect(endedOf().map((s) => s.disposition)).toEqual(['answered', 'answered']);
  }, 90_000);

  it('under load: calls keep being answered after Redis restarts empty mid-stream, each with exactly one record', async () => {
    const crowd = Array.from({ length: 20 }, (_, i) => ({
      id: `b${1000 + i}`,
      name: `b${1000 + i}`,
      pools: ['general'],
      skills: { general: 5 },
    }));
    redis = await startPrivateRedis();
    rig = await startRig({ roster: crowd, redisUrl: redis.url, promptMs: 500 });
    const r = rig;
    for (const a of crowd) {
      r.sim.setEndpoint(`PJSIP/${a.id}`, {
        behaviour: 'answer',
        answerAfterMs: 300,
        hangupAfterMs: 8000,
        online: true,
      });
      await r.hotline.store.login(a.id, `PJSIP/${a.id}`);
    }
    const ended: CallState[] = [];
    r.hotline.engine.onEnded((s) => ended.push(s));
    // 120 calls, one every 250 ms of virtual time (4 calls/s); Redis restarts empty after the 60th.
    const placed: string[] = [];
    for (let i = 0; i < 120; i++) {
      placed.push(
        r.sim.injectCall({
          app: 'hotline',
          dialed: '12345',
          callerNumber: `13900001${String(i).padStart(3, '0')}`,
        }).channelId,
      );
      if (i === 59) await redis.restart();
      await r.advance(250);
    }
    await r.runUntil('every call ended', () => ended.length === placed.length, { maxVirtualMs: 600_000 });
    const keys = r.records.records.map((rec) => rec.idempotencyKey);
    expect(new Set(keys).size).toBe(keys.length);
    expect(r.records.records.map((rec) => rec.callId).sort()).toEqual([...placed].sort());
    // After the restart the agents are back and take the calls: every one of the last 40 is answered.
    const last = new Set(placed.slice(80));
    const lastAnswered = ended.filter((s) => last.has(s.id) && s.disposition === 'answered').length;
    console.log(
      JSON.stringify({
        scenario: 'redis-restart-empty-under-load',
        calls: placed.length,
        records: keys.length,
        duplicates: keys.length - new Set(keys).size,
        answered: ended.filter((s) => s.disposition === 'answered').length,
        answeredOfLast40: lastAnswered,
      }),
    );
    expect(lastAnswered).toBe(40);
  }, 120_000);
});
