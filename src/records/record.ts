import { holdFigures } from '../calls/core/desk.ts';
import { maskNumber } from '../log.ts';
import { callFigures } from './call-figures.ts';
import { type RecordableState, transfersOf } from './call-transfers.ts';
import { callbackRecord } from './callback-record.ts';
import type { CallerEncryptor } from './caller-crypto.ts';
import { type CallRecord, type LiveEvent, RECORD_VERSION } from './schema.ts';

export type { CallRecord, LiveEvent } from './schema.ts';

export interface BuildRecordOptions {
  /** Encrypts the caller's number into the record; without it only the masked number is kept. */
  encrypt?: CallerEncryptor | undefined;
  /** Reference of the call's recording when recording is on (else `state.recording`, if any). */
  recording?: string | undefined;
}

const iso = (ms: number) => new Date(ms).toISOString();
const seconds = (ms: number) => Math.max(0, Math.round(ms / 1000));

/**
 * Builds the final record (version 2) of an ended call from its session state. Its queue, answer,
 * wait and talk figures are `callFigures`' (call-figures.ts): the wait runs from the first queue
 * entry, and the agent is the one who answered, even if they later left a three-way call.
 */
export function buildCallRecord(s: RecordableState, options: BuildRecordOptions = {}): CallRecord {
  const f = callFigures(s);
  const ended = f.endedAt;
  const ivrEnd = s.events.find((e) => e.what === 'queued' || e.what === 'dial');
  // The call's bridge recordings the PBX took (capabilities/recording.ts); the first is `recording`.
  const recordings = (s.recordings ?? []).filter((r) => !r.failed).map((r) => r.name);
  const recording = options.recording ?? s.recording ?? recordings[0];

  const record: CallRecord = {
    type: 'call-record',
    version: RECORD_VERSION,
    callId: s.id,
    idempotencyKey: `${s.id}:record`,
    dialed: s.dialed,
    line: { ...s.line },
    phase: { ...s.phase },
    callerMasked: maskNumber(s.callerNumber),
    times: {
      arrivedAt: iso(f.arrivedAt),
      ...(s.answeredAt !== undefined ? { answeredAt: iso(s.answeredAt) } : {}),
      ...(ivrEnd ? { ivrEndedAt: iso(ivrEnd.at) } : {}),
      ...(f.queuedAt !== undefined ? { queueEnteredAt: iso(f.queuedAt) } : {}),
      ...(f.queueLeftAt !== undefined ? { queueLeftAt: iso(f.queueLeftAt) } : {}),
      ...(f.agentOfferedAt !== undefined ? { agentOfferedAt: iso(f.agentOfferedAt) } : {}),
      ...(f.answeredAt !== undefined ? { agentAnsweredAt: iso(f.answeredAt) } : {}),
      endedAt: iso(ended),
    },
    durationSeconds: seconds(ended - f.arrivedAt),
    ivrPath: s.ivrPath.map((p) => ({ ...p })),
    prompts: [...s.prompts],
    overflows: s.events
      .filter((e) => e.what === 'overflow')
      .map((e) => ({ from: String(e.detail?.from), to: String(e.detail?.to), at: iso(e.at) })),
    offers: s.events
      .filter((e) => e.what === 'offer-failed')
      .map((e) => ({ agentId: String(e.detail?.agent), outcome: String(e.detail?.outcome) })),
    transfers: transfersOf(s),
    disposition: s.disposition ?? 'abandoned-ivr',
  };
  if (options.encrypt && s.callerNumber)
    record.callerEncrypted = options.encrypt.encrypt(s.callerNumber, s.id);
  if (f.waitMs !== undefined) record.waitSeconds = seconds(f.waitMs);
  if (s.queue) {
    const { kind, id, skill, priority } = s.queue;
    record.queue = { kind, id, skill, priority };
    if (kind === 'pool') record.pool = id;
    else record.expertSeat = id;
  }
  if (f.agentId !== undefined) record.agentId = f.agentId;
  if (f.talkMs !== undefined) record.talkSeconds = seconds(f.talkMs);
  if (s.ticketReason) record.ticketReason = s.ticketReason;
  if (s.shedReason) record.shedReason = s.shedReason;
  if (s.surveyScore !== undefined) record.surveyScore = s.surveyScore;
  if (s.hangupCause !== undefined) record.hangupCause = s.hangupCause;
  if (s.callback) record.callback = callbackRecord(s.callback);
  const hold = holdFigures(s, ended);
  if (hold && hold.count > 0) {
    record.holdCount = hold.count;
    record.holdSeconds = seconds(hold.totalMs);
  }
  if (recording) record.recording = recording;
  if (recordings.length > 0) record.recordings = recordings;
  return record;
}

/** Long digit strings in an event's detail are masked: a caller number never leaves in clear. */
function safeDetail(detail: RecordableState['events'][number]['detail']): LiveEvent['detail'] {
  const out: LiveEvent['detail'] = {};
  for (const [k, v] of Object.entries(detail ?? {})) {
    if (v === undefined) continue;
    out[k] = typeof v === 'string' && /\d{7,}/.test(v.replace(/[\s-]/g, '')) ? maskNumber(v) : v;
  }
  return out;
}

/**
 * The live event for one entry of the call's event log. `seq` is the entry's position in the
 * log (found when not given); the engine sends entries `sent … events.length - 1` after each turn.
 */
export function liveEvent(
  s: RecordableState,
  entry: RecordableState['events'][number],
  seq = s.events.indexOf(entry),
): LiveEvent {
  if (seq < 0) throw new RangeError(`event "${entry.what}" is not in call ${s.id}'s log`);
  return {
    type: 'call-event',
    version: RECORD_VERSION,
    callId: s.id,
    idempotencyKey: `${s.id}:event:${seq}`,
    seq,
    at: iso(entry.at),
    what: entry.what,
    dialed: s.dialed,
    lineId: s.line.id,
    detail: safeDetail(entry.detail),
  };
}

/** The live events of log entries not sent yet (from position `sent`). */
export function liveEventsSince(s: RecordableState, sent: number): LiveEvent[] {
  return s.events.slice(sent).map((e, i) => liveEvent(s, e, sent + i));
}

/** Where call records and live call events go. */
export interface RecordSink {
  /** Resolves once the record is durably kept (outbox or file); delivery may come later. */
  write(record: CallRecord): Promise<void>;
  /** A live event of a running call; sinks that keep final records only leave it out. */
  event?(event: LiveEvent): Promise<void>;
  /** Waits for what was accepted to be kept (and delivered, within the sink's limit), then stops. */
  close(): Promise<void>;
  /**
   * Whether records are being kept where they belong: not ok while a file cannot be written or
   * records wait in a spool (`spooled`), with the reason; `failures` counts failed writes by
   * sink (`jsonl`, `outbox`) since start. Sinks without it are taken as healthy.
   */
  health?(): { ok: boolean; reason?: string; spooled: number; failures?: Record<string, number> };
}
