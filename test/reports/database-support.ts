import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { openDatabase, type Sql } from '../../src/reports/database.ts';

/**
 * PostgreSQL for the reports tests: each test file creates its own database (a random name) on
 * the server PG_ADMIN_URL names (the test run's private server, test/support/postgres.ts, unless
 * one is given) and drops it after; nothing else there is touched. A server that does not answer
 * fails the tests that need it: they are never skipped.
 */
const given = process.env.PG_ADMIN_URL;
if (!given)
  throw new Error(
    'PG_ADMIN_URL is not set: run the tests with `npm test` or `npx vitest`, whose global setup starts a private PostgreSQL',
  );
export const ADMIN_URL: string = given;

async function probe(): Promise<string | undefined> {
  const admin = postgres(ADMIN_URL, { max: 1, connect_timeout: 3, onnotice: () => undefined });
  try {
    await admin`SELECT 1`;
    return undefined;
  } catch (err) {
    return (err as Error).message;
  } finally {
    await admin.end({ timeout: 1 });
  }
}

const problem = await probe();
if (problem) throw new Error(`PostgreSQL unreachable at ${ADMIN_URL}: ${problem}`);

export interface TestDatabase {
  name: string;
  url: string;
  sql: Sql;
  drop(): Promise<void>;
}

export async function createTestDatabase(prefix = 'hotline_test'): Promise<TestDatabase> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => undefined });
  await admin.unsafe(`CREATE DATABASE ${name}`);
  const u = new URL(ADMIN_URL);
  u.pathname = `/${name}`;
  const url = u.toString();
  const sql = openDatabase(url, { max: 4, applicationName: 'hotline-test' });
  return {
    name,
    url,
    sql,
    async drop() {
      await sql.end({ timeout: 5 });
      await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end({ timeout: 5 });
    },
  };
}
