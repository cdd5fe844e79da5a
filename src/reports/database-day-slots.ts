import { type DayCounts, emptyDay, SLOT_MS, SLOTS_PER_DAY, type SlotField } from '../admin/day-slots.ts';
import type { Sql } from './database.ts';
import { shanghaiMidnight } from './report-request.ts';

/**
 * A day's quarter-hour slots (admin/day-slots.ts) counted from the calls that ENDED, as their
 * records are kept: the wallboard's day figures from the records database, which survive any
 * restart. Live calls are not in it (their records come at their end); see day-with-live-calls.ts.
 */
export interface DaySlotsReader {
  /** `day` is a day of the center (`YYYY-MM-DD`); waits count within the service level at `serviceLevelSeconds`. */
  readDay(day: string, serviceLevelSeconds: number): Promise<DayCounts>;
}

interface FactRow {
  slot: number;
  fact: 'arrived' | 'offered' | 'answered' | 'abandoned';
  line_id: string | null;
  n: number;
  wait_ms: number;
  wait_from_arrival_ms: number;
  within: number;
  within_from_arrival: number;
}

const DAY_MS = 86_400_000;

/**
 * The slots by SQL over `call_records` (migrations/001_call_records.sql), each fact in the slot
 * of the moment it happened, as `dayFacts` (admin/day-facts.ts) counts it live:
 * - arrived (and its line) at arrival;
 * - offered at the first queue entry (`times.queueEnteredAt` of the record);
 * - answered at the first agent's answer (`times.agentAnsweredAt`), with the waits from queue
 *   entry (`wait_ms`) and from arrival (`wait_from_arrival_ms`) and whether each is within the
 *   service level;
 * - abandoned (offered, hung up queued or ringing) at the end.
 * Calls that arrived the day before and ended today bring today's facts too. `agentAnswers`
 * (every agent answer, expert consultations included) is not in the records' columns: it is
 * left 0 here (the board takes it from the engines' own slots).
 */
export class DatabaseDaySlots implements DaySlotsReader {
  private last: { key: string; at: number; counts: Promise<DayCounts> } | undefined;

  /** Over a pool the caller owns and ends (serve: records-read-database.ts). */
  constructor(
    private readonly sql: Sql,
    private readonly o: {
      /** A read not answered within this (the database away) fails rather than hold the wallboard (default 2 s). */
      readTimeoutMs?: number;
      /**
       * Reads within this long of the last one share its answer (default 1 s): every wallboard
       * polls every 2 s, the database is asked once per interval whatever their number.
       */
      reuseMs?: number;
      now?: () => number;
    } = {},
  ) {}

  readDay(day: string, serviceLevelSeconds: number): Promise<DayCounts> {
    const now = (this.o.now ?? Date.now)();
    const key = `${day}|${serviceLevelSeconds}`;
    const last = this.last;
    if (last && last.key === key && now - last.at < (this.o.reuseMs ?? 1_000))
      return last.counts.then((c) => structuredClone(c));
    const counts = this.withTimeout(this.query(day, serviceLevelSeconds));
    this.last = { key, at: now, counts };
    // A failed read is not reused: the next one asks again.
    counts.catch(() => {
      if (this.last?.counts === counts) this.last = undefined;
    });
    return counts.then((c) => structuredClone(c));
  }

  private async withTimeout<T>(p: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const ms = this.o.readTimeoutMs ?? 2_000;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`the records database did not answer the day's figures within ${ms} ms`)),
        ms,
      );
    });
    try {
      return await Promise.race([p, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async query(day: string, serviceLevelSeconds: number): Promise<DayCounts> {
    const start = shanghaiMidnight(day);
    if (start === undefined) throw new RangeError(`"${day}" is not a day (YYYY-MM-DD)`);
    const from = new Date(start);
    const to = new Date(start + DAY_MS);
    const since = new Date(start - DAY_MS);
    const sl = serviceLevelSeconds * 1000;
    const sql = this.sql;
    // One pass over the rows (arrival in [day - 1, day + 1), ended today or later), each row
    // giving its four facts at their moments (LATERAL VALUES); facts outside the day left out.
    // An answered call's times follow from its typed columns, exactly (ms): the answer is arrival
    // + wait from arrival, the queue entry the answer - wait. Only an offered call nobody answered
    // reads its queue entry from the record's JSON (an object, or JSON text: either is read).
    const rows = await sql<FactRow[]>`
      SELECT floor(extract(epoch FROM (f.at - ${from}::timestamptz)) * 1000 / ${SLOT_MS})::int AS slot,
             f.fact,
             f.line_id,
             count(*)::int                                                  AS n,
             sum(f.wait_ms)::bigint                                         AS wait_ms,
             sum(f.wait_from_arrival_ms)::bigint                            AS wait_from_arrival_ms,
             (count(*) FILTER (WHERE f.wait_ms <= ${sl}))::int              AS within,
             (count(*) FILTER (WHERE f.wait_from_arrival_ms <= ${sl}))::int AS within_from_arrival
        FROM call_records c
        CROSS JOIN LATERAL (VALUES
          ('arrived', c.arrived_at, c.line_id, 0, 0),
          ('offered',
           CASE
             WHEN c.answered THEN c.arrived_at + (c.wait_from_arrival_ms - c.wait_ms) * interval '1 millisecond'
             WHEN c.offered THEN (CASE jsonb_typeof(c.record)
                                    WHEN 'string' THEN (c.record #>> '{}')::jsonb
                                    ELSE c.record END #>> '{times,queueEnteredAt}')::timestamptz
           END, NULL, 0, 0),
          ('answered',
           CASE WHEN c.answered THEN c.arrived_at + c.wait_from_arrival_ms * interval '1 millisecond' END,
           NULL, coalesce(c.wait_ms, 0), coalesce(c.wait_from_arrival_ms, c.wait_ms, 0)),
          ('abandoned', CASE WHEN c.abandoned THEN c.ended_at END, NULL, 0, 0)
        ) AS f(fact, at, line_id, wait_ms, wait_from_arrival_ms)
       WHERE c.arrived_at >= ${since} AND c.arrived_at < ${to} AND c.ended_at >= ${from}
         AND f.at >= ${from} AND f.at < ${to}
       GROUP BY 1, 2, 3`;
    const out = emptyDay(day);
    for (const r of rows) {
      const s = out.slots[r.slot];
      if (!s || r.slot < 0 || r.slot >= SLOTS_PER_DAY) continue;
      const add = (field: SlotField, n: number) => {
        s[field] += Number(n);
      };
      switch (r.fact) {
        case 'arrived':
          add('arrived', r.n);
          if (r.line_id !== null) out.lines[r.line_id] = (out.lines[r.line_id] ?? 0) + r.n;
          break;
        case 'offered':
          add('offered', r.n);
          break;
        case 'answered':
          add('answered', r.n);
          add('waitMs', r.wait_ms);
          add('waitFromArrivalMs', r.wait_from_arrival_ms);
          add('withinServiceLevel', r.within);
          add('withinServiceLevelFromArrival', r.within_from_arrival);
          break;
        case 'abandoned':
          add('abandoned', r.n);
          break;
      }
    }
    return out;
  }
}
