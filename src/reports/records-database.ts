import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import { openDatabase, ReportsDatabaseError, safeDatabaseUrl } from './database.ts';
import { DatabaseTransport } from './database-transport.ts';
import { migrate } from './migrate.ts';
import { RecordsRetention } from './retention.ts';

export interface RecordsDatabaseSettings {
  url: string;
  retentionDays: number;
  sweepEveryMs: number;
}

export interface RecordsDatabase {
  /** The outbox's `database` destination (it closes the connections). */
  transport: DatabaseTransport;
  retention: RecordsRetention;
  /** For the start-up line: the URL without its password, and the retention. */
  summary: string;
}

/**
 * The records database behind the outbox: its connection pool, the schema brought up to date
 * (migrations at start), the transport inserting records, and the retention sweep (started).
 * A migration that changed or fails stops the start, naming the file. A database that does not
 * answer at start does not: records wait in the outbox, and the migrations run before the first
 * insert once it answers.
 */
export async function openRecordsDatabase(
  settings: RecordsDatabaseSettings,
  deps: { clock: Clock; logger?: Logger | undefined },
): Promise<RecordsDatabase> {
  const sql = openDatabase(settings.url, { max: 4, applicationName: 'hotline-records' });
  const where = safeDatabaseUrl(settings.url);
  const transport = new DatabaseTransport(sql, { prepare: () => migrate(sql), ownsConnection: true });
  try {
    await transport.prepare();
  } catch (err) {
    if (err instanceof ReportsDatabaseError) {
      await sql.end({ timeout: 1 });
      throw err;
    }
    deps.logger?.warn(
      { database: where, err: (err as Error).message },
      'records database unreachable at start: records wait in the outbox; migrations run when it answers',
    );
  }
  const retention = new RecordsRetention({
    sql,
    clock: deps.clock,
    logger: deps.logger,
    retentionDays: settings.retentionDays,
    everyMs: settings.sweepEveryMs,
  });
  retention.start();
  return {
    transport,
    retention,
    summary: `database ${where} (${settings.retentionDays > 0 ? `kept ${settings.retentionDays} days` : 'kept forever'})`,
  };
}
