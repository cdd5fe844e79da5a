import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { DatabaseTransport } from '../../src/reports/database-transport.ts';
import { migrate } from '../../src/reports/migrate.ts';
import { RecordsRetention } from '../../src/reports/retention.ts';
import { sampleRecords } from '../../src/reports/sample-records.ts';
import { until } from '../records/delivery-support.ts';
import { createTestDatabase, type TestDatabase } from './database-support.ts';
import { outboxEntry } from './entries.ts';

const DAY = 86_400_000;
/** Now, for the test: 2026-06-30 12:00 UTC. */
const NOW = Date.UTC(2026, 5, 30, 12, 0, 0);

describe('retention of the records database', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
    await migrate(db.sql);
    // 200 calls a day over the 60 days before now.
    const records = [...sampleRecords({ count: 12_000, seed: 11, start: NOW - 60 * DAY, days: 60 })];
    await new DatabaseTransport(db.sql).sendBatch(records.map(outboxEntry));
  }, 60_000);
  afterAll(async () => {
    await db?.drop();
  });

  const older = async (days: number) =>
    (
      await db.sql<{ n: number }[]>`
        SELECT count(*)::int AS n FROM call_records WHERE arrived_at < ${new Date(NOW - days * DAY)}`
    )[0]!.n;
  const all = async () => (await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM call_records`)[0]!.n;
  const orphans = async () =>
    (
      await db.sql<{ n: number }[]>`
        SELECT count(*)::int AS n FROM call_transfers t
        WHERE NOT EXISTS (SELECT 1 FROM call_records r WHERE r.idempotency_key = t.idempotency_key)`
    )[0]!.n;

  it('keeps everything when the retention is 0', async () => {
    const before = await all();
    const retention = new RecordsRetention({
      sql: db.sql,
      clock: new ManualClock(NOW),
      retentionDays: 0,
      everyMs: 1000,
    });
    expect(await retention.sweep()).toBe(0);
    expect(await all()).toBe(before);
  });

  it('deletes, in batches, only the calls that arrived before the retention, with their transfers', async () => {
    const before = await all();
    const old = await older(45);
    expect(old).toBeGreaterThan(2000);
    const retention = new RecordsRetention({
      sql: db.sql,
      clock: new ManualClock(NOW),
      retentionDays: 45,
      everyMs: 60_000,
      batch: 700,
    });
    expect(await retention.sweep()).toBe(old);
    expect(await older(45)).toBe(0);
    expect(await all()).toBe(before - old);
    expect(await orphans()).toBe(0);
  });

  it('sweeps on the engine clock, one period after start', async () => {
    const clock = new ManualClock(NOW);
    const lines: string[] = [];
    const retention = new RecordsRetention({
      sql: db.sql,
      clock,
      logger: pino({}, { write: (l: string) => lines.push(l) }),
      retentionDays: 30,
      everyMs: 3_600_000,
    });
    const old = await older(30);
    expect(old).toBeGreaterThan(0);
    retention.start();
    clock.advance(3_599_000);
    expect(await older(30)).toBe(old);
    clock.advance(1_000);
    await until('the sweep', async () => (await older(30)) === 0);
    await until('its log line', () => lines.some((l) => l.includes('past their retention deleted')));
    await retention.stop();
    expect(await older(29)).toBeGreaterThan(0);
  });
});
