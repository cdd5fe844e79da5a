import { localDateKey, localParts } from '../plan/zoned-time.ts';
import type { CallRecord } from '../records/schema.ts';
import { recordFigures } from '../reports/record-figures.ts';

/**
 * The hourly profile of a real day from call records, per pool and per expert seat (the queue a
 * call was in last, after any overflow), in the center's time zone:
 *
 * - offered: calls that entered a queue in that hour (`times.queueEnteredAt`, as the reports count);
 * - AHT: mean `talkSeconds` of the answered calls of the hour (plus a wrap-up time the caller of
 *   the profile adds); an hour with offered calls but none answered takes the queue's day mean;
 * - patience: the maximum-likelihood estimate for exponential patience from censored waits, over
 *   the queue's whole day: θ = (Σ waits of every offered call) / (number of abandoned calls). An
 *   abandoned call's wait is its patience; an answered (or otherwise ended) call's wait is a lower
 *   bound of it. Undefined when nobody abandoned (the data give no upper bound).
 * - measured: answered, abandoned (hung up while queued or ringing), answered within t.
 *
 * Each record counts once (by idempotency key). Pure.
 */

export interface ProfileHour {
  hour: number;
  offered: number;
  answered: number;
  abandoned: number;
  /** Answered within t; absent when the source cannot tell (a summary kept for another t). */
  answeredWithin?: number;
  talkSeconds: number;
  talkCount: number;
  waitSeconds: number;
}

export interface PatienceEstimate {
  /** θ, seconds; absent when no call abandoned. */
  seconds?: number;
  abandoned: number;
  /** Σ waits of the offered calls, seconds (the exposure); absent when the source lacks the waits. */
  exposureSeconds?: number;
}

export interface QueueProfile {
  /** `pool:general`, `expert:legal`. */
  queue: string;
  kind: 'pool' | 'expert';
  id: string;
  hours: ProfileHour[];
  offered: number;
  /** Mean talk time of the day's answered calls, seconds (absent when none answered). */
  meanTalkSeconds?: number;
  patience: PatienceEstimate;
}

export interface DayProfile {
  day: string;
  timeZone: string;
  withinSeconds: number;
  queues: QueueProfile[];
  /** Records of the day that never entered a queue (self-service, IVR hang-ups, direct transfers). */
  notQueued: number;
}

function unique(records: Iterable<CallRecord>): CallRecord[] {
  const byKey = new Map<string, CallRecord>();
  for (const r of records) if (!byKey.has(r.idempotencyKey)) byKey.set(r.idempotencyKey, r);
  return [...byKey.values()];
}

/** The local days the records' calls arrived on, with how many calls each. */
export function recordDays(records: Iterable<CallRecord>, timeZone: string): Map<string, number> {
  const days = new Map<string, number>();
  for (const r of unique(records)) {
    const day = localDateKey(Date.parse(r.times.arrivedAt), timeZone);
    days.set(day, (days.get(day) ?? 0) + 1);
  }
  return new Map([...days].sort(([a], [b]) => a.localeCompare(b)));
}

/** An hour with no call yet. */
export const emptyHour = (hour: number): ProfileHour => ({
  hour,
  offered: 0,
  answered: 0,
  abandoned: 0,
  answeredWithin: 0,
  talkSeconds: 0,
  talkCount: 0,
  waitSeconds: 0,
});

export function dayProfile(
  records: Iterable<CallRecord>,
  options: { day: string; timeZone: string; withinSeconds: number },
): DayProfile {
  const queues = new Map<string, QueueProfile>();
  let notQueued = 0;
  for (const record of unique(records)) {
    const f = recordFigures(record);
    const queuedAt = record.times.queueEnteredAt ? Date.parse(record.times.queueEnteredAt) : f.arrivedAt;
    if (localDateKey(queuedAt, options.timeZone) !== options.day) continue;
    if (!f.offered || !record.queue) {
      notQueued += 1;
      continue;
    }
    const key = `${record.queue.kind}:${record.queue.id}`;
    let q = queues.get(key);
    if (!q) {
      q = {
        queue: key,
        kind: record.queue.kind,
        id: record.queue.id,
        hours: Array.from({ length: 24 }, (_, h) => emptyHour(h)),
        offered: 0,
        patience: { abandoned: 0, exposureSeconds: 0 },
      };
      queues.set(key, q);
    }
    const h = q.hours[localParts(queuedAt, options.timeZone).hour]!;
    const waitSeconds = (f.waitMs ?? 0) / 1000;
    h.offered += 1;
    h.waitSeconds += waitSeconds;
    q.offered += 1;
    q.patience.exposureSeconds = (q.patience.exposureSeconds ?? 0) + waitSeconds;
    if (f.answered) {
      h.answered += 1;
      if (waitSeconds <= options.withinSeconds) h.answeredWithin = (h.answeredWithin ?? 0) + 1;
      if (f.talkSeconds !== undefined) {
        h.talkSeconds += f.talkSeconds;
        h.talkCount += 1;
      }
    }
    if (f.abandoned) {
      h.abandoned += 1;
      q.patience.abandoned += 1;
    }
  }
  for (const q of queues.values()) {
    const talk = q.hours.reduce((s, h) => s + h.talkSeconds, 0);
    const count = q.hours.reduce((s, h) => s + h.talkCount, 0);
    if (count > 0) q.meanTalkSeconds = talk / count;
    const exposure = q.patience.exposureSeconds ?? 0;
    if (q.patience.abandoned > 0) q.patience.seconds = exposure / q.patience.abandoned;
  }
  return {
    day: options.day,
    timeZone: options.timeZone,
    withinSeconds: options.withinSeconds,
    queues: [...queues.values()].sort((a, b) => b.offered - a.offered || a.queue.localeCompare(b.queue)),
    notQueued,
  };
}
