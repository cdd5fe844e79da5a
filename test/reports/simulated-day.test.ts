import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.ts';
import { loadPlan } from '../../src/plan/load.ts';
import { readRecordsFile } from '../../src/records/records-file.ts';
import { DatabaseReportSource } from '../../src/reports/database-source.ts';
import { RecordsReportSource } from '../../src/reports/records-source.ts';
import { ReportQuery } from '../../src/reports/report.ts';
import { DIMENSIONS } from '../../src/reports/report-rows.ts';
import { runSimulation } from '../../src/synthetic/run-simulation.ts';
import { root } from '../support/engine-harness.ts';
import { createTestDatabase, type TestDatabase } from './database-support.ts';

/**
 * The "done when": a simulated run with the records database configured, then every
 * report from the database equals the same report computed from the run's JSONL records.
 */
describe('a simulated day with the records database', () => {
  let db: TestDatabase;
  let dir: string;
  beforeAll(async () => {
    db = await createTestDatabase();
    dir = mkdtempSync(join(tmpdir(), 'hotline-sim-reports-'));
  });
  afterAll(async () => {
    await db?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('gives the same reports from the database as from the JSONL records of the same run', async () => {
    const calls = 300;
    const recordsPath = join(dir, 'records.jsonl');
    const run = await runSimulation({
      plan: loadPlan(join(root, 'routing-rules')).plan,
      calls,
      agents: 20,
      seed: 2112,
      rate: 3,
      speed: 100,
      recordsPath,
      logger: createLogger({ level: 'silent' }),
      env: {
        RECORDS_DATABASE_URL: db.url,
        RECORDS_OUTBOX: 'file',
        RECORDS_OUTBOX_DIR: join(dir, 'outbox'),
        RECORDS_KEY: Buffer.alloc(32, 3).toString('base64'),
        RECORDS_KEY_ID: 'sim',
      },
    });
    expect(run.recordFailures).toBe(0);
    const file = await readRecordsFile(recordsPath, { badLines: 'list' });
    expect(file.skipped).toEqual([]);
    expect(file.records).toHaveLength(calls);
    const [stored] = await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM call_records`;
    expect(stored!.n).toBe(calls);

    const arrivals = file.records.map((r) => Date.parse(r.times.arrivedAt));
    const span = { from: new Date(Math.min(...arrivals)), to: new Date(Math.max(...arrivals) + 1) };
    const fromDb = new DatabaseReportSource(db.sql);
    const fromFile = new RecordsReportSource(file.records);
    for (const grain of ['hour', 'day', 'month'] as const)
      for (const by of DIMENSIONS) {
        const q = ReportQuery.parse({ ...span, grain, by });
        expect(await fromDb.summary(q), `${grain} by ${by}`).toEqual(await fromFile.summary(q));
      }
    const day = ReportQuery.parse({ ...span, grain: 'day', by: 'all' });
    const [all] = await fromDb.summary(day);
    // A real run: calls offered, answered, some within 15 s.
    expect(all!.calls).toBe(calls);
    expect(all!.answered).toBeGreaterThan(0);
    expect(all!.serviceLevel15s).toBeGreaterThan(0);
    // …and the engine's own tally of the same calls (callFigures over the sessions, not the records).
    expect(all!.answered).toBe(run.summary.answered);
    expect(all!.abandoned).toBe(run.summary.abandoned);
    expect(all!.serviceLevel15s).toBeCloseTo(run.summary.serviceLevel15s, 2);
    expect(await fromDb.transfers(day)).toEqual(await fromFile.transfers(day));
    expect(await fromDb.heatmap(span)).toEqual(await fromFile.heatmap(span));
  }, 180_000);
});
