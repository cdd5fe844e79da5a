import type { Logger } from 'pino';
import type { TicketingPort } from '../calls/runtime/ticketing.ts';
import { ConfigError } from '../config.ts';
import { notFoundPrompts, statusPrompts, TicketStatusResponse } from './ticket-status.ts';

/**
 * The ticketing system over HTTP for the IVR's self-query: `GET {baseUrl}/tickets/{number}`
 * within `timeoutMs`. 200 → the status read-out; 404 → "not found"; anything else (timeout,
 * refused connection, 5xx, a body that is not the expected JSON) → null, so the caller hears
 * the apology and is offered an agent.
 */
export interface HttpTicketingOptions {
  baseUrl: string;
  /** Default 2000 ms. */
  timeoutMs?: number;
  /** Sent as `authorization: Bearer …` when set. */
  token?: string;
  logger?: Logger;
}

/** Ticket numbers the IVR collects: digits, up to 32 (others are not looked up). */
const TICKET_NUMBER = /^[0-9]{1,32}$/;

export class HttpTicketing implements TicketingPort {
  private readonly base: string;

  constructor(private readonly o: HttpTicketingOptions) {
    this.base = o.baseUrl.replace(/\/+$/, '');
  }

  async lookup(ticketNumber: string): Promise<string[] | null> {
    if (!TICKET_NUMBER.test(ticketNumber)) return notFoundPrompts();
    const started = performance.now();
    try {
      const res = await fetch(`${this.base}/tickets/${encodeURIComponent(ticketNumber)}`, {
        headers: {
          accept: 'application/json',
          ...(this.o.token ? { authorization: `Bearer ${this.o.token}` } : {}),
        },
        signal: AbortSignal.timeout(this.o.timeoutMs ?? 2000),
      });
      if (res.status === 404) {
        await res.body?.cancel();
        return notFoundPrompts();
      }
      if (res.status !== 200) {
        await res.body?.cancel();
        return this.unavailable(`HTTP ${res.status}`, started);
      }
      const parsed = TicketStatusResponse.safeParse(await res.json());
      if (!parsed.success) return this.unavailable('unexpected body', started);
      return statusPrompts(parsed.data);
    } catch (err) {
      const e = err as Error;
      const why =
        e.name === 'TimeoutError' || e.name === 'AbortError'
          ? 'timeout'
          : e.name === 'SyntaxError'
            ? 'body is not JSON'
            : ((e.cause as { code?: string } | undefined)?.code ?? e.name);
      return this.unavailable(why, started);
    }
  }

  private unavailable(why: string, started: number): null {
    this.o.logger?.warn({ why, ms: Math.round(performance.now() - started) }, 'ticket lookup unavailable');
    return null;
  }
}

/** Settings read from the environment: `TICKETING_URL`, `TICKETING_TIMEOUT_MS`, `TICKETING_TOKEN`. */
export function ticketingFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  logger?: Logger,
): HttpTicketing | undefined {
  const url = env.TICKETING_URL;
  if (!url) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError('TICKETING_URL must be an http(s) URL');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new ConfigError('TICKETING_URL must be an http(s) URL');
  const timeoutMs = env.TICKETING_TIMEOUT_MS === undefined ? 2000 : Number(env.TICKETING_TIMEOUT_MS);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 100 || timeoutMs > 30_000)
    throw new ConfigError('TICKETING_TIMEOUT_MS must be a whole number of ms between 100 and 30000');
  return new HttpTicketing({
    baseUrl: url,
    timeoutMs,
    ...(env.TICKETING_TOKEN ? { token: env.TICKETING_TOKEN } : {}),
    ...(logger ? { logger } : {}),
  });
}
