import type { OutboxEntry, SendResult, Transport } from '../records/outbox.ts';
import { CallRecord } from '../records/schema.ts';
import type { Sql } from './database.ts';
import { type CallRecordRow, type CallTransferRow, callRecordRow, callTransferRows } from './record-row.ts';

/** Rows per INSERT statement (PostgreSQL binds at most 65,535 parameters; a record row has 27). */
const ROWS_PER_STATEMENT = 1000;

/**
 * The outbox's `database` destination: final call records into `call_records` (and their
 * transfers into `call_transfers`), a round's records in one transaction of multi-row INSERTs.
 * `ON CONFLICT DO NOTHING` on the idempotency key makes the outbox's at-least-once delivery land
 * each record exactly once (retries, two engines delivering the same message, a replay).
 * Live call events are not kept here (the factory sends none; one that comes is taken as
 * delivered); a body that is not a valid record is dead-lettered at once (retrying cannot help).
 */
export class DatabaseTransport implements Transport {
  readonly destination = 'database';

  private prepared: Promise<unknown> | undefined;

  /**
   * `prepare` makes the schema ready (migrate.ts) before the first insert; it runs again at the
   * next attempt when it failed (the database was away at start). With `ownsConnection`, `close`
   * ends the connection pool.
   */
  constructor(
    private readonly sql: Sql,
    private readonly o: { prepare?: () => Promise<unknown>; ownsConnection?: boolean } = {},
  ) {}

  /** Runs `prepare` once (again after a failure). */
  prepare(): Promise<unknown> {
    this.prepared ??= (this.o.prepare?.() ?? Promise.resolve()).catch((err: unknown) => {
      this.prepared = undefined;
      throw err;
    });
    return this.prepared;
  }

  async close(): Promise<void> {
    if (this.o.ownsConnection) await this.sql.end({ timeout: 5 });
  }

  async send(entry: OutboxEntry): Promise<SendResult> {
    const [result] = await this.sendBatch([entry]);
    return result!;
  }

  async sendBatch(entries: OutboxEntry[]): Promise<SendResult[]> {
    const results: SendResult[] = [];
    const records: CallRecordRow[] = [];
    const transfers: CallTransferRow[] = [];
    const stored: number[] = [];
    entries.forEach((e, i) => {
      results[i] = { ok: true };
      if (e.kind !== 'call-record') return;
      let parsed: ReturnType<typeof CallRecord.safeParse>;
      try {
        parsed = CallRecord.safeParse(JSON.parse(e.body));
      } catch (err) {
        results[i] = { ok: false, retry: false, error: `not JSON: ${(err as Error).message}` };
        return;
      }
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        results[i] = {
          ok: false,
          retry: false,
          error: `not a call record: ${issue.path.join('.')}: ${issue.message}`,
        };
        return;
      }
      records.push(callRecordRow(parsed.data));
      transfers.push(...callTransferRows(parsed.data));
      stored.push(i);
    });
    if (records.length === 0) return results;
    try {
      await this.prepare();
      await this.sql.begin(async (tx) => {
        for (let i = 0; i < records.length; i += ROWS_PER_STATEMENT)
          await tx`INSERT INTO call_records ${tx(records.slice(i, i + ROWS_PER_STATEMENT))}
                   ON CONFLICT (idempotency_key) DO NOTHING`;
        for (let i = 0; i < transfers.length; i += ROWS_PER_STATEMENT)
          await tx`INSERT INTO call_transfers ${tx(transfers.slice(i, i + ROWS_PER_STATEMENT))}
                   ON CONFLICT (idempotency_key, seq) DO NOTHING`;
      });
    } catch (err) {
      const error = `records database: ${(err as Error).message}`;
      for (const i of stored) results[i] = { ok: false, retry: true, error };
    }
    return results;
  }
}
