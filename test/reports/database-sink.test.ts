import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import postgres from 'postgres';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.ts';
import { CallerCipher, parseRecordsKey } from '../../src/records/caller-crypto.ts';
import type { CallRecord } from '../../src/records/schema.ts';
import { readRecordsConfig } from '../../src/records/sinks/config.ts';
import { createRecordSink } from '../../src/records/sinks/factory.ts';
import { openDatabase } from '../../src/reports/database.ts';
import { DatabaseTransport } from '../../src/reports/database-transport.ts';
import { migrate } from '../../src/reports/migrate.ts';
import { sampleRecords } from '../../src/reports/sample-records.ts';
import { tempDir, until } from '../records/delivery-support.ts';
import { ADMIN_URL, createTestDatabase, type TestDatabase } from './database-support.ts';
import { outboxEntry } from './entries.ts';

const KEY = Buffer.alloc(32, 7).toString('base64');
const cipher = new CallerCipher(parseRecordsKey('k1', KEY));
const START = Date.UTC(2026, 2, 1, 0, 0, 0);

/** Sample records, and the clear caller numbers they were made from. */
function records(count: number, seed: number): { records: CallRecord[]; callers: string[] } {
  const callers: string[] = [];
  const list = [
    ...sampleRecords({
      count,
      seed,
      start: START,
      days: 3,
      encrypt: (n, id) => {
        callers.push(n);
        return cipher.encrypt(n, id);
      },
    }),
  ];
  return { records: list, callers };
}

const count = async (db: TestDatabase, table: 'call_records' | 'call_transfers') =>
  (await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM ${db.sql(table)}`)[0]!.n;

describe('the records database destination', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  afterAll(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('lands each record once, however often it is delivered', async () => {
    const db = await createTestDatabase();
    cleanups.push(() => db.drop());
    await migrate(db.sql);
    const { records: list } = records(200, 1);
    const transport = new DatabaseTransport(db.sql);
    const entries = list.map(outboxEntry);
    // A round, the same round again (a lost acknowledgement), and a round mixing old and new.
    expect((await transport.sendBatch(entries.slice(0, 150))).every((r) => r.ok)).toBe(true);
    expect((await transport.sendBatch(entries.slice(0, 150))).every((r) => r.ok)).toBe(true);
    expect(
      (await transport.sendBatch([...entries.slice(100), ...entries.slice(140, 160)])).every((r) => r.ok),
    ).toBe(true);
    expect((await transport.send(entries[3]!)).ok).toBe(true);
    expect(await count(db, 'call_records')).toBe(200);
    expect(await count(db, 'call_transfers')).toBe(list.reduce((n, r) => n + r.transfers.length, 0));
  });

  it('dead-letters a body that is not a call record and takes live events without keeping them', async () => {
    const db = await createTestDatabase();
    cleanups.push(() => db.drop());
    await migrate(db.sql);
    const transport = new DatabaseTransport(db.sql);
    const [good] = records(1, 2).records;
    const bad = { ...outboxEntry(good!), id: 'database:bad', body: '{"type":"call-record"}' };
    const event = { ...outboxEntry(good!), id: 'database:ev', kind: 'call-event' as const, body: '{}' };
    const results = await transport.sendBatch([outboxEntry(good!), bad, event]);
    expect(results[0]).toEqual({ ok: true });
    expect(results[1]).toMatchObject({ ok: false, retry: false });
    expect(results[2]).toEqual({ ok: true });
    expect(await count(db, 'call_records')).toBe(1);
  });

  it('keeps records in the outbox while the database is away, and lands each once when it comes (migrations first)', async () => {
    const dir = tempDir();
    cleanups.push(() => dir.remove());
    const name = `hotline_test_late_${Date.now().toString(36)}`;
    const u = new URL(ADMIN_URL);
    u.pathname = `/${name}`;
    u.password = 'not-to-be-logged';
    const lines: string[] = [];
    const logger = pino({ level: 'debug' }, { write: (l: string) => lines.push(l) });
    const config = readRecordsConfig({
      HOTLINE_RECORDS: join(dir.path, 'records.jsonl'),
      RECORDS_OUTBOX_DIR: join(dir.path, 'outbox'),
      RECORDS_DATABASE_URL: u.toString(),
      RECORDS_KEY: KEY,
      RECORDS_KEY_ID: 'k1',
      RECORDS_RETRY_BASE_MS: '20',
      RECORDS_RETRY_MAX_MS: '200',
    });
    const sink = await createRecordSink(config, {
      clock: systemClock,
      logger,
      pollMs: 50,
      closeTimeoutMs: 10_000,
    });
    cleanups.push(() => sink.close());
    expect(sink.destinations).toEqual(['jsonl', 'database']);
    expect(sink.summary).not.toContain('not-to-be-logged');
    expect(sink.event).toBeUndefined();
    const { records: list, callers } = records(120, 3);
    for (const r of list) await sink.write(r);
    // Written twice (an engine re-sending after a restart): still one row each.
    for (const r of list.slice(0, 30)) await sink.write(r);
    await until('a failed delivery', () => (sink.courier?.stats.retried ?? 0) > 0);

    const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => undefined });
    await admin.unsafe(`CREATE DATABASE ${name}`);
    const sql = openDatabase(ADMIN_URL.replace(/\/[^/]*$/, `/${name}`));
    cleanups.push(async () => {
      await sql.end({ timeout: 5 });
      await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end({ timeout: 5 });
    });
    const db = { sql } as TestDatabase;
    await until(
      'every record in the database',
      async () => (await count(db, 'call_records').catch(() => 0)) === 120,
    );
    await sink.close();
    expect(await count(db, 'call_records')).toBe(120);
    expect(readFileSync(join(dir.path, 'records.jsonl'), 'utf8').trim().split('\n')).toHaveLength(150);

    // No clear caller number anywhere in the tables (nor in the log).
    const dump = await sql<{ t: string }[]>`
      SELECT row_to_json(r)::text AS t FROM call_records r
      UNION ALL SELECT row_to_json(t)::text FROM call_transfers t`;
    const text = dump.map((d) => d.t).join('\n');
    expect(text).toContain(list[0]!.callerMasked);
    for (const c of callers) expect(text).not.toContain(c);
    const encrypted = await sql<{ e: unknown }[]>`SELECT caller_encrypted AS e FROM call_records LIMIT 1`;
    expect(encrypted[0]!.e).toMatchObject({ alg: 'AES-256-GCM', keyId: 'k1' });
    const [kept] = await sql<{ record: CallRecord }[]>`
      SELECT record FROM call_records WHERE idempotency_key = ${list[5]!.idempotencyKey}`;
    expect(kept!.record).toEqual(list[5]);
    expect(lines.join('')).not.toContain('not-to-be-logged');
    expect(lines.join('')).toContain('records database unreachable at start');
  });

  it('refuses a RECORDS_DATABASE_URL that is not a postgres URL, naming the variable', () => {
    expect(() => readRecordsConfig({ RECORDS_DATABASE_URL: 'mysql://u:secret@db/x' })).toThrow(
      /^RECORDS_DATABASE_URL: must be a postgres:\/\/ URL$/,
    );
    expect(() => readRecordsConfig({ RECORDS_DATABASE_RETENTION_DAYS: '-1' })).toThrow(
      /RECORDS_DATABASE_RETENTION_DAYS/,
    );
  });
});
