import { type Clock, ScaledClock } from '../clock.ts';
import type {
  AriSimulator,
  EndpointSettings,
  InjectCallParams,
  InjectedCall,
  SimStats,
} from '../sim/index.ts';

/**
 * What synthetic traffic needs of the ARI simulator, wherever it runs: in this process (the
 * `simulate` command, tests, `serve --demo`) or in another one, through its `/sim` HTTP API
 * (soak runs, so the engine's process holds only the engine).
 *
 * Callers and agents act on timers while the engine ends calls, so a hangup or DTMF may find
 * its channel gone: that rejects with code `sim-unknown-channel` (see `isChannelGone`).
 */
export interface SimDriver {
  injectCall(params: InjectCallParams): Promise<InjectedCall>;
  setEndpoint(endpoint: string, settings: EndpointSettings): Promise<void>;
  hangup(channelId: string): Promise<void>;
  sendDtmf(channelId: string, digits: string): Promise<void>;
  stats(): Promise<SimStats>;
}

/** The channel the request named has ended meanwhile (expected now and then, not a failure). */
export function isChannelGone(err: unknown): boolean {
  return (err as { code?: unknown } | undefined)?.code === 'sim-unknown-channel';
}

/** The simulator in this process: its control object, each call settled at once. */
export function inProcessDriver(sim: AriSimulator): SimDriver {
  return {
    injectCall: async (params) => sim.injectCall(params),
    setEndpoint: async (endpoint, settings) => sim.setEndpoint(endpoint, settings),
    hangup: async (channelId) => sim.hangup(channelId),
    sendDtmf: async (channelId, digits) => sim.sendDtmf(channelId, digits),
    stats: async () => sim.stats(),
  };
}

/** A control request the simulator refused (its `code` and HTTP status). */
export class SimRequestError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string | undefined,
  ) {
    super(message);
    this.name = 'SimRequestError';
  }
}

interface PendingOp {
  op: { method: 'GET' | 'POST'; path: string; body?: unknown };
  at: number;
  resolve: (body: unknown) => void;
  reject: (err: unknown) => void;
}

/** Requests per batch at most (the simulator takes up to 2,000 and 1 MiB). */
const MAX_BATCH = 500;

/**
 * A simulator in another process, through its `/sim` control API over HTTP (fetch on a kept-
 * alive connection). Requests go out in batches (`POST /sim/batch`), one batch on its way at a
 * time: what is asked while a batch travels goes in the next one. At light load each request
 * goes alone at once; at 300 calls/s a batch carries a few, in order, on one connection (sent
 * one by one, the round trips cost this process ~10% of a core, and a stall of its event loop
 * opened hundreds of sockets).
 */
export class HttpSimDriver implements SimDriver {
  private readonly base: string;
  private queue: PendingOp[] = [];
  private sending = false;
  /** Requests made, batches sent, the largest batch, and the sum of the requests' waits (ms). */
  requests = 0;
  batches = 0;
  maxBatch = 0;
  totalMs = 0;

  constructor(url: string) {
    this.base = `${url.replace(/\/+$/, '')}/sim`;
  }

  injectCall(params: InjectCallParams): Promise<InjectedCall> {
    return this.request('POST', '/calls', params) as Promise<InjectedCall>;
  }

  async setEndpoint(endpoint: string, settings: EndpointSettings): Promise<void> {
    await this.request('POST', '/endpoints', { endpoint, ...settings });
  }

  async hangup(channelId: string): Promise<void> {
    await this.request('POST', `/channels/${encodeURIComponent(channelId)}/hangup`, {});
  }

  async sendDtmf(channelId: string, digits: string): Promise<void> {
    await this.request('POST', `/channels/${encodeURIComponent(channelId)}/dtmf`, { digits });
  }

  async stats(): Promise<SimStats> {
    return (await this.post('GET', '/stats')) as SimStats;
  }

  private request(method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
    this.requests++;
    return new Promise((resolve, reject) => {
      this.queue.push({ op: { method, path, body }, at: performance.now(), resolve, reject });
      if (!this.sending) {
        this.sending = true;
        // Whatever else is asked in this turn of the event loop goes in the same batch.
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, MAX_BATCH);
      this.batches++;
      this.maxBatch = Math.max(this.maxBatch, batch.length);
      try {
        const { results } = (await this.post('POST', '/batch', { ops: batch.map((p) => p.op) })) as {
          results: { status: number; body?: { message?: string; code?: string } }[];
        };
        batch.forEach((p, i) => {
          const r = results[i];
          if (r && r.status < 300) p.resolve(r.body);
          else {
            const { method, path } = p.op;
            const status = r?.status ?? 0;
            const message = `${method} /sim${path}: ${status} ${r?.body?.message ?? 'no result'}`;
            p.reject(new SimRequestError(message, status, r?.body?.code));
          }
        });
      } catch (err) {
        for (const p of batch) p.reject(err);
      }
      const now = performance.now();
      for (const p of batch) this.totalMs += now - p.at;
    }
    this.sending = false;
  }

  private async post(method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
    const res = await fetch(this.base + path, {
      method,
      ...(body === undefined
        ? {}
        : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
    const text = await res.text();
    const json: unknown = text ? JSON.parse(text) : undefined;
    if (!res.ok) {
      const e = (json ?? {}) as { message?: string; code?: string };
      throw new SimRequestError(
        `${method} /sim${path}: ${res.status} ${e.message ?? ''}`.trim(),
        res.status,
        e.code,
      );
    }
    return json;
  }
}

/**
 * One instant read on two clocks: wall-clock ms and the virtual time `clock` shows at it. A
 * simulator in another process given this origin and the same speed shares the virtual time.
 */
export function clockOrigin(clock: Clock): { wallMs: number; virtualMs: number } {
  for (;;) {
    const wallMs = Date.now();
    const virtualMs = clock.now();
    if (Date.now() === wallMs) return { wallMs, virtualMs };
  }
}

/** A ScaledClock that shows `origin.virtualMs` at wall-clock `origin.wallMs` (see `clockOrigin`). */
export function clockFromOrigin(speed: number, origin: { wallMs: number; virtualMs: number }): ScaledClock {
  for (;;) {
    const now = Date.now();
    const clock = new ScaledClock(speed, origin.virtualMs + (now - origin.wallMs) * speed);
    // The clock took its own wall-clock start in the same millisecond.
    if (Date.now() === now) return clock;
  }
}
