import type { Clock } from '../../clock.ts';
import type { OutboxEntry, SendResult, Transport } from '../outbox.ts';
import { signedHeaders } from '../signature.ts';

/**
 * Delivers outbox messages to the ticketing system by HTTP POST, signed (signature.ts).
 * 2xx and 409 (already have it) count as delivered; 400, 413, 415 and 422 mean the receiver
 * will never take this body (dead-letter at once); anything else — network errors, timeouts,
 * 401 during a secret rotation, 429, 5xx — is retried. Redirects are never followed (`fetch`
 * would repeat a 301/302 as a GET without the body and its 200 would pass for a delivery): any
 * 3xx is a failure, retried like the others, its status and Location in the error.
 */
export interface WebhookOptions {
  url: string;
  /** The shared secret; several during a rotation (each signs, the receiver accepts any). */
  secrets: string[];
  clock: Clock;
  /** Per-attempt timeout. Default 10 s. */
  timeoutMs?: number;
}

const permanent = new Set([400, 413, 415, 422]);

/** The URL without credentials or query, for messages and logs. */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(invalid url)';
  }
}

function reason(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  if (err.name === 'TimeoutError' || err.name === 'AbortError') return 'timeout';
  const cause = (err as { cause?: { code?: string } }).cause;
  return cause?.code ?? err.name;
}

export class WebhookTransport implements Transport {
  readonly destination = 'webhook';

  constructor(private readonly o: WebhookOptions) {}

  async send(entry: OutboxEntry): Promise<SendResult> {
    try {
      const res = await fetch(this.o.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json; charset=utf-8',
          'user-agent': 'hotline-records/2',
          'x-hotline-kind': entry.kind,
          'x-hotline-attempt': String(entry.attempts + 1),
          ...signedHeaders(this.o.secrets, this.o.clock.now(), entry.body, entry.idempotencyKey),
        },
        body: entry.body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.o.timeoutMs ?? 10_000),
      });
      await res.arrayBuffer().catch(() => undefined);
      if ((res.status >= 200 && res.status < 300) || res.status === 409) return { ok: true };
      if (res.status >= 300 && res.status < 400) {
        const location = res.headers.get('location');
        return {
          ok: false,
          retry: true,
          error: `HTTP ${res.status} redirect${location ? ` to ${safeUrl(new URL(location, this.o.url).href)}` : ''} (not followed)`,
        };
      }
      return { ok: false, retry: !permanent.has(res.status), error: `HTTP ${res.status}` };
    } catch (err) {
      return { ok: false, retry: true, error: reason(err) };
    }
  }
}
