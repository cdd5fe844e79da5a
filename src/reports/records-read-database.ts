import { readRecordsConfig } from '../records/sinks/config.ts';
import { openDatabase, type Sql } from './database.ts';
import { DatabaseDaySlots } from './database-day-slots.ts';
import { DatabaseReportSource } from './database-source.ts';

/** The name the read pool's connections show in pg_stat_activity. */
export const READ_POOL_APPLICATION_NAME = 'hotline-reads';

/**
 * The records database as `hotline serve` reads it: the reports and the wallboard's day figures
 * over one small pool of their own (the records sink keeps its pool for the inserts), opened
 * once and ended once by `close`. Three connections: a long report (a month by hour) holds one
 * while the wallboard's read, at most one a second, still finds one free.
 */
export class RecordsReadDatabase {
  readonly reports: DatabaseReportSource;
  readonly day: DatabaseDaySlots;
  private closing: Promise<void> | undefined;

  private constructor(private readonly sql: Sql) {
    // Neither reader owns the pool: it ends here, once.
    this.reports = new DatabaseReportSource(sql);
    this.day = new DatabaseDaySlots(sql);
  }

  /** Over RECORDS_DATABASE_URL (checked with the records settings), else none. */
  static fromEnv(env: NodeJS.ProcessEnv): RecordsReadDatabase | undefined {
    const database = readRecordsConfig(env).database;
    return database ? RecordsReadDatabase.open(database.url) : undefined;
  }

  static open(url: string): RecordsReadDatabase {
    return new RecordsReadDatabase(
      openDatabase(url, { max: 3, applicationName: READ_POOL_APPLICATION_NAME }),
    );
  }

  /** Ends the pool (the reads in flight finish first, within 5 s); a second call waits for the first. */
  close(): Promise<void> {
    this.closing ??= this.sql.end({ timeout: 5 });
    return this.closing;
  }
}
