import type { CallState } from '../calls/core/types.ts';

/**
 * The figures the hotline is judged on, live over a sliding window (24 h by default), kept in
 * one-minute buckets so memory stays bounded whatever the traffic:
 * - volume: calls that ended, per line;
 * - offered: calls that asked for an agent (entered a pool or expert-seat queue);
 * - answered: offered calls an agent picked up; answer rate (接通率) = answered / offered;
 * - abandoned: offered calls whose caller hung up waiting or while an agent was ringing;
 * - service level: answered within `serviceLevelSeconds` (15 s, GB/T 33358) / offered;
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
}

interface Bucket {
  calls: number;
  offered: number;
  answered: number;
  abandoned: number;
  waitMs: number[];
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
  /** null while nothing was offered in the window. */
  answerRate: number | null;
  abandonmentRate: number | null;
  serviceLevel: number | null;
  asaSeconds: number | null;
  perLine: { line: string; calls: number }[];
}

/** What one ended call contributes. */
export function sampleOf(s: CallState): CallSample {
  const queued = s.events.find((e) => e.what === 'queued')?.at ?? s.queue?.enqueuedAt ?? s.queuedAt;
  // An agent who left a three-way call is no longer on the state: its `connected` event remains.
  const answeredAt = s.events.find((e) => e.what === 'connected')?.at ?? s.agent?.answeredAt;
  const offered = queued !== undefined;
  return {
    endedAt: s.endedAt ?? s.events.at(-1)?.at ?? s.arrivedAt,
    line: s.line.id,
    offered,
    answered: answeredAt !== undefined,
    abandoned: s.disposition === 'abandoned-queue' || s.disposition === 'abandoned-ringing',
    ...(answeredAt !== undefined && queued !== undefined ? { waitMs: Math.max(0, answeredAt - queued) } : {}),
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
      b = { calls: 0, offered: 0, answered: 0, abandoned: 0, waitMs: [], lines: new Map() };
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
    const lines = new Map<string, number>();
    for (const b of this.buckets.values()) {
      calls += b.calls;
      offered += b.offered;
      answered += b.answered;
      abandoned += b.abandoned;
      for (const w of b.waitMs) {
        waitSum += w;
        if (w <= sl * 1000) within++;
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
      answerRate: ratio(answered),
      abandonmentRate: ratio(abandoned),
      serviceLevel: ratio(within),
      asaSeconds: answered === 0 ? null : waitSum / answered / 1000,
      perLine: [...lines]
        .map(([line, n]) => ({ line, calls: n }))
        .sort((a, b) => b.calls - a.calls || a.line.localeCompare(b.line)),
    };
  }
}
