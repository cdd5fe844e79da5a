import { Agent, type ClientRequest, request } from 'node:http';
import { TelephonyError } from '../port.ts';

export interface RestClientOptions {
  /** e.g. http://127.0.0.1:8088/ari */
  baseUrl: string;
  user: string;
  password: string;
  /**
   * Most HTTP connections to Asterisk at once. Asterisk's http.conf `sessionlimit` defaults to
   * 100 sessions; requests beyond this wait for a free connection instead of failing.
   */
  maxConnections: number;
  timeoutMs: number;
  /**
   * How long an idle pooled connection is kept. Asterisk closes idle keep-alive sessions after
   * http.conf `session_keep_alive` (15 s by default); a request written on a socket the server
   * has just closed dies with `socket hang up`, so the pool drops idle sockets well before
   * (default 5 s).
   */
  idleSocketMs?: number;
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface CallOptions {
  /** The request may be sent twice without harm (default: GET, PUT and DELETE are). */
  idempotent?: boolean;
  /**
   * What a caller waits on to hear anything (answer, a new call's first prompt, the hand-over of
   * a shed call to the safety net): it takes the next free connection before every other
   * request waiting, so a backlog of mid-call requests never keeps a new caller in silence.
   */
  urgent?: boolean;
  /**
   * With `urgent`: what relieves the load itself (a shed call's hand-over, the dialplan's
   * admission gate): it goes before the other urgent requests, so shedding never waits behind
   * the calls it is shedding.
   */
  front?: boolean;
}

/** Transport errors that mean the request never got an answer: the connection broke under it. */
const RETRYABLE = new Set(['ECONNRESET', 'EPIPE', 'ECONNREFUSED', 'ECONNABORTED']);

function brokenConnection(err: NodeJS.ErrnoException): boolean {
  return (err.code !== undefined && RETRYABLE.has(err.code)) || /socket hang up/i.test(err.message);
}

/**
 * A small ARI REST client over one bounded keep-alive connection pool, so the engine never
 * exceeds Asterisk's HTTP session limit and sees real status codes (404: already gone).
 * A request that breaks on its connection before any answer (the server closed an idle
 * keep-alive socket) is sent once more on a fresh one when it is safe to repeat; the error of a
 * request that never got an answer is a transport error (`TelephonyError.transport`), told apart
 * from the PBX refusing it.
 */
export class AriRestClient {
  private readonly agent: Agent;
  private readonly auth: string;
  private readonly url: URL;
  inFlight = 0;
  requests = 0;
  /** Requests sent again after their connection broke before any answer. */
  retries = 0;
  /** Requests that failed without an answer from the PBX (after the retry, if any). */
  transportFailures = 0;
  /** Answers 503 (Asterisk refusing work: overloaded, or over its HTTP session limit). */
  unavailable = 0;
  /** Requests answered (or failed) since start. */
  completed = 0;
  /** Requests on a connection now; the others wait for one in `urgent`, then `waiting`, order. */
  private active = 0;
  private readonly urgent: (() => void)[] = [];
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly options: RestClientOptions) {
    this.url = new URL(options.baseUrl.replace(/\/$/, ''));
    this.agent = new Agent({
      keepAlive: true,
      maxSockets: options.maxConnections,
      maxFreeSockets: options.maxConnections,
      // Applied to sockets while they wait in the pool; each request sets its own timeout.
      timeout: options.idleSocketMs ?? 5_000,
    });
    this.auth = `Basic ${Buffer.from(`${options.user}:${options.password}`).toString('base64')}`;
  }

  async call<T = unknown>(
    operation: string,
    method: HttpMethod,
    path: string,
    query?: Record<string, string | number | undefined>,
    body?: unknown,
    options: CallOptions = {},
  ): Promise<T> {
    let qs = '';
    if (query) {
      const parts: string[] = [];
      for (const [k, v] of Object.entries(query)) {
        if (v !== undefined) parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
      }
      if (parts.length) qs = `?${parts.join('&')}`;
    }
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const idempotent = options.idempotent ?? method !== 'POST';
    this.inFlight++;
    this.requests++;
    await this.connection(options.urgent === true, options.front === true);
    try {
      try {
        return await this.send<T>(operation, method, `${this.url.pathname}${path}${qs}`, payload);
      } catch (err) {
        const e = err as TelephonyError & { retryable?: boolean };
        if (!e.retryable || !idempotent) throw err;
        this.retries++;
        return await this.send<T>(operation, method, `${this.url.pathname}${path}${qs}`, payload);
      }
    } catch (err) {
      if ((err as TelephonyError).transport) this.transportFailures++;
      throw err;
    } finally {
      this.inFlight--;
      this.completed++;
      this.release();
    }
  }

  /** Urgent requests waiting for a connection now (a new caller's answer would queue behind them). */
  get urgentWaiting(): number {
    return this.urgent.length;
  }

  /** Waits for a connection of the pool: at once when one is free, else in turn (urgent first). */
  private connection(urgent: boolean, front: boolean): Promise<void> | undefined {
    if (this.active < this.options.maxConnections) {
      this.active++;
      return undefined;
    }
    return new Promise<void>((resolve) => {
      if (!urgent) this.waiting.push(resolve);
      else if (front) this.urgent.unshift(resolve);
      else this.urgent.push(resolve);
    });
  }

  /** Hands the connection to the next request waiting (its count stays), or frees it. */
  private release(): void {
    const next = this.urgent.shift() ?? this.waiting.shift();
    if (next) next();
    else this.active--;
  }

  private send<T>(
    operation: string,
    method: HttpMethod,
    path: string,
    payload: Buffer | undefined,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const settle = (err: TelephonyError | undefined, value?: T) => {
        if (settled) return;
        settled = true;
        if (err) reject(err);
        else resolve(value as T);
      };
      let answered = false;
      const req: ClientRequest = request(
        {
          agent: this.agent,
          hostname: this.url.hostname,
          port: this.url.port,
          method,
          path,
          timeout: this.options.timeoutMs,
          headers: {
            authorization: this.auth,
            ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}),
          },
        },
        (res) => {
          answered = true;
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', (err) => settle(TelephonyError.transport(operation, err.message)));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) {
              try {
                settle(undefined, (text ? JSON.parse(text) : undefined) as T);
              } catch {
                settle(new TelephonyError(status, operation, 'answer is not JSON'));
              }
              return;
            }
            if (status === 503) this.unavailable++;
            let message = text;
            try {
              message = (JSON.parse(text) as { message?: string }).message ?? text;
            } catch {
              // not JSON: keep the text
            }
            settle(new TelephonyError(status, operation, message.slice(0, 200)));
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.options.timeoutMs} ms`)));
      req.on('error', (err: NodeJS.ErrnoException) => {
        const error = TelephonyError.transport(operation, err.message);
        // Broken before any answer: the PBX never took the request (e.g. it closed the idle socket).
        if (!answered && brokenConnection(err)) Object.assign(error, { retryable: true });
        settle(error);
      });
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
