import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { migrate } from '../../src/reports/migrate.ts';
import { READ_POOL_APPLICATION_NAME, RecordsReadDatabase } from '../../src/reports/records-read-database.ts';
import { ReportQuery } from '../../src/reports/report.ts';
import { createTestDatabase, type TestDatabase } from './database-support.ts';

/**
 * serve reads the records database (reports, wallboard's day) over one pool: the connections to
 * this test's own database, other than the test's own pool, are all that pool's.
 */
describe("serve's read pool on the records database", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('hotline_reads');
    await migrate(db.sql);
  }, 60_000);
  afterAll(async () => {
    await db?.drop();
  });

  async function readConnections(): Promise<string[]> {
    const rows = await db.sql<{ application_name: string }[]>`
      SELECT application_name FROM pg_stat_activity
       WHERE datname = ${db.name} AND pid <> pg_backend_pid() AND application_name <> 'hotline-test'`;
    return rows.map((r) => r.application_name);
  }

  it('is none without RECORDS_DATABASE_URL', () => {
    expect(RecordsReadDatabase.fromEnv({})).toBeUndefined();
  });

  it("serves a report and the wallboard's day over one connection, ended at close", async () => {
    const reads = RecordsReadDatabase.fromEnv({ RECORDS_DATABASE_URL: db.url })!;
    try {
      expect(await readConnections()).toEqual([]);
      const q = ReportQuery.parse({ from: '2026-11-01', to: '2026-11-30', grain: 'day', by: 'line' });
      expect(await reads.reports.summary(q)).toEqual([]);
      // One after the other: a reader with a pool of its own would open a second connection.
      const day = await reads.day.readDay('2026-12-01', 15);
      expect(day.slots).toHaveLength(96);
      expect(await readConnections()).toEqual([READ_POOL_APPLICATION_NAME]);
    } finally {
      await reads.close();
    }
    await reads.close();
    await vi.waitFor(async () => expect(await readConnections()).toEqual([]), {
      timeout: 10_000,
      interval: 50,
    });
  });
});
