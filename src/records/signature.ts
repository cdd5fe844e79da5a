import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signatures of webhook deliveries, shared by the sender and the receiver:
 *   x-hotline-timestamp: <unix seconds>
 *   x-hotline-signature: v1=<hex HMAC-SHA256 over `${timestamp}.${body}` with the shared secret>
 * Several `v1=` values may be sent, comma-separated, while a secret is being rotated. The
 * receiver rejects a timestamp further than the tolerance (5 minutes) from its clock, so a
 * captured request cannot be replayed later.
 */
export const SIGNATURE_HEADER = 'x-hotline-signature';
export const TIMESTAMP_HEADER = 'x-hotline-timestamp';
export const IDEMPOTENCY_HEADER = 'x-hotline-idempotency-key';
export const DEFAULT_TOLERANCE_SECONDS = 300;

function mac(secret: string, timestamp: string, body: string | Buffer): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');
}

/** The signature header value for a body sent at `timestamp` (unix seconds). */
export function signPayload(secrets: string | string[], timestamp: number, body: string | Buffer): string {
  const list = Array.isArray(secrets) ? secrets : [secrets];
  return list.map((s) => `v1=${mac(s, String(timestamp), body)}`).join(',');
}

/** The headers of a signed delivery. */
export function signedHeaders(
  secrets: string | string[],
  nowMs: number,
  body: string,
  idempotencyKey: string,
): Record<string, string> {
  const timestamp = Math.floor(nowMs / 1000);
  return {
    [TIMESTAMP_HEADER]: String(timestamp),
    [SIGNATURE_HEADER]: signPayload(secrets, timestamp, body),
    [IDEMPOTENCY_HEADER]: idempotencyKey,
  };
}

export type SignatureCheck =
  | { ok: true }
  | { ok: false; reason: 'missing-headers' | 'bad-timestamp' | 'stale-timestamp' | 'bad-signature' };

export interface VerifyInput {
  /** The secret, or the secrets accepted during a rotation. */
  secrets: string | string[];
  timestamp: string | undefined;
  signature: string | undefined;
  /** The raw body exactly as received. */
  body: string | Buffer;
  nowMs: number;
  toleranceSeconds?: number;
}

/** Checks a delivery's signature and age in constant time per candidate. */
export function verifySignature(input: VerifyInput): SignatureCheck {
  const { timestamp, signature } = input;
  if (!timestamp || !signature) return { ok: false, reason: 'missing-headers' };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'bad-timestamp' };
  const tolerance = input.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  if (Math.abs(input.nowMs / 1000 - Number(timestamp)) > tolerance)
    return { ok: false, reason: 'stale-timestamp' };
  const offered = signature
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.startsWith('v1='))
    .map((part) => Buffer.from(part.slice(3), 'hex'));
  const secrets = Array.isArray(input.secrets) ? input.secrets : [input.secrets];
  for (const secret of secrets) {
    const expected = Buffer.from(mac(secret, timestamp, input.body), 'hex');
    for (const candidate of offered) {
      if (candidate.length === expected.length && timingSafeEqual(candidate, expected)) return { ok: true };
    }
  }
  return { ok: false, reason: 'bad-signature' };
}
