/**
 * The clock port. Core code never calls Date.now() or setTimeout directly: it is handed a Clock,
 * so timeouts (menu input, ring timeout, escalation, wrap-up) are tested without waiting.
 */
export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Runs `fn` once after `ms` milliseconds; the handle cancels it. */
  after(ms: number, fn: () => void): TimerHandle;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  after(ms, fn) {
    const t = setTimeout(fn, Math.max(0, ms));
    t.unref?.();
    return { cancel: () => clearTimeout(t) };
  },
};

interface PendingTimer {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/** A clock that only moves when told to; timers fire in time order during `advance`. */
export class ManualClock implements Clock {
  private current: number;
  private seq = 0;
  private timers: PendingTimer[] = [];

  constructor(startMs = Date.UTC(2026, 0, 1)) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  after(ms: number, fn: () => void): TimerHandle {
    const timer: PendingTimer = { at: this.current + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    this.timers.push(timer);
    return {
      cancel: () => {
        timer.cancelled = true;
      },
    };
  }

  /** Number of timers that are still due to fire. */
  pending(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }

  /** Moves time forward by `ms`, firing every timer that falls due, in order. */
  advance(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      this.timers = this.timers.filter((t) => !t.cancelled);
      let next: PendingTimer | undefined;
      for (const t of this.timers) {
        if (t.at <= target && (!next || t.at < next.at || (t.at === next.at && t.seq < next.seq))) next = t;
      }
      if (!next) break;
      this.current = next.at;
      next.cancelled = true;
      next.fn();
    }
    this.current = target;
  }
}

/**
 * Virtual time running `speed` times faster than the wall clock (synthetic load runs: a
 * 5-minute queue wait takes 6 s at speed 50). Share one instance between the engine and the
 * simulator so both see the same time.
 */
export class ScaledClock implements Clock {
  private readonly realStart = Date.now();
  constructor(
    readonly speed: number,
    private readonly virtualStart = Date.now(),
  ) {
    if (!(speed > 0)) throw new RangeError('speed must be positive');
  }

  now(): number {
    return this.virtualStart + (Date.now() - this.realStart) * this.speed;
  }

  after(ms: number, fn: () => void): TimerHandle {
    return systemClock.after(ms / this.speed, fn);
  }
}
