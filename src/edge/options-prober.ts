import type { Health, HealthTable, ProbeOutcome } from './node-health.ts';

/** A target of OPTIONS pings: a name in the health table and the SIP URI to ping. */
export interface ProbeTarget {
  name: string;
  uri: string;
}

/** Sends one OPTIONS to `uri`; resolves with the final status, rejects on a transport error. */
export type SendOptions = (uri: string) => Promise<number>;

export interface ProberOptions {
  targets: readonly ProbeTarget[];
  table: HealthTable;
  send: SendOptions;
  intervalMs: number;
  /** An OPTIONS not answered within this is "unanswered": the target is down. */
  timeoutMs: number;
  now?: () => number;
  onChange?: (name: string, change: 'up' | 'down', health: Health) => void;
}

/**
 * Pings every target with SIP OPTIONS every `intervalMs` (the first round at once) and keeps
 * the health table: a target is down after one unanswered or failed OPTIONS, up after one
 * answered. Ends with `stop()`.
 */
export class OptionsProber {
  private timer: NodeJS.Timeout | undefined;
  private readonly timeouts = new Set<NodeJS.Timeout>();
  private readonly now: () => number;

  constructor(private readonly o: ProberOptions) {
    this.now = o.now ?? Date.now;
  }

  start(): void {
    if (this.timer) return;
    this.round();
    this.timer = setInterval(() => this.round(), this.o.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    for (const t of this.timeouts) clearTimeout(t);
    this.timeouts.clear();
  }

  /** One round: an OPTIONS to every target. */
  round(): void {
    for (const t of this.o.targets) this.probe(t);
  }

  private probe(target: ProbeTarget): void {
    const { table } = this.o;
    const probe = table.begin(target.name);
    const sentAt = this.now();
    const settle = (outcome: ProbeOutcome) => {
      const change = table.settle(target.name, probe, outcome, this.now());
      if (change) this.o.onChange?.(target.name, change, table.get(target.name));
    };
    const timeout = setTimeout(() => {
      this.timeouts.delete(timeout);
      settle({ kind: 'unanswered' });
    }, this.o.timeoutMs);
    timeout.unref();
    this.timeouts.add(timeout);
    const done = () => {
      clearTimeout(timeout);
      this.timeouts.delete(timeout);
    };
    this.o.send(target.uri).then(
      (status) => {
        done();
        // drachtio answers 408 itself when the target never answered (Timer F): no answer.
        settle(
          status === 408 ? { kind: 'unanswered' } : { kind: 'answered', status, rttMs: this.now() - sentAt },
        );
      },
      (err: unknown) => {
        done();
        settle({ kind: 'failed', reason: err instanceof Error ? err.message : String(err) });
      },
    );
  }
}
