import { localDateKey } from '../plan/zoned-time.ts';
import type { CallRecord } from '../records/schema.ts';
import { Random } from '../synthetic/random.ts';
import type { TrafficCall, TrafficDay } from './comparison.ts';
import { DAY_MS, dayBounds } from './day.ts';
import { WhatIfInputError } from './errors.ts';

export interface RecordsOptions {
  /** The plan's time zone (the records' day is a local day). */
  timezone: string;
  /** The records' day to take (default: the day with the most calls). */
  recordsDate?: string;
  /** The day to replay them on (default: their own day); arrivals keep their time of day. */
  date?: string;
  seed?: number;
}

/** Talk time of a call nobody answered in the records, when no answered call gives one. */
const DEFAULT_TALK_SECONDS = 240;

/**
 * A day of recorded calls as traffic: each record's arrival, dialled number and the keys it
 * pressed (its `ivrPath`: an option's keys, `T` for a timeout, the keys of an invalid try, `#`
 * after a progress query). Talk time: the record's own when answered, else one drawn from the
 * answered calls of the same line (of the day, if the line has none). Patience: a call that
 * abandoned in the queue gives its wait exactly; any other call is censored (its patience was at
 * least its wait), so it draws from the abandoned waits longer than its own wait, and is patient
 * without end when there is none.
 */
export function trafficFromRecords(records: readonly CallRecord[], o: RecordsOptions): TrafficDay {
  if (records.length === 0) throw new WhatIfInputError('traffic', 'the records file has no call record');
  const byDay = new Map<string, CallRecord[]>();
  for (const r of records) {
    const key = localDateKey(Date.parse(r.times.arrivedAt), o.timezone);
    const list = byDay.get(key);
    if (list) list.push(r);
    else byDay.set(key, [r]);
  }
  const recordsDate =
    o.recordsDate ?? [...byDay].sort((a, b) => b[1].length - a[1].length || (a[0] < b[0] ? -1 : 1))[0]![0];
  const day = byDay.get(recordsDate);
  if (!day) throw new WhatIfInputError('traffic', `the records have no call on ${recordsDate}`);
  const date = o.date ?? recordsDate;
  const source = dayBounds(recordsDate, o.timezone, 'traffic');
  const target = dayBounds(date, o.timezone);
  const shiftMs = Math.round((target.fromMs - source.fromMs) / DAY_MS) * DAY_MS;
  const rnd = new Random(o.seed ?? 1);

  const talkByLine = new Map<string, number[]>();
  const talkAll: number[] = [];
  const abandonedWaits: number[] = [];
  for (const r of day) {
    if (r.agentId !== undefined && r.talkSeconds !== undefined) {
      talkAll.push(r.talkSeconds);
      const list = talkByLine.get(r.line.id);
      if (list) list.push(r.talkSeconds);
      else talkByLine.set(r.line.id, [r.talkSeconds]);
    }
    if (r.disposition === 'abandoned-queue' && r.waitSeconds !== undefined)
      abandonedWaits.push(r.waitSeconds);
  }
  abandonedWaits.sort((a, b) => a - b);

  const calls: TrafficCall[] = day.map((r) => {
    const answered = r.agentId !== undefined && r.talkSeconds !== undefined;
    const pool = talkByLine.get(r.line.id) ?? talkAll;
    const talkSeconds = answered
      ? Math.max(1, r.talkSeconds as number)
      : pool.length > 0
        ? Math.max(1, rnd.pick(pool))
        : DEFAULT_TALK_SECONDS;
    return {
      atMs: Date.parse(r.times.arrivedAt) + shiftMs,
      dialed: r.dialed,
      keys: keysOf(r),
      talkSeconds,
      patienceSeconds: patienceOf(r, abandonedWaits, rnd),
    };
  });
  calls.sort((a, b) => a.atMs - b.atMs);
  return { date, fromMs: target.fromMs, untilMs: target.untilMs, calls, source: 'records' };
}

/** The keys a record's caller pressed, in the convention of `hotline explain` (T: a timeout). */
export function keysOf(r: Pick<CallRecord, 'ivrPath'>): string {
  let keys = '';
  for (const step of r.ivrPath) {
    if (step.menu.startsWith('self-service:')) keys += '#';
    else if (step.outcome === 'timeout') keys += 'T';
    else keys += step.keys;
  }
  return keys;
}

function patienceOf(r: CallRecord, abandonedWaits: readonly number[], rnd: Random): number {
  if (r.disposition === 'abandoned-queue' && r.waitSeconds !== undefined) return Math.max(0, r.waitSeconds);
  const waited = r.waitSeconds ?? 0;
  // The first abandoned wait longer than this call's wait: the samples that could be its patience.
  let lo = 0;
  let hi = abandonedWaits.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((abandonedWaits[mid] as number) <= waited) lo = mid + 1;
    else hi = mid;
  }
  if (lo >= abandonedWaits.length) return Number.POSITIVE_INFINITY;
  return abandonedWaits[lo + Math.floor(rnd.next() * (abandonedWaits.length - lo))] as number;
}
