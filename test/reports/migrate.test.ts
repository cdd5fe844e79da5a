import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS_DIR, migrate } from '../../src/reports/migrate.ts';
import { createTestDatabase, type TestDatabase } from './database-support.ts';

describe('migrations of the records database', () => {
  let db: TestDatabase;
  let dir: string;
  beforeAll(async () => {
    db = await createTestDatabase();
    dir = mkdtempSync(join(tmpdir(), 'hotline-migrations-'));
    cpSync(MIGRATIONS_DIR, dir, { recursive: true });
  });
  afterAll(async () => {
    await db?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('applies every migration of the repository once, in order, and records it', async () => {
    const files = readdirSync(MIGRATIONS_DIR).map((f) => f.slice(0, -4));
    expect(await migrate(db.sql, dir)).toEqual(files.sort());
    const rows = await db.sql<{ name: string }[]>`SELECT name FROM schema_migrations ORDER BY name`;
    expect(rows.map((r) => r.name)).toEqual(files);
    const [row] = await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM call_records`;
    expect(row?.n).toBe(0);
  });

  it('does nothing the second time, even when two engines start together', async () => {
    expect(await Promise.all([migrate(db.sql, dir), migrate(db.sql, dir)])).toEqual([[], []]);
  });

  it('applies a new migration alone, after those already applied', async () => {
    writeFileSync(join(dir, '900_test_note.sql'), 'CREATE TABLE test_note (id int);\n');
    expect(await migrate(db.sql, dir)).toEqual(['900_test_note']);
  });

  it('refuses an applied migration whose file changed, naming the file', async () => {
    writeFileSync(join(dir, '900_test_note.sql'), 'CREATE TABLE test_note (id bigint);\n');
    await expect(migrate(db.sql, dir)).rejects.toMatchObject({
      code: 'migration-changed',
      message: expect.stringContaining(join(dir, '900_test_note.sql')),
    });
  });

  it('rolls back a failing migration whole and names its file', async () => {
    writeFileSync(join(dir, '900_test_note.sql'), 'CREATE TABLE test_note (id int);\n');
    writeFileSync(
      join(dir, '901_broken.sql'),
      'CREATE TABLE half_made (id int);\nSELECT no_such_function();\n',
    );
    await expect(migrate(db.sql, dir)).rejects.toMatchObject({
      code: 'migration-failed',
      message: expect.stringContaining('901_broken.sql'),
    });
    const [half] = await db.sql<{ exists: boolean }[]>`SELECT to_regclass('half_made') IS NOT NULL AS exists`;
    expect(half?.exists).toBe(false);
  });
});
