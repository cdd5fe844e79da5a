import type { OutboxEntry, SendResult, Transport } from '../records/outbox.ts';
import { CallRecord } from '../records/schema.ts';
import type { Sql, Transaction } from './database.ts';
import { type CallRecordRow, type CallTransferRow, callRecordRow, callTransferRows } from './record-row.ts';

/** Rows per INSERT statement. */
const ROWS_PER_STATEMENT = 1000;

/**
 * The outbox's `database` destination: final call records into `call_records` (and their
 * transfers into `call_transfers`) with multi-row INSERTs (unnest of one array per column): a
 * round's records in one transaction, or a large round in two at once on two connections, each
 * record with its transfers in the same one. `ON CONFLICT DO NOTHING` on the idempotency key makes the outbox's at-least-once delivery land
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
    const parts: Part[] = Array.from({ length: entries.length >= PARALLEL_FROM ? 2 : 1 }, () => ({
      records: [],
      transfers: [],
      entries: [],
    }));
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
      const part = parts[i % parts.length]!;
      part.records.push(callRecordRow(parsed.data, e.body));
      part.transfers.push(...callTransferRows(parsed.data));
      part.entries.push(i);
    });
    if (parts.every((p) => p.records.length === 0)) return results;
    try {
      await this.prepare();
    } catch (err) {
      const error = `records database: ${(err as Error).message}`;
      for (const p of parts) for (const i of p.entries) results[i] = { ok: false, retry: true, error };
      return results;
    }
    // Each part in its own transaction, on its own connection: the server works on both at once.
    await Promise.all(
      parts.map(async (p) => {
        if (p.records.length === 0) return;
        try {
          await this.sql.begin(async (tx) => {
            for (let i = 0; i < p.records.length; i += ROWS_PER_STATEMENT)
              await insertRecords(tx, p.records.slice(i, i + ROWS_PER_STATEMENT));
            for (let i = 0; i < p.transfers.length; i += ROWS_PER_STATEMENT)
              await insertTransfers(tx, p.transfers.slice(i, i + ROWS_PER_STATEMENT));
          });
        } catch (err) {
          const error = `records database: ${(err as Error).message}`;
          for (const i of p.entries) results[i] = { ok: false, retry: true, error };
        }
      }),
    );
    return results;
  }
}

/** A share of a batch: its records' rows, their transfers, and the entries they came from. */
interface Part {
  records: CallRecordRow[];
  transfers: CallTransferRow[];
  entries: number[];
}

/** Batches this large are inserted as two transactions at once. */
const PARALLEL_FROM = 100;

const column = <R, K extends keyof R>(rows: R[], k: K) => rows.map((r) => r[k]);
/** Element types of the array parameters (PostgreSQL type oids): each array goes as its typed array. */
const TEXT = 25;
const BOOL = 16;
const INT4 = 23;
const TIMESTAMPTZ = 1184;

/**
 * One INSERT for many records: each column as one array parameter, rows made by unnest (27
 * parameters whatever the number of rows, one prepared statement for every batch size).
 */
function insertRecords(sql: Transaction, rows: CallRecordRow[]) {
  const c = <K extends keyof CallRecordRow>(k: K) => column(rows, k);
  return sql`
    INSERT INTO call_records (
      idempotency_key, call_id, arrived_at, ended_at, line_id, line_mode, line_topic, phase_id, phase_kind,
      queue_kind, queue_id, pool, expert_seat, agent_id, disposition, offered, answered, abandoned, wait_ms,
      wait_from_arrival_ms, sl_hit, sl_from_arrival_hit, talk_seconds, survey_score, caller_masked,
      caller_encrypted, record)
    SELECT k, call_id, arrived_at, ended_at, line_id, line_mode, line_topic, phase_id, phase_kind,
           queue_kind, queue_id, pool, expert_seat, agent_id, disposition, offered, answered, abandoned, wait_ms,
           wait_from_arrival_ms, sl_hit, sl_from_arrival_hit, talk_seconds, survey_score, caller_masked,
           caller_encrypted::jsonb, record::jsonb
    FROM unnest(
      ${sql.array(c('idempotency_key'), TEXT)}::text[], ${sql.array(c('call_id'), TEXT)}::text[], ${sql.array(c('arrived_at'), TIMESTAMPTZ)}::timestamptz[],
      ${sql.array(c('ended_at'), TIMESTAMPTZ)}::timestamptz[], ${sql.array(c('line_id'), TEXT)}::text[], ${sql.array(c('line_mode'), TEXT)}::text[],
      ${sql.array(c('line_topic'), TEXT)}::text[], ${sql.array(c('phase_id'), TEXT)}::text[], ${sql.array(c('phase_kind'), TEXT)}::text[],
      ${sql.array(c('queue_kind'), TEXT)}::text[], ${sql.array(c('queue_id'), TEXT)}::text[], ${sql.array(c('pool'), TEXT)}::text[], ${sql.array(c('expert_seat'), TEXT)}::text[],
      ${sql.array(c('agent_id'), TEXT)}::text[], ${sql.array(c('disposition'), TEXT)}::text[], ${sql.array(c('offered'), BOOL)}::boolean[],
      ${sql.array(c('answered'), BOOL)}::boolean[], ${sql.array(c('abandoned'), BOOL)}::boolean[], ${sql.array(c('wait_ms'), INT4)}::integer[],
      ${sql.array(c('wait_from_arrival_ms'), INT4)}::integer[], ${sql.array(c('sl_hit'), BOOL)}::boolean[], ${sql.array(c('sl_from_arrival_hit'), BOOL)}::boolean[],
      ${sql.array(c('talk_seconds'), INT4)}::integer[], ${sql.array(c('survey_score'), INT4)}::integer[], ${sql.array(c('caller_masked'), TEXT)}::text[],
      ${sql.array(c('caller_encrypted'), TEXT)}::text[], ${sql.array(c('record'), TEXT)}::text[]
    ) AS u(k, call_id, arrived_at, ended_at, line_id, line_mode, line_topic, phase_id, phase_kind,
           queue_kind, queue_id, pool, expert_seat, agent_id, disposition, offered, answered, abandoned, wait_ms,
           wait_from_arrival_ms, sl_hit, sl_from_arrival_hit, talk_seconds, survey_score, caller_masked,
           caller_encrypted, record)
    ON CONFLICT (idempotency_key) DO NOTHING`;
}

function insertTransfers(sql: Transaction, rows: CallTransferRow[]) {
  const c = <K extends keyof CallTransferRow>(k: K) => column(rows, k);
  return sql`
    INSERT INTO call_transfers (idempotency_key, seq, arrived_at, target_kind, target_id, mode, result, started_at)
    SELECT * FROM unnest(
      ${sql.array(c('idempotency_key'), TEXT)}::text[], ${sql.array(c('seq'), INT4)}::integer[], ${sql.array(c('arrived_at'), TIMESTAMPTZ)}::timestamptz[],
      ${sql.array(c('target_kind'), TEXT)}::text[], ${sql.array(c('target_id'), TEXT)}::text[], ${sql.array(c('mode'), TEXT)}::text[], ${sql.array(c('result'), TEXT)}::text[],
      ${sql.array(c('started_at'), TIMESTAMPTZ)}::timestamptz[])
    ON CONFLICT (idempotency_key, seq) DO NOTHING`;
}
