import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { dayFacts } from '../../src/admin/day-facts.ts';
import { type DayCounts, MemoryDaySlots } from '../../src/admin/day-slots.ts';
import { issueToken, TokenSet } from '../../src/admin/tokens.ts';
import { buildApi } from '../../src/api/server.ts';
import { rosterToAgents } from '../../src/app.ts';
import type { CallState } from '../../src/calls/core/types.ts';
import { EngineGroup } from '../../src/calls/runtime/engine-group.ts';
import type { HeldHotline } from '../../src/hotline.ts';
import { createLogger } from '../../src/log.ts';
import type { CallRecord } from '../../src/records/schema.ts';
import { DatabaseDaySlots, type DaySlotsReader } from '../../src/reports/database-day-slots.ts';
import { DatabaseTransport } from '../../src/reports/database-transport.ts';
import { migrate } from '../../src/reports/migrate.ts';
import { RecordsReadDatabase } from '../../src/reports/records-read-database.ts';
import type { RosterEntry } from '../../src/roster.ts';
import { createTestDatabase, type TestDatabase } from '../reports/database-support.ts';
import { type Rig, readyAgents, startRig } from '../support/engine-harness.ts';

const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const supervisor = issueToken('duty-supervisor', 'supervisor');
const roster: RosterEntry[] = [
  { id: 'a1001', name: '王敏', endpoint: 'PJSIP/agent1001', pools: ['general'], skills: { general: 5 } },
];
// Mid-morning in Shanghai: the day does not turn during a test.
const day = '2026-12-01';
const at = `${day}T10:00:00+08:00`;

let db: TestDatabase;
const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close().catch(() => undefined);
});
beforeAll(async () => {
  db = await createTestDatabase('hotline_stats');
  await migrate(db.sql);
}, 60_000);
afterAll(async () => {
  await db?.drop();
});

/** Stores records as the outbox's database destination does. */
async function store(records: readonly CallRecord[]): Promise<void> {
  const transport = new DatabaseTransport(db.sql);
  const results = await transport.sendBatch(
    records.map((r, i) => ({
      id: `database:${r.idempotencyKey}`,
      destination: 'database',
      kind: 'call-record' as const,
      callId: r.callId,
      idempotencyKey: r.idempotencyKey,
      body: JSON.stringify(r),
      createdAt: i,
      attempts: 0,
      nextAt: 0,
    })),
  );
  expect(results.every((x) => x.ok)).toBe(true);
}

async function rig(): Promise<Rig> {
  const r = await startRig({ roster, at, promptMs: 1000 });
  closers.push(() => r.close());
  return r;
}

async function api(r: Rig, databaseDay?: DaySlotsReader): Promise<FastifyInstance> {
  const app = await buildApi({
    hotline: r.hotline,
    roster: rosterToAgents(roster, 'sichuan'),
    clock: r.clock,
    logger,
    tokens: new TokenSet([supervisor.entry]),
    ...(databaseDay ? { databaseDay } : {}),
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

/**
 * A morning of calls through the engine: one answered at once; while it talks, one abandoned in
 * the queue after 10 s and one that waits for the agent's wrap-up (outside the 15 s service
 * level); each ended, its record written.
 */
async function morning(r: Rig): Promise<CallState[]> {
  const ended: CallState[] = [];
  r.hotline.engine.onEnded((s) => ended.push(s));
  const stage = (id: string) => r.hotline.engine.call(id)?.stage;
  const recorded = (id: string) =>
    r.runUntil('the record', () => r.records.records.some((x) => x.callId === id));
  await readyAgents(r, [{ id: 'a1001', endpoint: 'PJSIP/agent1001', answerAfterMs: 500 }]);
  const quick = r.sim.injectCall({ app: 'hotline', dialed: '12345', callerNumber: '13800000001' }).channelId;
  await r.runUntil('quick talking', () => stage(quick) === 'talking');
  const gone = r.sim.injectCall({ app: 'hotline', dialed: '12345', callerNumber: '13800000002' }).channelId;
  await r.runUntil('abandoned queued', () => stage(gone) === 'queued');
  await r.advance(10_000);
  r.sim.hangup(gone);
  await recorded(gone);
  const late = r.sim.injectCall({ app: 'hotline', dialed: '12345', callerNumber: '13800000003' }).channelId;
  await r.runUntil('late queued', () => stage(late) === 'queued');
  await r.advance(5_000);
  r.sim.hangup(quick);
  await recorded(quick);
  await r.runUntil('late talking', () => stage(late) === 'talking');
  await r.advance(20_000);
  r.sim.hangup(late);
  await recorded(late);
  return ended;
}

/** The day as the engine's own slots count it, from the same calls. */
async function memoryDay(calls: readonly CallState[], sl: number): Promise<DayCounts> {
  const slots = new MemoryDaySlots();
  for (const s of calls) for (const f of dayFacts(s, sl)) slots.countNow(f);
  return slots.read(day);
}

describe("the wallboard's day figures from the records database", () => {
  it('are the slots the engine counts from the same calls (agent answers aside)', async () => {
    const r = await rig();
    const calls = await morning(r);
    expect(calls).toHaveLength(3);
    await store(r.records.records);
    const sl = r.hotline.plan.center.serviceLevelSeconds;
    const fromDb = await new DatabaseDaySlots(db.sql).readDay(day, sl);
    const expected = await memoryDay(calls, sl);
    for (const s of expected.slots) s.agentAnswers = 0;
    expect(fromDb).toEqual(expected);
    const totals = fromDb.slots.reduce(
      (t, s) => ({
        arrived: t.arrived + s.arrived,
        answered: t.answered + s.answered,
        abandoned: t.abandoned + s.abandoned,
        within: t.within + s.withinServiceLevel,
      }),
      { arrived: 0, answered: 0, abandoned: 0, within: 0 },
    );
    expect(totals).toEqual({ arrived: 3, answered: 2, abandoned: 1, within: 1 });
    // Another day of the center holds none of them.
    const other = await new DatabaseDaySlots(db.sql).readDay('2026-11-30', sl);
    expect(other.slots.every((s) => s.arrived === 0 && s.abandoned === 0)).toBe(true);
  }, 120_000);

  it('survive a restart: a new engine and API show the day from the database, live calls added', async () => {
    await db.sql`TRUNCATE call_records CASCADE`;
    const first = await rig();
    await morning(first);
    await store(first.records.records);
    const before = await stats(await api(first, new DatabaseDaySlots(db.sql, { reuseMs: 0 })));
    expect(before.daySource).toBe('database');
    expect(before.kpi).toMatchObject({ calls: 3, offered: 3, answered: 2, abandoned: 1 });

    // A restart: a new engine with nothing in memory.
    const second = await rig();
    const memoryOnly = await stats(await api(second));
    expect(memoryOnly.daySource).toBe('memory');
    expect(memoryOnly.kpi).toMatchObject({ calls: 0, offered: 0 });
    const app = await api(second, new DatabaseDaySlots(db.sql, { reuseMs: 0 }));
    const after = await stats(app);
    expect(after.daySource).toBe('database');
    expect(after.kpi).toMatchObject({
      calls: 3,
      offered: 3,
      answered: 2,
      abandoned: 1,
      answeredWithinServiceLevel: before.kpi.answeredWithinServiceLevel,
      asaSeconds: before.kpi.asaSeconds,
    });
    // The agents' answers are not in the records: the new engine counted none, the answered calls are the bound.
    expect(after.kpi.agentAnswers).toBe(2);
    expect(after.trend).toEqual(before.trend);
    expect(after.kpi.perLine).toEqual(before.kpi.perLine);

    // A call live on this engine counts as it happens, on top of the ended ones.
    const { channelId } = second.sim.injectCall({
      app: 'hotline',
      dialed: '12345',
      callerNumber: '13800000004',
    });
    await second.runUntil('queued', () => second.hotline.engine.call(channelId)?.stage === 'queued');
    const live = await stats(app);
    expect(live.kpi).toMatchObject({ calls: 4, offered: 4, answered: 2 });
    second.sim.hangup(channelId);
    await second.runUntil('ended', () => second.records.records.some((x) => x.callId === channelId));
  }, 180_000);

  it('add the live calls of an engine taken over (ENGINE_TAKEOVER) once: live, then from the database', async () => {
    await db.sql`TRUNCATE call_records CASCADE`;
    const own = await rig();
    // The engine this process took over, on a simulator of its own.
    const taken = await rig();
    const engines = new EngineGroup<HeldHotline>(own.hotline);
    engines.add('e1', taken.hotline);
    const app = await buildApi({
      hotline: own.hotline,
      engines,
      roster: rosterToAgents(roster, 'sichuan'),
      clock: own.clock,
      logger,
      tokens: new TokenSet([supervisor.entry]),
      databaseDay: new DatabaseDaySlots(db.sql, { reuseMs: 0 }),
    });
    closers.push(() => app.close());
    const { channelId } = taken.sim.injectCall({
      app: 'hotline',
      dialed: '12345',
      callerNumber: '13800000005',
    });
    await taken.runUntil('queued', () => taken.hotline.engine.call(channelId)?.stage === 'queued');
    const live = await stats(app);
    expect(live.daySource).toBe('database');
    expect(live.kpi).toMatchObject({ calls: 1, offered: 1, answered: 0, abandoned: 0 });
    taken.sim.hangup(channelId);
    await taken.runUntil('its record', () => taken.records.records.some((x) => x.callId === channelId));
    await taken.runUntil('no longer live', () => taken.hotline.engine.call(channelId) === undefined);
    await store(taken.records.records);
    // Now in the database and no longer live: still one call.
    expect((await stats(app)).kpi).toMatchObject({ calls: 1, offered: 1, abandoned: 1 });
  }, 120_000);

  it('are read over RECORDS_DATABASE_URL when the environment sets it, and not otherwise', async () => {
    expect(RecordsReadDatabase.fromEnv({})).toBeUndefined();
    const reads = RecordsReadDatabase.fromEnv({ RECORDS_DATABASE_URL: db.url });
    expect(reads).toBeDefined();
    try {
      const direct = await new DatabaseDaySlots(db.sql).readDay(day, 15);
      expect(await reads!.day.readDay(day, 15)).toEqual(direct);
      expect(direct.slots).toHaveLength(96);
    } finally {
      await reads!.close();
    }
  });

  it("fall back to the engine's own figures when the database does not answer, saying so", async () => {
    const r = await rig();
    const failing: DaySlotsReader = { readDay: () => Promise.reject(new Error('connect ECONNREFUSED')) };
    const app = await api(r, failing);
    await readyAgents(r, [{ id: 'a1001', endpoint: 'PJSIP/agent1001', answerAfterMs: 500 }]);
    const { channelId } = r.sim.injectCall({ app: 'hotline', dialed: '12345', callerNumber: '13800000001' });
    await r.runUntil('talking', () => r.hotline.engine.call(channelId)?.stage === 'talking');
    const s = await stats(app);
    expect(s.daySource).toBe('database-unreachable');
    expect(s.kpi).toMatchObject({ calls: 1, offered: 1, answered: 1 });
  }, 60_000);
});
