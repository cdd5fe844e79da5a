import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import type { DaySlotStore } from '../../src/admin/day-slots.ts';
import { dayKeys, RedisDaySlots } from '../../src/admin/redis-day-slots.ts';
import { issueToken, TokenSet } from '../../src/admin/tokens.ts';
import { buildApi } from '../../src/api/server.ts';
import { rosterToAgents } from '../../src/app.ts';
import { createLogger } from '../../src/log.ts';
import type { RosterEntry } from '../../src/roster.ts';
import { type Rig, readyAgents, startRig } from '../support/engine-harness.ts';
import { testRedisUrl } from '../support/redis.ts';

const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const supervisor = issueToken('duty-supervisor', 'supervisor');
const roster: RosterEntry[] = [
  { id: 'a1001', name: '王敏', endpoint: 'PJSIP/agent1001', pools: ['general'], skills: { general: 5 } },
  { id: 'a1002', name: '李强', endpoint: 'PJSIP/agent1002', pools: ['general'], skills: { general: 5 } },
];
// Mid-morning in Shanghai: the day does not turn during a test.
const at = '2026-12-01T10:00:00+08:00';

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close().catch(() => undefined);
});

async function startApi(rig: Rig, daySlots?: DaySlotStore): Promise<FastifyInstance> {
  const app = await buildApi({
    hotline: rig.hotline,
    roster: rosterToAgents(roster, 'sichuan'),
    clock: rig.clock,
    logger,
    tokens: new TokenSet([supervisor.entry]),
    ...(daySlots ? { daySlots } : {}),
  });
  closers.push(() => app.close());
  return app;
}

async function stats(app: FastifyInstance) {
  const r = await app.inject({
    method: 'GET',
    url: '/stats',
    headers: { authorization: `Bearer ${supervisor.token}` },
  });
  expect(r.statusCode).toBe(200);
  return r.json();
}

async function rig(): Promise<Rig> {
  const r = await startRig({ roster, at, promptMs: 1000 });
  closers.push(() => r.close());
  await readyAgents(r, [{ id: 'a1001', endpoint: 'PJSIP/agent1001', answerAfterMs: 500 }]);
  return r;
}

/** One call to 12345, answered by a1001, then hung up; returns when its record is written. */
async function answeredCall(r: Rig, options: { ignoreRedis?: boolean } = {}): Promise<void> {
  const { channelId } = r.sim.injectCall({ app: 'hotline', dialed: '12345', callerNumber: '13800000001' });
  await r.runUntil('talking', () => r.hotline.engine.call(channelId)?.stage === 'talking', options);
  r.sim.hangup(channelId);
  await r.runUntil('the record', () => r.records.records.some((x) => x.callId === channelId), options);
}

const sum = (xs: { [k: string]: number }[], key: string) => xs.reduce((n, x) => n + (x[key] ?? 0), 0);

describe("the wallboard's day figures", () => {
  it('count a call as it happens: offered and answered while it talks, talking the agents on a call, 今日接听 adding up', async () => {
    const r = await rig();
    const app = await startApi(r);
    const { channelId } = r.sim.injectCall({ app: 'hotline', dialed: '12345', callerNumber: '13800000001' });
    await r.runUntil('talking', () => r.hotline.engine.call(channelId)?.stage === 'talking');

    const live = await stats(app);
    expect(live.kpi).toMatchObject({ calls: 1, offered: 1, answered: 1, abandoned: 0, agentAnswers: 1 });
    expect(sum(live.agents, 'callsAnsweredToday')).toBe(live.kpi.agentAnswers);
    expect(live.kpi.offered).toBeGreaterThanOrEqual(live.kpi.answered);
    expect(live.live).toMatchObject({ calls: 1, talking: 1, waiting: 0, ringing: 0 });
    expect(live.agentTotals.onCall).toBe(live.live.talking);
    expect(live.agents.filter((a: { state: string }) => a.state === 'on-call')).toHaveLength(1);
    expect(sum(live.queues, 'agentsOnCall')).toBe(live.live.talking);
    expect(live.trend.at(-1)).toMatchObject({ start: '10:00', offered: 1, answered: 1, serviceLevel: 1 });
    expect(live.daySource).toBe('memory');

    r.sim.hangup(channelId);
    await r.runUntil('the record', () => r.records.records.some((x) => x.callId === channelId));
    const after = await stats(app);
    // The end adds nothing already counted.
    expect(after.kpi).toMatchObject({ calls: 1, offered: 1, answered: 1, agentAnswers: 1 });
    expect(after.live).toMatchObject({ calls: 0, talking: 0 });
    expect(sum(after.agents, 'callsAnsweredToday')).toBe(after.kpi.agentAnswers);
  }, 60_000);

  it("count an expert seat's consultation as an agent answer, not a second call: Σ 今日接听 = agent answers ≥ 接通", async () => {
    const withExpert: RosterEntry[] = [
      ...roster,
      { id: 'e2001', name: '赵律', endpoint: 'PJSIP/e2001', expertSeats: ['legal'], skills: { legal: 9 } },
    ];
    const r = await startRig({ roster: withExpert, at, promptMs: 1000 });
    closers.push(() => r.close());
    await readyAgents(r, [
      { id: 'a1001', endpoint: 'PJSIP/agent1001', answerAfterMs: 500 },
      { id: 'e2001', endpoint: 'PJSIP/e2001', answerAfterMs: 300 },
    ]);
    const app = await buildApi({
      hotline: r.hotline,
      roster: rosterToAgents(withExpert, 'sichuan'),
      clock: r.clock,
      logger,
      tokens: new TokenSet([supervisor.entry]),
    });
    closers.push(() => app.close());
    const { channelId } = r.sim.injectCall({ app: 'hotline', dialed: '12345', callerNumber: '13800000001' });
    const call = () => r.hotline.engine.call(channelId);
    await r.runUntil('talking', () => call()?.stage === 'talking');
    r.hotline.engine.request(channelId, { kind: 'transfer', target: 'expert:legal', mode: 'consult' });
    await r.runUntil('the expert answered', () => call()?.transfers?.[0]?.result === 'connected');

    const s = await stats(app);
    expect(s.kpi).toMatchObject({ calls: 1, offered: 1, answered: 1, agentAnswers: 2 });
    expect(sum(s.agents, 'callsAnsweredToday')).toBe(s.kpi.agentAnswers);
    // Both agents talk: the agents' totals, the tiles and the queues' 通话 say 2 alike.
    expect(s.live.talking).toBe(2);
    expect(s.agentTotals.onCall).toBe(2);
    expect(sum(s.queues, 'agentsOnCall')).toBe(2);
    r.sim.hangup(channelId);
  }, 60_000);

  it('are kept in Redis: an API started anew (a restart) shows the same day; in memory it starts from zero', async () => {
    const redis = new Redis(testRedisUrl());
    closers.push(async () => redis.disconnect());
    const centerId = `day-${process.pid}-${Math.random().toString(36).slice(2)}`;
    const r = await rig();
    const first = await startApi(r, new RedisDaySlots({ redis, centerId }));
    await answeredCall(r);
    await expect.poll(async () => (await stats(first)).kpi.agentAnswers, { timeout: 10_000 }).toBe(1);
    const before = await stats(first);
    expect(before.daySource).toBe('redis');
    expect(before.kpi).toMatchObject({ calls: 1, offered: 1, answered: 1 });
    await first.close();

    const again = await stats(await startApi(r, new RedisDaySlots({ redis, centerId })));
    expect(again.daySource).toBe('redis');
    expect(again.kpi).toEqual(before.kpi);
    expect(again.trend).toEqual(before.trend);
    const memoryOnly = await stats(await startApi(r));
    expect(memoryOnly.kpi).toMatchObject({ calls: 0, offered: 0, answered: 0 });
  }, 60_000);

  it('count a call that goes on through a restart once: the new process brings its earlier facts again', async () => {
    const redis = new Redis(testRedisUrl());
    closers.push(async () => redis.disconnect());
    const centerId = `day-${process.pid}-${Math.random().toString(36).slice(2)}`;
    const r = await rig();
    const first = await startApi(r, new RedisDaySlots({ redis, centerId }));
    const { channelId } = r.sim.injectCall({ app: 'hotline', dialed: '12345', callerNumber: '13800000001' });
    await r.runUntil('talking', () => r.hotline.engine.call(channelId)?.stage === 'talking');
    expect((await stats(first)).kpi).toMatchObject({ calls: 1, offered: 1, answered: 1, agentAnswers: 1 });
    await first.close();

    // The new process's feed has seen nothing of this call: at its end it sends every fact again.
    const second = await startApi(r, new RedisDaySlots({ redis, centerId }));
    r.sim.hangup(channelId);
    // The rig settles once Redis has answered every command: the counts are in.
    await r.runUntil('the record', () => r.records.records.some((x) => x.callId === channelId));
    const s = await stats(second);
    expect(s.daySource).toBe('redis');
    expect(s.kpi).toMatchObject({ calls: 1, offered: 1, answered: 1, agentAnswers: 1 });
  }, 60_000);

  it('count a fact once in Redis when a restored call or another engine brings it again', async () => {
    const redis = new Redis(testRedisUrl());
    closers.push(async () => redis.disconnect());
    const centerId = `day-${process.pid}-${Math.random().toString(36).slice(2)}`;
    const [one, other] = [new RedisDaySlots({ redis, centerId }), new RedisDaySlots({ redis, centerId })];
    const fact = {
      callId: 'c1',
      key: 'answered',
      at: Date.parse(at),
      add: { answered: 1, waitMs: 4200 },
    };
    await one.count(fact);
    await other.count(fact);
    await one.count({
      callId: 'c1',
      key: 'arrived',
      at: Date.parse(at),
      add: { arrived: 1 },
      line: 'l12319',
    });
    const day = await other.read('2026-12-01');
    expect(day.slots[40]).toMatchObject({ answered: 1, waitMs: 4200, arrived: 1 });
    expect(day.lines).toEqual({ l12319: 1 });
    expect(await redis.ttl(dayKeys(centerId, '2026-12-01').counts)).toBeGreaterThan(86_400);
  });

  it("show this engine's own figures, and say so, when Redis does not answer", async () => {
    // A Redis nobody listens on: commands wait (as the engine's connection does during an outage).
    const away = new Redis({
      port: 1,
      lazyConnect: true,
      maxRetriesPerRequest: null,
      retryStrategy: () => 50,
    });
    away.on('error', () => undefined);
    closers.push(async () => away.disconnect());
    const r = await rig();
    const app = await startApi(r, new RedisDaySlots({ redis: away, centerId: 'away', readTimeoutMs: 100 }));
    // The counts sent to it stay unanswered: the rig's quiescence must not wait for them.
    await answeredCall(r, { ignoreRedis: true });
    const s = await stats(app);
    expect(s.daySource).toBe('memory-redis-unreachable');
    expect(s.kpi).toMatchObject({ calls: 1, offered: 1, answered: 1 });
  }, 60_000);
});
