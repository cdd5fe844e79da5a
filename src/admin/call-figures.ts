import type { CallState } from '../calls/core/types.ts';
import { callFigures, withinServiceLevel } from '../records/call-figures.ts';

/**
 * The figures the hotline is judged on, live over a sliding window (24 h by default), kept in
 * one-minute buckets so memory stays bounded whatever the traffic:
 * - volume: calls that ended, per line;
 * - offered, answered, abandoned and each answered call's wait: as `callFigures` defines them
 *   (records/call-figures.ts) — offered = entered a queue, answered = an agent connected (even
 *   if they later left a three-way call), wait from the first queue entry;
 * - answer rate (接通率) = answered / offered; abandonment rate = abandoned / offered;
 * - service level: answered within `serviceLevelSeconds` (15 s, GB/T 33358, from queue entry) / offered,
 *   with the threshold of the live plan at the time the figures are read; and the same counted
 *   from the call's arrival (the prompts and menus before the queue included);
 * - ASA: mean wait from first entering a queue to an agent answering.
 */
export interface CallSample {
  endedAt: number;
  line: string;
  offered: boolean;
  answered: boolean;
  abandoned: boolean;
  /** ms from first entering a queue to the agent answering (answered calls). */
  waitMs?: number;
  /** ms from the call's arrival to the agent answering (answered calls). */
  waitFromArrivalMs?: number;
}

interface Bucket {
  calls: number;
  offered: number;
  answered: number;
  abandoned: number;
  waitMs: number[];
  waitFromArrivalMs: number[];
  lines: Map<string, number>;
}

export interface WindowFigures {
  windowHours: number;
  serviceLevelSeconds: number;
  calls: number;
  offered: number;
  answered: number;
  abandoned: number;
  answeredWithinServiceLevel: number;
  /** Answered within the service level counted from arrival (prompts and menus included). */
  answeredWithinServiceLevelFromArrival: number;
  /** null while nothing was offered in the window. */
  answerRate: number | null;
  abandonmentRate: number | null;
  /** From queue entry (GB/T 33358 as measured so far). */
  serviceLevel: number | null;
  /** From the call's arrival: the prompts and menus before the queue count. */
  serviceLevelFromArrival: number | null;
  asaSeconds: number | null;
  /** Mean time from arrival to an agent answering. */
  asaFromArrivalSeconds: number | null;
  perLine: { line: string; calls: number }[];
}

/** What one ended call contributes: its figures as `callFigures` (records/call-figures.ts) defines them. */
export function sampleOf(s: CallState): CallSample {
  const f = callFigures(s);
  return {
    endedAt: f.endedAt,
    line: s.line.id,
    offered: f.offered,
    answered: f.answered,
    abandoned: f.abandonedWaiting,
    ...(f.answered && f.waitMs !== undefined ? { waitMs: f.waitMs } : {}),
    ...(f.waitFromArrivalMs !== undefined ? { waitFromArrivalMs: f.waitFromArrivalMs } : {}),
  };
}

const MINUTE = 60_000;

export class CallFigures {
  private readonly buckets = new Map<number, Bucket>();

  constructor(
    private readonly o: { now: () => number; serviceLevelSeconds: () => number; windowMs?: number },
  ) {}

  private get windowMs(): number {
    return this.o.windowMs ?? 24 * 3_600_000;
  }

  add(sample: CallSample): void {
    const key = Math.floor(sample.endedAt / MINUTE);
    let b = this.buckets.get(key);
    if (!b) {
      b = {
        calls: 0,
        offered: 0,
        answered: 0,
        abandoned: 0,
        waitMs: [],
        waitFromArrivalMs: [],
        lines: new Map(),
      };
      this.buckets.set(key, b);
      this.prune();
    }
    b.calls++;
    b.lines.set(sample.line, (b.lines.get(sample.line) ?? 0) + 1);
    if (sample.offered) b.offered++;
    if (sample.abandoned && sample.offered) b.abandoned++;
    if (sample.answered && sample.offered) {
      b.answered++;
      b.waitMs.push(sample.waitMs ?? 0);
      b.waitFromArrivalMs.push(sample.waitFromArrivalMs ?? sample.waitMs ?? 0);
    }
  }

  private prune(): void {
    const oldest = Math.floor((this.o.now() - this.windowMs) / MINUTE);
    for (const key of this.buckets.keys()) if (key <= oldest) this.buckets.delete(key);
  }

  figures(): WindowFigures {
    this.prune();
    const sl = this.o.serviceLevelSeconds();
    let [calls, offered, answered, abandoned, within, waitSum] = [0, 0, 0, 0, 0, 0];
    let [withinFromArrival, arrivalWaitSum] = [0, 0];
    const lines = new Map<string, number>();
    for (const b of this.buckets.values()) {
      calls += b.calls;
      offered += b.offered;
      answered += b.answered;
      abandoned += b.abandoned;
      for (const w of b.waitMs) {
        waitSum += w;
        if (withinServiceLevel(w, sl)) within++;
      }
      for (const w of b.waitFromArrivalMs) {
        arrivalWaitSum += w;
        if (withinServiceLevel(w, sl)) withinFromArrival++;
      }
      for (const [line, n] of b.lines) lines.set(line, (lines.get(line) ?? 0) + n);
    }
    const ratio = (n: number) => (offered === 0 ? null : n / offered);
    return {
      windowHours: this.windowMs / 3_600_000,
      serviceLevelSeconds: sl,
      calls,
      offered,
      answered,
      abandoned,
      answeredWithinServiceLevel: within,
      answeredWithinServiceLevelFromArrival: withinFromArrival,
      answerRate: ratio(answered),
      abandonmentRate: ratio(abandoned),
      serviceLevel: ratio(within),
      serviceLevelFromArrival: ratio(withinFromArrival),
      asaSeconds: answered === 0 ? null : waitSum / answered / 1000,
      asaFromArrivalSeconds: answered === 0 ? null : arrivalWaitSum / answered / 1000,
      perLine: [...lines]
        .map(([line, n]) => ({ line, calls: n }))
        .sort((a, b) => b.calls - a.calls || a.line.localeCompare(b.line)),
    };
  }
}
