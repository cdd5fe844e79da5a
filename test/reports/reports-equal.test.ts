import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallRecord } from '../../src/records/schema.ts';
import { DatabaseReportSource } from '../../src/reports/database-source.ts';
import { DatabaseTransport } from '../../src/reports/database-transport.ts';
import { migrate } from '../../src/reports/migrate.ts';
import { RecordsReportSource } from '../../src/reports/records-source.ts';
import { ReportQuery } from '../../src/reports/report.ts';
import { DIMENSIONS } from '../../src/reports/report-rows.ts';
import { sampleRecords } from '../../src/reports/sample-records.ts';
import { createTestDatabase, type TestDatabase } from './database-support.ts';
import { outboxEntry } from './entries.ts';

/** 2026-01-28 00:00 in Asia/Shanghai: nine days across the January/February boundary. */
const START = Date.UTC(2026, 0, 27, 16, 0, 0);
const DAYS = 9;

/** Calls arriving a few seconds either side of midnight on the center's clock (16:00 UTC). */
function nearMidnight(records: CallRecord[]): CallRecord[] {
  return records.map((r, i) => {
    const day = Date.UTC(2026, 0, 31 + (i % 3), 16, 0, 0);
    const at = day + (i % 2 === 0 ? -1 : 0) * 1000 + (i % 2 === 0 ? 0 : 999);
    const shift = at - Date.parse(r.times.arrivedAt);
    const move = (t: string | undefined) =>
      t === undefined ? undefined : new Date(Date.parse(t) + shift).toISOString();
    const times = Object.fromEntries(
      Object.entries(r.times).map(([k, v]) => [k, move(v)]),
    ) as CallRecord['times'];
    return { ...r, times, transfers: r.transfers.map((t) => ({ ...t, startedAt: move(t.startedAt)! })) };
  });
}

describe('reports from the database and from the records', () => {
  let db: TestDatabase;
  let records: CallRecord[];
  beforeAll(async () => {
    db = await createTestDatabase();
    await migrate(db.sql);
    records = [
      ...sampleRecords({ count: 3000, seed: 7, start: START, days: DAYS }),
      ...nearMidnight([
        ...sampleRecords({ count: 60, seed: 8, start: START, days: 1, idPrefix: 'midnight' }),
      ]),
    ];
    const transport = new DatabaseTransport(db.sql);
    const results = await transport.sendBatch(records.map(outboxEntry));
    expect(results.every((r) => r.ok)).toBe(true);
  }, 60_000);
  afterAll(async () => {
    await db?.drop();
  });

  it('has a data set with every disposition, transfer mode and dimension to compare', () => {
    expect(new Set(records.map((r) => r.disposition)).size).toBe(13);
    expect(new Set(records.flatMap((r) => r.transfers.map((t) => t.mode))).size).toBe(5);
    expect(new Set(records.map((r) => r.line.id)).size).toBeGreaterThan(2);
    expect(new Set(records.map((r) => r.agentId)).size).toBeGreaterThan(5);
  });

  const periods = [
    { from: '2026-01-27T16:00:00Z', to: '2026-02-05T16:00:00Z' },
    // A window that cuts days and hours: the edges belong to it (from) and not (to).
    { from: '2026-01-31T15:59:59Z', to: '2026-02-01T16:00:00.999Z' },
  ];

  for (const p of periods)
    for (const grain of ['hour', 'day', 'month'] as const)
      for (const by of DIMENSIONS)
        it(`gives the same ${grain} summary by ${by} from ${p.from} to ${p.to}`, async () => {
          const q = ReportQuery.parse({ ...p, grain, by });
          const fromDb = await new DatabaseReportSource(db.sql).summary(q);
          const fromRecords = await new RecordsReportSource(records).summary(q);
          expect(fromDb.length).toBeGreaterThan(0);
          expect(fromDb).toEqual(fromRecords);
        });

  for (const grain of ['day', 'month'] as const)
    it(`gives the same transfers by ${grain}`, async () => {
      const q = ReportQuery.parse({ ...periods[0], grain });
      const fromDb = await new DatabaseReportSource(db.sql).transfers(q);
      expect(fromDb.length).toBeGreaterThan(5);
      expect(fromDb).toEqual(await new RecordsReportSource(records).transfers(q));
    });

  it('gives the same heat map of weekday × hour', async () => {
    const q = { from: new Date(periods[0]!.from), to: new Date(periods[0]!.to) };
    const fromDb = await new DatabaseReportSource(db.sql).heatmap(q);
    expect(fromDb).toHaveLength(168);
    expect(fromDb.reduce((n, c) => n + c.offered, 0)).toBeGreaterThan(1000);
    expect(fromDb).toEqual(await new RecordsReportSource(records).heatmap(q));
  });

  it('puts a call a second before midnight in Shanghai on that day, and one at midnight on the next', async () => {
    const q = ReportQuery.parse({ from: '2026-01-31T15:59:59Z', to: '2026-01-31T16:00:01Z', grain: 'day' });
    const rows = await new DatabaseReportSource(db.sql).summary(q);
    expect(rows.map((r) => r.period)).toEqual(['2026-01-31', '2026-02-01']);
  });
});
