import { z } from 'zod';
import { MergeMode, PhaseKind } from '../plan/schema.ts';

/**
 * What the hotline hands to the ticketing (工单) system, version 2: one final `call-record` per
 * call and `call-event`s while the call runs. Both carry an idempotency key, stable across
 * retries, engines and restarts: a consumer that has seen a key drops the message.
 *
 * The caller's number is never in a message in clear: `callerMasked` is for display, and
 * `callerEncrypted` (AES-256-GCM, see caller-crypto.ts) is readable only with the records key.
 */
export const RECORD_VERSION = 2;

const Iso = z.iso.datetime({ offset: true });

/** AES-256-GCM ciphertext of a caller number, every part base64. */
export const EncryptedValue = z.object({
  alg: z.literal('AES-256-GCM'),
  /** Which records key encrypted it (keys rotate; old ones stay for reading). */
  keyId: z.string().min(1),
  iv: z.base64(),
  tag: z.base64(),
  ciphertext: z.base64(),
});
export type EncryptedValue = z.infer<typeof EncryptedValue>;

export const Disposition = z.enum([
  'answered',
  'abandoned-ivr',
  'abandoned-queue',
  'abandoned-ringing',
  'transferred',
  'ticketed',
  'deregistered-notice',
  'self-service',
  'safety-net-answered',
  'safety-net-message',
  /**
   * The engine was overloaded: the new call went to the safety net (`shedReason`), handed over by
   * the engine or kept from it by the dialplan's admission gate (`safetyNetOutcome` says how the
   * safety net served it, once known).
   */
  'shed',
  /** The Asterisk node the call was on died or stayed unreachable (several nodes: see dialplan/README.md). */
  'pbx-lost',
  /** The caller asked for a call-back and answered none of its attempts (`callback` says how each went). */
  'callback-unanswered',
]);

/**
 * A call-back (virtual hold): offered to a caller who waited long; `requestedAt` when they asked
 * for it (keeping their place in the queue) and hung up; each call to their number; `outcome`:
 * `connected` (they talked with the agent), `unanswered` (no attempt answered), `cancelled` (an
 * agent was free before they had left), `not-taken` (offered, the key not pressed), `pending`
 * (the call ended otherwise while it waited).
 */
export const CallbackRecord = z.object({
  offeredAt: Iso,
  requestedAt: Iso.optional(),
  attempts: z.array(
    z.object({
      startedAt: Iso,
      answeredAt: Iso.optional(),
      endedAt: Iso.optional(),
      result: z.enum(['dialing', 'answered', 'no-answer', 'busy', 'failed']),
      cause: z.number().int().optional(),
    }),
  ),
  outcome: z.enum(['connected', 'unanswered', 'cancelled', 'not-taken', 'pending']),
});
export type CallbackRecord = z.infer<typeof CallbackRecord>;

/** `ivr`: the IVR dialled the target; `ticket`: a ticket was dispatched to it instead of a call. */
export const TransferMode = z.enum(['three-way', 'consult', 'blind', 'ivr', 'ticket']);
/**
 * `connected`: the target answered and stayed with the caller; `completed`: the agent handed the
 * call over; `target-left`: the target answered, then hung up while the agent stayed; `queued`:
 * the caller went to an expert seat's queue; `ticket`: a ticket was dispatched.
 */
export const TransferResult = z.enum([
  'connected',
  'completed',
  'target-left',
  'queued',
  'busy',
  'no-answer',
  'unreachable',
  'failed',
  'cancelled',
  'ticket',
]);

/** One transfer of the call: by an agent (three-way, consult, blind, ticket) or by the IVR itself. */
export const Transfer = z.object({
  /** What was dialled: `subcenter`, `emergency`, `center`, `expert`, `agent`, … and its id. */
  target: z.object({ kind: z.string().min(1), id: z.string().min(1) }),
  mode: TransferMode,
  startedAt: Iso,
  answeredAt: Iso.optional(),
  endedAt: Iso.optional(),
  result: TransferResult,
  /** Q.850 cause number or a short reason. */
  cause: z.union([z.number().int(), z.string()]).optional(),
  /** Why (a dispatched ticket's reason). */
  reason: z.string().optional(),
});
export type Transfer = z.infer<typeof Transfer>;

export const CallTimes = z.object({
  arrivedAt: Iso,
  /** The hotline answered the caller's channel. */
  answeredAt: Iso.optional(),
  /** The caller left the IVR for a queue or a transfer. */
  ivrEndedAt: Iso.optional(),
  /** The first entry into a queue: kept through overflows; the wait starts here. */
  queueEnteredAt: Iso.optional(),
  queueLeftAt: Iso.optional(),
  /** The offer to the agent who took the call (else the last offer made). */
  agentOfferedAt: Iso.optional(),
  /** The first agent answered: the call counts as answered from here on. */
  agentAnsweredAt: Iso.optional(),
  endedAt: Iso,
});

export const CallRecord = z.object({
  type: z.literal('call-record'),
  version: z.literal(RECORD_VERSION),
  callId: z.string().min(1),
  idempotencyKey: z.string().min(1),
  dialed: z.string(),
  line: z.object({ id: z.string(), name: z.string(), mode: MergeMode, topic: z.string() }),
  phase: z.object({ id: z.string(), kind: PhaseKind }),
  callerMasked: z.string(),
  /** Absent when no records key is configured: the full number is then not kept at all. */
  callerEncrypted: EncryptedValue.optional(),
  times: CallTimes,
  durationSeconds: z.number().int().min(0),
  /** From the first queue entry to the agent's answer, or to leaving the queues unanswered (see call-figures.ts). */
  waitSeconds: z.number().int().min(0).optional(),
  /** The answering agent's talk time: from the answer until that agent left the call or the call ended. */
  talkSeconds: z.number().int().min(0).optional(),
  ivrPath: z.array(z.object({ menu: z.string(), keys: z.string(), outcome: z.string() })),
  prompts: z.array(z.string()),
  /** The queue the call was in last (after any overflow). */
  queue: z
    .object({ kind: z.enum(['pool', 'expert']), id: z.string(), skill: z.string(), priority: z.number() })
    .optional(),
  /** The agent pool (坐席池) that served or last held the call. */
  pool: z.string().optional(),
  /** The expert seat (专家座席) that served or last held the call. */
  expertSeat: z.string().optional(),
  overflows: z.array(z.object({ from: z.string(), to: z.string(), at: Iso })),
  /** The agent who answered the call (the first to connect), even if they later left a three-way call. */
  agentId: z.string().optional(),
  /** Offers that did not end in an answer. */
  offers: z.array(z.object({ agentId: z.string(), outcome: z.string() })),
  transfers: z.array(Transfer),
  disposition: Disposition,
  ticketReason: z.string().optional(),
  /** With disposition `shed`: the overload signal that made the engine hand the call on (`loopDelayMs`, …). */
  shedReason: z.string().min(1).optional(),
  /**
   * Set on every record of a call the dialplan's safety net served (`safety-net-*`, and `shed`
   * calls the admission gate sent there): what it did — `served` (an agent answered in its
   * queue), `message` (the caller left a message: a call-back ticket), `abandoned` (the caller
   * hung up before either). Absent on calls the engine served.
   */
  safetyNetOutcome: z.enum(['served', 'message', 'abandoned']).optional(),
  surveyScore: z.number().int().optional(),
  hangupCause: z.number().int().optional(),
  /** The call-back the caller was offered or asked for; absent when none was offered. */
  callback: CallbackRecord.optional(),
  /** How many times the agent put the citizen on hold, and for how long in all (absent: never). */
  holdCount: z.number().int().nonnegative().optional(),
  holdSeconds: z.number().int().nonnegative().optional(),
  /** Reference of the call's recording (file name or URI); absent when recording is off. */
  recording: z.string().min(1).optional(),
  /**
   * Every recording of the call (stored recording names, in the order they began): the call's
   * bridge from the answer to the end (three-way and blind transfers included), and each
   * consult's bridge. Absent when recording is off or nobody answered.
   */
  recordings: z.array(z.string().min(1)).optional(),
});
export type CallRecord = z.infer<typeof CallRecord>;

/** One entry of a live call's event log, sent while the call runs. */
export const LiveEvent = z.object({
  type: z.literal('call-event'),
  version: z.literal(RECORD_VERSION),
  callId: z.string().min(1),
  idempotencyKey: z.string().min(1),
  /** Position in the call's event log, from 0: consumers order a call's events by it. */
  seq: z.number().int().min(0),
  at: Iso,
  what: z.string().min(1),
  dialed: z.string(),
  lineId: z.string(),
  detail: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
});
export type LiveEvent = z.infer<typeof LiveEvent>;

/** Anything the hotline delivers to the ticketing system. */
export const RecordMessage = z.discriminatedUnion('type', [CallRecord, LiveEvent]);
export type RecordMessage = z.infer<typeof RecordMessage>;

/** JSON Schema of the messages (`hotline schema --records`), for the ticketing system's developers. */
export function recordsJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(RecordMessage, { io: 'output', target: 'draft-2020-12' });
  return {
    title: 'hotline call records and live call events (version 2)',
    description:
      'Messages the 12345 hotline delivers to the ticketing system: a final call-record per call and ' +
      'call-event entries while it runs. Drop duplicates by idempotencyKey. callerEncrypted is ' +
      'AES-256-GCM (additional data: the callId) under the key named by keyId.',
    ...schema,
  };
}
