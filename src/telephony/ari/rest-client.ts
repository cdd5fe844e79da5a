import { Agent, request } from 'node:http';
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
}

/**
 * A small ARI REST client over one bounded keep-alive connection pool, so the engine never
 * exceeds Asterisk's HTTP session limit and sees real status codes (404: already gone).
 */
export class AriRestClient {
  private readonly agent: Agent;
  private readonly auth: string;
  private readonly url: URL;
  inFlight = 0;
  requests = 0;

  constructor(private readonly options: RestClientOptions) {
    this.url = new URL(options.baseUrl.replace(/\/$/, ''));
    this.agent = new Agent({
      keepAlive: true,
      maxSockets: options.maxConnections,
      maxFreeSockets: options.maxConnections,
    });
    this.auth = `Basic ${Buffer.from(`${options.user}:${options.password}`).toString('base64')}`;
  }

  call<T = unknown>(
    operation: string,
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    path: string,
    query?: Record<string, string | number | undefined>,
    body?: unknown,
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
    this.inFlight++;
    this.requests++;
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const settle = (err: TelephonyError | undefined, value?: T) => {
        if (settled) return;
        settled = true;
        this.inFlight--;
        if (err) reject(err);
        else resolve(value as T);
      };
      const req = request(
        {
          agent: this.agent,
          hostname: this.url.hostname,
          port: this.url.port,
          method,
          path: `${this.url.pathname}${path}${qs}`,
          timeout: this.options.timeoutMs,
          headers: {
            authorization: this.auth,
            ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', (err) => settle(new TelephonyError(0, operation, err.message)));
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
      req.on('error', (err) => settle(new TelephonyError(0, operation, err.message)));
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
