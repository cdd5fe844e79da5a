import type { Clock, TimerHandle } from '../clock.ts';

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** Asterisk's ARI timestamp format: `2026-11-24T12:00:00.000+0000` (UTC). */
export function asteriskTime(ms: number): string {
  const d = new Date(ms);
  return (
    `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.` +
    `${pad(d.getUTCMilliseconds(), 3)}+0000`
  );
}

/**
 * Timers in simulated milliseconds: every duration is multiplied by `timeScale` before it is
 * handed to the clock, so a 30 s prompt takes 300 ms of real time at 0.01.
 */
export class SimTimers {
  constructor(
    private readonly clock: Clock,
    readonly timeScale: number,
  ) {}

  now(): number {
    return this.clock.now();
  }

  after(simMs: number, fn: () => void): TimerHandle {
    return this.clock.after(Math.max(0, simMs) * this.timeScale, fn);
  }

  /** Simulated milliseconds elapsed since a real `clock.now()` reading. */
  simElapsedSince(realMs: number): number {
    return (this.clock.now() - realMs) / this.timeScale;
  }
}
