import Manager, { type AmiMessage, type Manager as ManagerInstance } from 'asterisk-manager';
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { Clock, TimerHandle } from '../../clock.ts';
import { firstProblem } from './ami-events.ts';

export interface AmiClientOptions {
  host: string;
  port: number;
  user: string;
  secret: string;
  clock: Clock;
  logger: Logger;
  /** An action without an answer in this time fails (default 10 s). */
  actionTimeoutMs?: number;
  /** Reconnection backoff: first delay, doubled up to `maxMs` (defaults 500 ms, 30 s). */
  backoff?: { initialMs: number; maxMs: number };
  /** AMI event classes this session receives (default `system`: contact and peer status, no call events). */
  eventMask?: string;
}

/** An action AMI refused or never answered. */
export class AmiError extends Error {
  readonly code = 'ami-error';
  constructor(
    readonly action: string,
    message: string,
    /** True when AMI was not reached or did not answer (not its verdict on the action). */
    readonly transport: boolean,
  ) {
    super(`${action}: ${message}`);
  }
}

interface Pending {
  action: string;
  resolve: (m: AmiMessage) => void;
  reject: (e: AmiError) => void;
  timer: TimerHandle;
  /** List actions: the events collected, and the event that closes the list. */
  list?: { items: AmiMessage[]; complete: string };
}

// biome-ignore lint/suspicious/noExplicitAny: each subscriber's schema types its own events
type Subscriber = { schema: z.ZodType; listener: (event: any) => void };

/**
 * The engine's one AMI connection, over asterisk-manager: typed, promise-based actions (list
 * actions collect their events until the closing one), events checked with zod before anyone
 * sees them, and reconnection with backoff (the library's own retries every 10–60 s and writes to
 * the console, so it is not used). This is the only module that imports asterisk-manager.
 */
export class AmiClient {
  private manager?: ManagerInstance;
  private readonly pending = new Map<string, Pending>();
  private readonly subscribers = new Map<string, Subscriber[]>();
  private readonly connectedListeners: (() => void)[] = [];
  private seq = 0;
  private stopped = false;
  private backoffMs: number;
  private retryTimer?: TimerHandle;
  private loggedIn = false;
  private everConnected = false;
  reconnects = 0;
  /** Events dropped because they failed their schema. */
  eventsRejected = 0;

  constructor(private readonly o: AmiClientOptions) {
    this.backoffMs = o.backoff?.initialMs ?? 500;
  }

  get connected(): boolean {
    return this.loggedIn && !this.stopped;
  }

  /** Calls `listener` with each event of `type` that passes `schema`. */
  onEvent<S extends z.ZodType>(type: string, schema: S, listener: (event: z.infer<S>) => void): void {
    const list = this.subscribers.get(type.toLowerCase()) ?? [];
    list.push({ schema, listener });
    this.subscribers.set(type.toLowerCase(), list);
  }

  /** Called after every successful login (the first and each reconnection): state may have changed meanwhile. */
  onConnected(listener: () => void): void {
    this.connectedListeners.push(listener);
  }

  /** Connects and logs in. Resolves after the first attempt, whatever its result: AMI being away must not stop calls. */
  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.connect(resolve));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.retryTimer?.cancel();
    this.failPending('the AMI client stopped');
    const m = this.manager;
    this.manager = undefined;
    if (m) {
      m.removeAllListeners('close');
      await new Promise<void>((resolve) => m.disconnect(() => resolve()));
    }
  }

  /** Sends an action and resolves with its response (`Response: Success`), or rejects with AmiError. */
  action(fields: Record<string, string | number | undefined>): Promise<AmiMessage> {
    return this.send(fields);
  }

  /** Sends a list action and resolves with its events once `complete` (e.g. `ContactListComplete`) arrives. */
  async list(fields: Record<string, string | number | undefined>, complete: string): Promise<AmiMessage[]> {
    const items: AmiMessage[] = [];
    await this.send(fields, { items, complete: complete.toLowerCase() });
    return items;
  }

  private send(
    fields: Record<string, string | number | undefined>,
    list?: { items: AmiMessage[]; complete: string },
  ): Promise<AmiMessage> {
    const action = String(fields.action ?? fields.Action ?? '?');
    const m = this.manager;
    if (!m || !this.loggedIn) return Promise.reject(new AmiError(action, 'not connected to AMI', true));
    const actionid = `hotline-${++this.seq}`;
    return new Promise<AmiMessage>((resolve, reject) => {
      const timeoutMs = this.o.actionTimeoutMs ?? 10_000;
      const timer = this.o.clock.after(timeoutMs, () => {
        this.pending.delete(actionid);
        reject(new AmiError(action, `no answer within ${timeoutMs} ms`, true));
      });
      const entry: Pending = { action, resolve, reject, timer, ...(list ? { list } : {}) };
      this.pending.set(actionid, entry);
      m.action({ ...fields, actionid }, (err, res) => {
        const p = this.pending.get(actionid);
        if (!p) return;
        if (err) {
          this.pending.delete(actionid);
          p.timer.cancel();
          const message = String((err as AmiMessage).message ?? 'refused').slice(0, 200);
          p.reject(new AmiError(action, message, false));
          return;
        }
        // A list completes with its closing event; anything else with its response.
        if (!p.list || String(res?.eventlist ?? '').toLowerCase() !== 'start') {
          this.pending.delete(actionid);
          p.timer.cancel();
          p.resolve(res ?? {});
        }
      });
    });
  }

  private connect(done?: () => void): void {
    if (this.stopped) return done?.();
    const m = Manager();
    this.manager = m;
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      done?.();
    };
    m.on('managerevent', (e) => this.onManagerEvent(e as AmiMessage));
    m.on('close', () => {
      if (this.manager !== m) return;
      const wasUp = this.loggedIn;
      this.loggedIn = false;
      this.failPending('the AMI connection closed');
      if (wasUp) this.o.logger.warn('AMI connection lost; reconnecting');
      finish();
      this.retry();
    });
    m.options.username = this.o.user;
    m.options.password = this.o.secret;
    m.options.events = true;
    m.connect(this.o.port, this.o.host, () => {
      m.login((err) => {
        if (this.manager !== m) return;
        if (err) {
          this.o.logger.error(
            { message: String((err as AmiMessage).message ?? '').slice(0, 120) },
            'AMI login refused; check AMI_USER and AMI_SECRET',
          );
          m.removeAllListeners('close');
          m.disconnect();
          finish();
          this.retry();
          return;
        }
        this.loggedIn = true;
        this.backoffMs = this.o.backoff?.initialMs ?? 500;
        if (this.everConnected) this.reconnects++;
        this.everConnected = true;
        this.o.logger.info({ host: this.o.host, port: this.o.port }, 'AMI connected');
        // Only the event classes wanted: no call events on this connection.
        void this.action({ action: 'Events', eventmask: this.o.eventMask ?? 'system' }).catch((e: AmiError) =>
          this.o.logger.warn({ err: e.message }, 'AMI event mask not accepted; all events will arrive'),
        );
        for (const l of this.connectedListeners) l();
        finish();
      });
    });
  }

  private retry(): void {
    if (this.stopped) return;
    this.retryTimer?.cancel();
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, this.o.backoff?.maxMs ?? 30_000);
    this.retryTimer = this.o.clock.after(delay, () => this.connect());
  }

  private failPending(why: string): void {
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      p.timer.cancel();
      p.reject(new AmiError(p.action, why, true));
    }
  }

  private onManagerEvent(e: AmiMessage): void {
    const type = typeof e.event === 'string' ? e.event.toLowerCase() : '';
    const actionid = typeof e.actionid === 'string' ? e.actionid : undefined;
    const p = actionid ? this.pending.get(actionid) : undefined;
    if (p?.list) {
      if (type === p.list.complete) {
        this.pending.delete(actionid!);
        p.timer.cancel();
        p.resolve(e);
      } else p.list.items.push(e);
      return;
    }
    const subs = this.subscribers.get(type);
    if (!subs) return;
    for (const s of subs) {
      const parsed = s.schema.safeParse(e);
      if (!parsed.success) {
        this.eventsRejected++;
        this.o.logger.warn({ event: type.slice(0, 80), ...firstProblem(parsed.error) }, 'AMI event rejected');
        continue;
      }
      try {
        s.listener(parsed.data);
      } catch (err) {
        this.o.logger.error({ event: type, err: (err as Error).message }, 'an AMI event listener failed');
      }
    }
  }
}
