import postgres from 'postgres';
import { HotlineError } from '../errors.ts';

/**
 * The records database's connection. The client is porsager's `postgres` (3.x): SQL stays
 * readable as tagged templates (parameters bound, never spliced), queries pipeline on each
 * connection, it is plain JavaScript (no native addon to build) and ships its TypeScript types.
 */
export type Sql = postgres.Sql;
export type Transaction = postgres.TransactionSql;

export class ReportsDatabaseError extends HotlineError {
  constructor(
    code: 'migration-changed' | 'migration-failed' | 'records-database',
    message: string,
    cause?: unknown,
  ) {
    super(code, message, cause === undefined ? undefined : { cause });
  }
}

/** The URL without its password (and query), for logs and messages. */
export function safeDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    const user = u.username ? `${decodeURIComponent(u.username)}@` : '';
    return `${u.protocol}//${user}${u.host}${u.pathname}`;
  } catch {
    return '(invalid url)';
  }
}

export interface OpenDatabaseOptions {
  /** Connections in the pool. Default 4. */
  max?: number;
  /** Name shown in pg_stat_activity. */
  applicationName?: string;
}

/** Opens a pool on the records database (connections open on first use). */
export function openDatabase(url: string, o: OpenDatabaseOptions = {}): Sql {
  return postgres(url, {
    max: o.max ?? 4,
    onnotice: () => undefined,
    connection: { application_name: o.applicationName ?? 'hotline' },
    // bigint sums come back as JavaScript numbers (report sums stay far below 2^53).
    types: {
      bigint: {
        to: 20,
        from: [20],
        serialize: (x: number) => String(x),
        parse: (x: string) => Number(x),
      },
    },
  });
}
