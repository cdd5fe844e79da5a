import type { Clock, TimerHandle } from './clock.ts';

export interface PeriodicTaskOptions<T> {
  clock: Clock;
  /** Time between the end of one run and the start of the next; the first runs one period after `start`. */
  everyMs: number;
  run: () => Promise<T>;
  /** A run that failed (the next one is still scheduled). */
  onError: (err: Error) => void;
}

/**
 * Work done every period on the engine's clock (the retention sweeps): never two runs at once
 * (`runNow` during a run waits for that run), the next one scheduled after each run ends, and
 * `stop` waiting for a run under way.
 */
export class PeriodicTask<T> {
  private timer?: TimerHandle | undefined;
  private running?: Promise<T> | undefined;
  private stopped = true;

  constructor(private readonly o: PeriodicTaskOptions<T>) {}

  start(): void {
    this.stopped = false;
    this.schedule();
  }

  /** Stops the schedule and waits for a run under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  /** One run now (or the one under way). */
  runNow(): Promise<T> {
    this.running ??= this.o.run().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = this.o.clock.after(this.o.everyMs, () => {
      void this.runNow()
        .catch((err: unknown) => this.o.onError(err instanceof Error ? err : new Error(String(err))))
        .finally(() => this.schedule());
    });
  }
}
