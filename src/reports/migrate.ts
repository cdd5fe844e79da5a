import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ReportsDatabaseError, type Sql } from './database.ts';

/** The repository's `migrations/` folder: `NNN_name.sql`, applied in the order of their numbers. */
export const MIGRATIONS_DIR = resolve(import.meta.dirname, '../../migrations');

export interface Migration {
  /** `001_call_records` (the file name without `.sql`). */
  name: string;
  file: string;
  sql: string;
  /** SHA-256 of the file's text: an applied migration must never change. */
  checksum: string;
}

const pattern = /^(\d{3})_[a-z0-9_]+\.sql$/;

/** The migrations in `dir`, ordered by number; a file named otherwise is refused (it would be silently skipped). */
export function readMigrations(dir = MIGRATIONS_DIR): Migration[] {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort();
  const seen = new Set<string>();
  return files.map((f) => {
    const m = pattern.exec(f);
    if (!m)
      throw new ReportsDatabaseError(
        'migration-failed',
        `${join(dir, f)}: a migration is named NNN_name.sql`,
      );
    if (seen.has(m[1]!))
      throw new ReportsDatabaseError(
        'migration-failed',
        `${join(dir, f)}: migration number ${m[1]} is used twice`,
      );
    seen.add(m[1]!);
    const sql = readFileSync(join(dir, f), 'utf8');
    return {
      name: f.slice(0, -4),
      file: join(dir, f),
      sql,
      checksum: createHash('sha256').update(sql).digest('hex'),
    };
  });
}

/** Any constant: the advisory lock two engines starting together take in turn. */
const MIGRATION_LOCK = 2112_1234_5;

/**
 * Brings the database's schema up to date: each migration not yet in `schema_migrations` runs in
 * its own transaction, under a transaction-scoped advisory lock (two engines starting together
 * take turns; the second finds the work done). An applied migration whose file changed since is
 * refused, naming the file: the schema it made is not the one the file now describes.
 * Returns the names applied now.
 */
export async function migrate(sql: Sql, dir = MIGRATIONS_DIR): Promise<string[]> {
  const migrations = readMigrations(dir);
  // Under the lock: two engines creating the table at once would otherwise collide.
  await sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`;
    await tx`
      CREATE TABLE IF NOT EXISTS schema_migrations (
        name        text PRIMARY KEY,
        checksum    text NOT NULL,
        applied_at  timestamptz NOT NULL DEFAULT now()
      )`;
  });
  const applied: string[] = [];
  for (const m of migrations) {
    await sql.begin(async (tx) => {
      await tx`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`;
      const [done] = await tx<
        { checksum: string }[]
      >`SELECT checksum FROM schema_migrations WHERE name = ${m.name}`;
      if (done) {
        if (done.checksum !== m.checksum)
          throw new ReportsDatabaseError(
            'migration-changed',
            `${m.file}: this migration was applied with other contents (checksum ${done.checksum.slice(0, 12)}…, ` +
              `now ${m.checksum.slice(0, 12)}…); never edit an applied migration, add a new one`,
          );
        return;
      }
      try {
        await tx.unsafe(m.sql);
      } catch (err) {
        throw new ReportsDatabaseError('migration-failed', `${m.file}: ${(err as Error).message}`, err);
      }
      await tx`INSERT INTO schema_migrations (name, checksum) VALUES (${m.name}, ${m.checksum})`;
      applied.push(m.name);
    });
  }
  return applied;
}
