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
  /**
   * Monotonic milliseconds from an arbitrary origin, at high resolution: for measuring how long
   * something took (differences only).
   */
  elapsedMs(): number;
  /**
   * Runs `fn` once the events and replies already waiting have been handled (not a timer: no time
   * passes, so virtual clocks run it at once too). Batches work that many events in a row ask for.
   */
  defer(fn: () => void): void;
}

/** `defer` for every clock: after the I/O already waiting (Node's check phase). */
function afterPendingIo(fn: () => void): void {
  setImmediate(fn);
}

export const systemClock: Clock = {
  defer: afterPendingIo,
  now: () => Date.now(),
  elapsedMs: () => performance.now(),
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

  elapsedMs(): number {
    return this.current;
  }

  defer(fn: () => void): void {
    afterPendingIo(fn);
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

  /** Real elapsed time: what a load run measures (how long the engine took) is wall-clock ms. */
  elapsedMs(): number {
    return performance.now();
  }

  defer(fn: () => void): void {
    afterPendingIo(fn);
  }

  after(ms: number, fn: () => void): TimerHandle {
    return systemClock.after(ms / this.speed, fn);
  }
}

/**
 * A manual clock stepped one timer at a time, for discrete-event tests: a driver asks when the
 * next timer falls due (`nextDue`), lets the system finish its work, then fires just that timer
 * (`fireNext`). Time never moves by itself, so a slow machine cannot make a timeout overtake work.
 */
export class SteppedClock implements Clock {
  private current: number;
  private seq = 0;
  /** A binary heap by (at, seq); cancelled timers are dropped when they reach the top. */
  private heap: PendingTimer[] = [];
  private live = 0;

  constructor(startMs = Date.UTC(2026, 0, 1)) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  elapsedMs(): number {
    return this.current;
  }

  defer(fn: () => void): void {
    afterPendingIo(fn);
  }

  after(ms: number, fn: () => void): TimerHandle {
    const timer: PendingTimer = {
      at: this.current + Math.max(0, ms || 0),
      seq: this.seq++,
      fn,
      cancelled: false,
    };
    this.push(timer);
    this.live++;
    return {
      cancel: () => {
        if (timer.cancelled) return;
        timer.cancelled = true;
        this.live--;
      },
    };
  }

  /** Number of timers that are still due to fire. */
  pending(): number {
    return this.live;
  }

  /** When the earliest timer falls due, if any. */
  nextDue(): number | undefined {
    this.dropCancelled();
    return this.heap[0]?.at;
  }

  /** Fires the earliest timer if it falls due at or before `limit`, moving time to it; false if none. */
  fireNext(limit = Number.POSITIVE_INFINITY): boolean {
    this.dropCancelled();
    const next = this.heap[0];
    if (!next || next.at > limit) return false;
    this.pop();
    next.cancelled = true;
    this.live--;
    this.current = Math.max(this.current, next.at);
    next.fn();
    return true;
  }

  /** Moves time forward to `ms` without firing anything; refused while a timer falls due before. */
  moveTo(ms: number): void {
    const due = this.nextDue();
    if (due !== undefined && due < ms)
      throw new RangeError('a timer falls due before that time: fire it first');
    this.current = Math.max(this.current, ms);
  }

  private dropCancelled(): void {
    while (this.heap[0]?.cancelled) this.pop();
  }

  private before(a: PendingTimer, b: PendingTimer): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private push(t: PendingTimer): void {
    const h = this.heap;
    h.push(t);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.before(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop();
    if (h.length === 0 || !last) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.before(h[l]!, h[m]!)) m = l;
      if (r < h.length && this.before(h[r]!, h[m]!)) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}
