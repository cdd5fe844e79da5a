import { z } from 'zod';
import { RECORDED_BY_ENGINE } from '../admission/gate.ts';
import { SHED_CALL_EVENTS } from '../admission/shed-call.ts';
import { maskNumber } from '../log.ts';
import type { RoutingPlan } from '../plan/compile.ts';
import { enterLine } from '../plan/route-step.ts';
import type { CallerEncryptor } from './caller-crypto.ts';
import { type CallRecord, type LiveEvent, RECORD_VERSION } from './schema.ts';

/**
 * The dialplan's safety net (dialplan/extensions.conf `[hotline-fallback]`) serves calls while no
 * engine runs, and its `h` handler leaves one note per call in HOTLINE_SPOOL: one line of
 * `key=value` pairs separated by spaces, e.g.
 *
 *   outcome=served caller=13800138000 dialed=12345 started=2026-11-30T22:01:02+08:00
 *   uniqueid=1764511262.42 agent=PJSIP/agent1001 recording= member=agent1001 arrived=1764511262
 *   queued=1764511266 holdtime=3 queuestatus= ended=1764511290 cause=16 shed= recorded=
 *
 * `shed` and `recorded` (issue 18, src/admission/gate.ts) say why the call was there while an
 * engine ran: `shed=<reason>` when the engine shed the call (the dialplan's admission gate, or the
 * engine itself), `recorded=engine` when the engine had already written the call's record. Notes
 * written before these keys existed have neither and read as before.
 *
 * This module parses a note and builds what the engine delivers for it: the call's record (the
 * same schema as the engine's own), or, for a call the engine recorded, the safety net's outcome as
 * the next live event of that call. Pure: no file, no clock.
 */

const seconds = z
  .string()
  .regex(/^\d{1,12}$/)
  .transform(Number);
const optionalSeconds = z.preprocess((v) => (v === '' ? undefined : v), seconds.optional());
const optionalText = z.preprocess((v) => (v === '' ? undefined : v), z.string().optional());
const emptyIsAbsent = (v: unknown) => (v === '' ? undefined : v);

export const SafetyNetNote = z.object({
  /** served (an agent answered), message (the caller left one) or abandoned. */
  outcome: z.enum(['served', 'message', 'abandoned']),
  uniqueid: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'an Asterisk UNIQUEID'),
  dialed: z.string().regex(/^[0-9*#+]{1,32}$/),
  caller: z.string().default(''),
  /** When the safety net took the call, ISO 8601 with offset (kept for the ticketing intake). */
  started: z.string().optional(),
  /** The member's interface that answered (MEMBERINTERFACE). */
  agent: optionalText,
  /** The member's name: the agent id the engine gave it at QueueAdd (MEMBERNAME). */
  member: optionalText,
  recording: optionalText,
  arrived: optionalSeconds,
  queued: optionalSeconds,
  /** Seconds in the queue before the member answered (QEHOLDTIME). */
  holdtime: optionalSeconds,
  queuestatus: optionalText,
  ended: optionalSeconds,
  cause: optionalSeconds,
  /** Why the call was shed (HOTLINE_SHED: `loopDelayMs`, `forced`, …); absent when it was not. */
  shed: z.preprocess(
    emptyIsAbsent,
    z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,40}$/, 'a shed reason')
      .optional(),
  ),
  /** `engine`: the engine wrote the call's record when it shed the call (HOTLINE_RECORDED). */
  recorded: z.preprocess(emptyIsAbsent, z.literal(RECORDED_BY_ENGINE).optional()),
});
export type SafetyNetNote = z.infer<typeof SafetyNetNote>;

export class SafetyNetNoteError extends Error {
  readonly code = 'safety-net-note';
}

/** Splits a note line into its pairs; a value may be empty (`recording=`). */
export function notePairs(text: string): Record<string, string> {
  const line =
    text
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter((l) => l.length > 0)
      .at(-1) ?? '';
  const out: Record<string, string> = {};
  let last: string | undefined;
  for (const token of line.split(/\s+/)) {
    const m = /^([a-z]+)=(.*)$/.exec(token);
    if (m) {
      last = m[1]!;
      out[last] = m[2]!;
    } else if (last !== undefined && token) out[last] += ` ${token}`;
  }
  return out;
}

/** Parses one note (the file's text); throws SafetyNetNoteError when it is not a complete note. */
export function parseSafetyNetNote(text: string): SafetyNetNote {
  const parsed = SafetyNetNote.safeParse(notePairs(text));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new SafetyNetNoteError(`${issue?.path.join('.') || 'note'}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

export interface SafetyNetRecordOptions {
  encrypt?: CallerEncryptor | undefined;
  /** When the note's file was last written (ms): the end when the note has no `ended`. */
  fileTimeMs?: number;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The idempotency key of a safety-net call's record: the call's UNIQUEID, as the engine's records. */
export function safetyNetRecordKey(uniqueid: string): string {
  return `${uniqueid}:record`;
}

/** What the safety net did with a call, in the engine's terms (shared by the record and the event). */
interface SafetyNetFacts {
  entry: ReturnType<typeof enterLine>;
  arrivedMs: number;
  endedMs: number;
  queuedMs?: number;
  agentAnsweredMs?: number;
  answered: boolean;
  agentId?: string;
  waitSeconds?: number;
  talkSeconds?: number;
}

function factsOf(note: SafetyNetNote, plan: RoutingPlan, options: SafetyNetRecordOptions): SafetyNetFacts {
  const startedMs = note.started !== undefined ? Date.parse(note.started) : Number.NaN;
  const arrivedMs =
    note.arrived !== undefined
      ? note.arrived * 1000
      : Number.isFinite(startedMs)
        ? startedMs
        : (options.fileTimeMs ?? 0);
  const endedMs = Math.max(
    arrivedMs,
    note.ended !== undefined ? note.ended * 1000 : (options.fileTimeMs ?? arrivedMs),
  );
  const queuedMs = note.queued !== undefined ? note.queued * 1000 : undefined;
  const answered = note.outcome === 'served' || note.agent !== undefined;
  const agentAnsweredMs =
    answered && queuedMs !== undefined && note.holdtime !== undefined
      ? Math.min(endedMs, queuedMs + note.holdtime * 1000)
      : undefined;

  let entry: ReturnType<typeof enterLine>;
  try {
    entry = enterLine(plan, note.dialed, arrivedMs);
  } catch {
    const main = [...plan.lines.values()].find((l) => l.mode === 'main') ?? [...plan.lines.values()][0]!;
    entry = enterLine(plan, main.number, arrivedMs);
  }
  const agentId = answered ? (note.member ?? note.agent?.replace(/^[^/]+\//, '')) : undefined;
  const facts: SafetyNetFacts = { entry, arrivedMs, endedMs, answered };
  if (queuedMs !== undefined) facts.queuedMs = queuedMs;
  if (agentAnsweredMs !== undefined) facts.agentAnsweredMs = agentAnsweredMs;
  if (agentId) facts.agentId = agentId;
  if (agentAnsweredMs !== undefined && queuedMs !== undefined) {
    facts.waitSeconds = Math.max(0, Math.round((agentAnsweredMs - queuedMs) / 1000));
    facts.talkSeconds = Math.max(0, Math.round((endedMs - agentAnsweredMs) / 1000));
  }
  return facts;
}

/**
 * The record of a call the safety net served: `safety-net-answered` when an agent answered in the
 * queue, else `safety-net-message` (a message left, or the caller hung up unserved); `shed`, with
 * the reason, when the note says the call was shed (the dialplan's admission gate sent it there).
 * Every safety-net record carries `safetyNetOutcome`. The line and phase are the plan's for the
 * dialed number at the call's time (the main line for a number the plan does not answer).
 */
export function safetyNetRecord(
  note: SafetyNetNote,
  plan: RoutingPlan,
  options: SafetyNetRecordOptions = {},
): CallRecord {
  const f = factsOf(note, plan, options);
  const { entry, arrivedMs, endedMs, queuedMs, agentAnsweredMs } = f;
  const record: CallRecord = {
    type: 'call-record',
    version: RECORD_VERSION,
    callId: note.uniqueid,
    idempotencyKey: safetyNetRecordKey(note.uniqueid),
    dialed: note.dialed,
    line: { id: entry.line.id, name: entry.line.name, mode: entry.line.mode, topic: entry.line.topic },
    phase: { id: entry.phase.id, kind: entry.phase.kind },
    callerMasked: maskNumber(note.caller),
    times: {
      arrivedAt: iso(arrivedMs),
      // The safety net answers the caller at once (greeting), then queues.
      answeredAt: iso(arrivedMs),
      ...(queuedMs !== undefined ? { queueEnteredAt: iso(queuedMs) } : {}),
      ...(agentAnsweredMs !== undefined
        ? { queueLeftAt: iso(agentAnsweredMs), agentAnsweredAt: iso(agentAnsweredMs) }
        : {}),
      endedAt: iso(endedMs),
    },
    durationSeconds: Math.max(0, Math.round((endedMs - arrivedMs) / 1000)),
    ivrPath: [],
    prompts: [],
    overflows: [],
    offers: [],
    transfers: [],
    disposition: note.shed ? 'shed' : f.answered ? 'safety-net-answered' : 'safety-net-message',
    safetyNetOutcome: note.outcome,
  };
  if (options.encrypt && note.caller)
    record.callerEncrypted = options.encrypt.encrypt(note.caller, note.uniqueid);
  if (note.shed) record.shedReason = note.shed;
  if (f.agentId) record.agentId = f.agentId;
  if (f.waitSeconds !== undefined) record.waitSeconds = f.waitSeconds;
  if (f.talkSeconds !== undefined) record.talkSeconds = f.talkSeconds;
  if (note.cause !== undefined) record.hangupCause = note.cause;
  if (note.recording) record.recording = note.recording;
  return record;
}

/** The idempotency key of the safety net's outcome event for a call the engine shed and recorded. */
export function safetyNetEventKey(uniqueid: string): string {
  return `${uniqueid}:event:${SHED_CALL_EVENTS}`;
}

/**
 * For a call the engine shed and recorded itself (`recorded=engine`): the safety net's outcome
 * as the next entry of that call's event log (the engine's shed call has SHED_CALL_EVENTS entries:
 * arrived, shed, ended), so the ticketing system learns who took the call or that a message waits,
 * without a second record. `at` is when the safety net was done with the call.
 */
export function safetyNetEvent(
  note: SafetyNetNote,
  plan: RoutingPlan,
  options: SafetyNetRecordOptions = {},
): LiveEvent {
  const f = factsOf(note, plan, options);
  const detail: LiveEvent['detail'] = { outcome: note.outcome };
  if (f.agentId) detail.agent = f.agentId;
  if (note.recording) detail.recording = note.recording;
  if (f.waitSeconds !== undefined) detail.waitSeconds = f.waitSeconds;
  if (f.talkSeconds !== undefined) detail.talkSeconds = f.talkSeconds;
  return {
    type: 'call-event',
    version: RECORD_VERSION,
    callId: note.uniqueid,
    idempotencyKey: safetyNetEventKey(note.uniqueid),
    seq: SHED_CALL_EVENTS,
    at: iso(f.endedMs),
    what: 'safety-net',
    dialed: note.dialed,
    lineId: f.entry.line.id,
    detail,
  };
}

/** What the engine delivers for a note: the call's record, or the outcome event of the engine's record. */
export type SafetyNetDelivery = { kind: 'record'; record: CallRecord } | { kind: 'event'; event: LiveEvent };

export function safetyNetDelivery(
  note: SafetyNetNote,
  plan: RoutingPlan,
  options: SafetyNetRecordOptions = {},
): SafetyNetDelivery {
  return note.recorded === RECORDED_BY_ENGINE
    ? { kind: 'event', event: safetyNetEvent(note, plan, options) }
    : { kind: 'record', record: safetyNetRecord(note, plan, options) };
}
