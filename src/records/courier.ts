import type { Clock, TimerHandle } from '../clock.ts';
import {
  backoffDelay,
  defaultRetryPolicy,
  type OutboxEntry,
  type OutboxStore,
  type RetryPolicy,
  type SendResult,
  type Transport,
} from './outbox.ts';

/** A send that threw: retried (the network, the database away). */
const failure = (err: unknown): SendResult => ({
  ok: false,
  retry: true,
  error: err instanceof Error ? err.message : String(err),
});

export interface CourierOptions {
  outbox: OutboxStore;
  transports: Transport[];
  clock: Clock;
  policy?: RetryPolicy;
  random?: () => number;
  /** Attempts running at once. Default 16. */
  concurrency?: number;
  /** Messages claimed per round. Default 64. */
  batch?: number;
  /** Longest sleep between rounds, to pick up what other engines or expired claims left. Default 1 s. */
  pollMs?: number;
  onDelivered?(entry: OutboxEntry): void;
  onRetry?(entry: OutboxEntry, error: string, delayMs: number): void;
  onDead?(entry: OutboxEntry, error: string): void;
  onError?(err: unknown): void;
}

export interface CourierStats {
  delivered: number;
  retried: number;
  dead: number;
}

/**
 * Carries messages from the outbox to their destinations: claims what is due, sends it with
 * bounded concurrency, and records the outcome — delivered, retried later with exponential
 * backoff and jitter, or dead-lettered after `maxAttempts` (or at once when retrying cannot help).
 */
export class Courier {
  readonly stats: CourierStats = { delivered: 0, retried: 0, dead: 0 };
  private readonly transports: Map<string, Transport>;
  private readonly policy: RetryPolicy;
  private timer: TimerHandle | undefined;
  private round: Promise<void> | undefined;
  private again = false;
  private stopped = true;

  constructor(private readonly o: CourierOptions) {
    this.transports = new Map(o.transports.map((t) => [t.destination, t]));
    this.policy = o.policy ?? defaultRetryPolicy;
  }

  start(): void {
    this.stopped = false;
    this.kick();
  }

  /** Runs a round soon (new messages were added). */
  kick(): void {
    if (this.stopped) return;
    if (this.round) {
      this.again = true;
      return;
    }
    this.timer?.cancel();
    this.timer = undefined;
    this.round = this.rounds().finally(() => {
      this.round = undefined;
      // A kick that came after the round's last look (between its end and this callback) would
      // otherwise wait for the poll timer.
      if (this.again && !this.stopped) this.kick();
    });
  }

  /**
   * Delivers what is due, round after round, until nothing is due now or `timeoutMs` has passed
   * (messages waiting for a later retry stay in the outbox). True when nothing is pending.
   */
  async flush(timeoutMs: number): Promise<boolean> {
    const deadline = this.o.clock.now() + timeoutMs;
    for (;;) {
      if (this.round) await this.round;
      const claimed = await this.once();
      const next = await this.o.outbox.nextDueAt();
      if (next === undefined) return true;
      if (claimed === 0) return false;
      if (this.o.clock.now() >= deadline) return false;
    }
  }

  /** Stops scheduling rounds and waits for the running one. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = undefined;
    if (this.round) await this.round;
  }

  private async rounds(): Promise<void> {
    try {
      for (;;) {
        this.again = false;
        while ((await this.once()) > 0 && !this.stopped) {}
        if (this.stopped) return;
        if (this.again) continue;
        await this.schedule();
        // Messages added while the next round was being scheduled go now, not at the timer.
        if (!this.again || this.stopped) return;
      }
    } catch (err) {
      this.o.onError?.(err);
      if (!this.stopped) this.sleep(this.o.pollMs ?? 1000);
    }
  }

  private async schedule(): Promise<void> {
    const poll = this.o.pollMs ?? 1000;
    const next = await this.o.outbox.nextDueAt();
    const now = this.o.clock.now();
    this.sleep(next === undefined ? poll : Math.max(0, Math.min(poll, next - now)));
  }

  private sleep(ms: number): void {
    if (this.stopped) return;
    this.timer?.cancel();
    this.timer = this.o.clock.after(ms, () => {
      this.timer = undefined;
      this.kick();
    });
  }

  /**
   * One round: claims a batch and attempts each (those to a transport that sends batches, in one
   * batch per transport); returns how many were claimed.
   */
  private async once(): Promise<number> {
    const claimed = await this.o.outbox.claim(this.o.clock.now(), this.o.batch ?? 64);
    const batches = new Map<Transport, OutboxEntry[]>();
    const entries: OutboxEntry[] = [];
    for (const e of claimed) {
      const t = this.transports.get(e.destination);
      if (!t?.sendBatch) entries.push(e);
      else if (batches.has(t)) batches.get(t)!.push(e);
      else batches.set(t, [e]);
    }
    let next = 0;
    const worker = async () => {
      while (next < entries.length) {
        const entry = entries[next++]!;
        await this.attempt(entry);
      }
    };
    const workers = Math.min(entries.length, this.o.concurrency ?? 16);
    await Promise.all([
      ...Array.from({ length: workers }, worker),
      ...[...batches].map(([t, batch]) => this.attemptBatch(t, batch)),
    ]);
    return claimed.length;
  }

  private async attemptBatch(transport: Transport, entries: OutboxEntry[]): Promise<void> {
    const results = await transport.sendBatch!(entries).catch((err: unknown) =>
      entries.map(() => failure(err)),
    );
    await Promise.all(
      entries.map((e, i) => this.settle(e, results[i] ?? failure('no result for the message'))),
    );
  }

  private async attempt(entry: OutboxEntry): Promise<void> {
    const transport = this.transports.get(entry.destination);
    const result = transport
      ? await transport.send(entry).catch(failure)
      : { ok: false as const, retry: false, error: `no transport for destination "${entry.destination}"` };
    await this.settle(entry, result);
  }

  private async settle(entry: OutboxEntry, result: SendResult): Promise<void> {
    if (result.ok) {
      await this.o.outbox.delivered(entry.id);
      this.stats.delivered++;
      this.o.onDelivered?.(entry);
      return;
    }
    const failed: OutboxEntry = { ...entry, attempts: entry.attempts + 1, lastError: result.error };
    if (!result.retry || failed.attempts >= this.policy.maxAttempts) {
      await this.o.outbox.bury(failed, result.error, this.o.clock.now());
      this.stats.dead++;
      this.o.onDead?.(failed, result.error);
      return;
    }
    const delay = backoffDelay(failed.attempts, this.policy, this.o.random);
    await this.o.outbox.retryLater(failed, this.o.clock.now() + delay, result.error);
    this.stats.retried++;
    this.o.onRetry?.(failed, result.error, delay);
  }
}
