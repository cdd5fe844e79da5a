import { HotlineError } from '../errors.ts';

/**
 * The durable outbox between the engine and the ticketing system's endpoints. A message is
 * written once per destination (`webhook`, `stream`); its id is `<destination>:<idempotency
 * key>`, so adding it twice keeps one. Delivery claims due messages, and each attempt ends in
 * `delivered`, `retryLater` (backoff) or `bury` (the dead-letter list, replayable).
 */
export type MessageKind = 'call-record' | 'call-event';

export interface OutboxMessage {
  id: string;
  destination: string;
  kind: MessageKind;
  callId: string;
  idempotencyKey: string;
  /** The JSON text exactly as it is sent (and signed). */
  body: string;
  createdAt: number;
}

export interface OutboxEntry extends OutboxMessage {
  /** Failed attempts so far. */
  attempts: number;
  /** When the next attempt is due (ms). */
  nextAt: number;
  lastError?: string;
}

export interface DeadLetter extends OutboxEntry {
  deadAt: number;
}

export interface OutboxCounts {
  pending: number;
  dead: number;
}

export interface OutboxStore {
  /** Resolves once every message is durably kept; ids already present are left as they are. */
  add(messages: OutboxMessage[]): Promise<void>;
  /** Due messages (nextAt ≤ now), taken for an attempt: not handed out again while it runs. */
  claim(now: number, limit: number): Promise<OutboxEntry[]>;
  delivered(id: string): Promise<void>;
  /** A failed attempt; `entry.attempts` already counts it. */
  retryLater(entry: OutboxEntry, nextAt: number, error: string): Promise<void>;
  /** Moves a message to the dead-letter list. */
  bury(entry: OutboxEntry, error: string, now: number): Promise<void>;
  deadLetters(limit?: number): Promise<DeadLetter[]>;
  /** Puts dead letters (all, or those ids) back as due now with no attempts; returns how many. */
  replay(ids: string[] | 'all', now: number): Promise<number>;
  counts(): Promise<OutboxCounts>;
  /** When the earliest pending message falls due, if any. */
  nextDueAt(): Promise<number | undefined>;
  close(): Promise<void>;
}

export const messageId = (destination: string, idempotencyKey: string) => `${destination}:${idempotencyKey}`;

/** The outcome of one attempt: `retry: false` means retrying cannot help (dead-letter at once). */
export type SendResult = { ok: true } | { ok: false; retry: boolean; error: string };

/** Sends outbox messages to one destination. */
export interface Transport {
  readonly destination: string;
  send(entry: OutboxEntry): Promise<SendResult>;
  /**
   * Sends several messages at once (a database: one transaction); one result per entry, in
   * order. The courier uses it when present, for each round's messages to this destination.
   */
  sendBatch?(entries: OutboxEntry[]): Promise<SendResult[]>;
  close?(): Promise<void>;
}

export interface RetryPolicy {
  /** Attempts before a message goes to the dead-letter list. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { maxAttempts: 12, baseDelayMs: 1000, maxDelayMs: 300_000 };

/**
 * Delay before the next attempt after `failures` failed ones: exponential, capped, with "equal
 * jitter" (half fixed, half random) so engines retrying after an outage do not retry in step.
 */
export function backoffDelay(
  failures: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, failures - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

export class OutboxError extends HotlineError {
  constructor(
    code:
      | 'outbox-closed'
      | 'outbox-locked'
      | 'outbox-read-only'
      | 'outbox-missing'
      | 'outbox-unreadable'
      | 'records-config',
    message: string,
    cause?: unknown,
  ) {
    super(code, message, cause === undefined ? undefined : { cause });
  }
}
