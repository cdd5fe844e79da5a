import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import { PeriodicTask } from '../periodic-task.ts';
import type { Sql } from './database.ts';

export interface RecordsRetentionOptions {
  sql: Sql;
  clock: Clock;
  logger?: Logger | undefined;
  /** Rows of calls that arrived more than this many days ago are deleted; 0 keeps everything. */
  retentionDays: number;
  /** How often the sweep runs; the first runs one period after start. */
  everyMs: number;
  /** Rows deleted per statement (short transactions beside the inserts). Default 5,000. */
  batch?: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Keeps the records database within its retention (RECORDS_DATABASE_RETENTION_DAYS): every
 * period, on the engine's clock, it deletes the calls that arrived before now − retention, in
 * batches (their transfers go with them, ON DELETE CASCADE), until none is left. Engines sharing
 * the database may all sweep: a delete is the same whoever runs it.
 */
export class RecordsRetention {
  private readonly task: PeriodicTask<number>;
  /** Set by `stop`: a sweep under way ends after its current batch. */
  private closing = false;

  constructor(private readonly o: RecordsRetentionOptions) {
    this.task = new PeriodicTask({
      clock: o.clock,
      everyMs: o.everyMs,
      run: () => this.run(),
      onError: (err) => o.logger?.warn({ err: err.message }, 'records database retention sweep failed'),
    });
  }

  start(): void {
    if (this.o.retentionDays <= 0) return;
    this.task.start();
  }

  async stop(): Promise<void> {
    this.closing = true;
    await this.task.stop();
  }

  /** One sweep now; resolves to the number of calls deleted (0 when retention is off). */
  sweep(): Promise<number> {
    return this.task.runNow();
  }

  private async run(): Promise<number> {
    const { sql, retentionDays } = this.o;
    if (retentionDays <= 0) return 0;
    const before = new Date(this.o.clock.now() - retentionDays * DAY_MS);
    const batch = this.o.batch ?? 5000;
    let deleted = 0;
    for (;;) {
      const done = await sql`
        DELETE FROM call_records
        WHERE idempotency_key IN (
          SELECT idempotency_key FROM call_records WHERE arrived_at < ${before} LIMIT ${batch}
        )`;
      deleted += done.count;
      if (done.count < batch || this.closing) break;
    }
    if (deleted > 0)
      this.o.logger?.info({ deleted, retentionDays }, 'call records past their retention deleted');
    return deleted;
  }
}
