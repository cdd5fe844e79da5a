import type { CallRecord } from '../records/schema.ts';
import { recordFigures } from './record-figures.ts';

/**
 * A call record as rows of the records database (migrations/001_call_records.sql): its
 * `call_records` row (the typed columns from `recordFigures`, the whole record as JSON) and one
 * `call_transfers` row per transfer. Times as ISO text, the JSON columns as JSON text (cast to
 * jsonb by the INSERT).
 */
export interface CallRecordRow {
  idempotency_key: string;
  call_id: string;
  arrived_at: string;
  ended_at: string;
  line_id: string;
  line_mode: string;
  line_topic: string;
  phase_id: string;
  phase_kind: string;
  queue_kind: string | null;
  queue_id: string | null;
  pool: string | null;
  expert_seat: string | null;
  agent_id: string | null;
  disposition: string;
  offered: boolean;
  answered: boolean;
  abandoned: boolean;
  wait_ms: number | null;
  wait_from_arrival_ms: number | null;
  sl_hit: boolean;
  sl_from_arrival_hit: boolean;
  talk_seconds: number | null;
  survey_score: number | null;
  caller_masked: string;
  /** JSON text. */
  caller_encrypted: string | null;
  /** The record's JSON text. */
  record: string;
}

export interface CallTransferRow {
  idempotency_key: string;
  seq: number;
  arrived_at: string;
  target_kind: string;
  target_id: string;
  mode: string;
  result: string;
  started_at: string;
}

const orNull = <T>(x: T | undefined): T | null => (x === undefined ? null : x);

/** `json`: the record's JSON text when at hand (the outbox's body), else made here. */
export function callRecordRow(r: CallRecord, json = JSON.stringify(r)): CallRecordRow {
  const f = recordFigures(r);
  return {
    idempotency_key: r.idempotencyKey,
    call_id: r.callId,
    arrived_at: r.times.arrivedAt,
    ended_at: r.times.endedAt,
    line_id: r.line.id,
    line_mode: r.line.mode,
    line_topic: r.line.topic,
    phase_id: r.phase.id,
    phase_kind: r.phase.kind,
    queue_kind: r.queue?.kind ?? null,
    queue_id: r.queue?.id ?? null,
    pool: orNull(r.pool),
    expert_seat: orNull(r.expertSeat),
    agent_id: orNull(r.agentId),
    disposition: r.disposition,
    offered: f.offered,
    answered: f.answered,
    abandoned: f.abandoned,
    wait_ms: orNull(f.waitMs),
    wait_from_arrival_ms: orNull(f.waitFromArrivalMs),
    sl_hit: f.serviceLevelHit,
    sl_from_arrival_hit: f.serviceLevelFromArrivalHit,
    talk_seconds: orNull(f.talkSeconds),
    survey_score: orNull(f.surveyScore),
    caller_masked: r.callerMasked,
    caller_encrypted: r.callerEncrypted ? JSON.stringify(r.callerEncrypted) : null,
    record: json,
  };
}

export function callTransferRows(r: CallRecord): CallTransferRow[] {
  return r.transfers.map((t, seq) => ({
    idempotency_key: r.idempotencyKey,
    seq,
    arrived_at: r.times.arrivedAt,
    target_kind: t.target.kind,
    target_id: t.target.id,
    mode: t.mode,
    result: t.result,
    started_at: t.startedAt,
  }));
}
