import type { StaffingTarget } from './erlang.ts';
import { type IntervalStaffing, staffInterval } from './interval.ts';
import type { DayProfile } from './records-profile.ts';

/** One hour of a queue's real day with what it measured and the agents it needed. */
export interface ProfileRow {
  hour: number;
  offered: number;
  ahtSeconds: number;
  /** `answeredWithin` is absent when the source cannot tell it for this t. */
  measured: { answered: number; abandoned: number; answeredWithin?: number };
  staffing?: IntervalStaffing;
}

/**
 * The agents each hour of a day profile needed, per queue: AHT = the hour's mean talk time (the
 * queue's day mean for an hour with none) + `wrapUpSeconds`; Erlang A with `patienceSeconds` when
 * given, else the queue's estimated patience, else Erlang C alone.
 */
export function staffProfile(
  profile: DayProfile,
  o: { target: StaffingTarget; wrapUpSeconds: number; patienceSeconds?: number },
): Map<string, ProfileRow[]> {
  const rows = new Map<string, ProfileRow[]>();
  for (const q of profile.queues) {
    const theta = o.patienceSeconds ?? q.patience.seconds;
    rows.set(
      q.queue,
      q.hours.map((h) => {
        const talk = h.talkCount > 0 ? h.talkSeconds / h.talkCount : (q.meanTalkSeconds ?? 0);
        const ahtSeconds = talk + o.wrapUpSeconds;
        const measured: ProfileRow['measured'] = { answered: h.answered, abandoned: h.abandoned };
        if (h.answeredWithin !== undefined) measured.answeredWithin = h.answeredWithin;
        const row: ProfileRow = { hour: h.hour, offered: h.offered, ahtSeconds, measured };
        if (h.offered > 0 && ahtSeconds > 0) {
          const load = { callsPerHour: h.offered, ahtSeconds };
          row.staffing = staffInterval(
            theta !== undefined ? { ...load, patienceSeconds: theta } : load,
            o.target,
          );
        }
        return row;
      }),
    );
  }
  return rows;
}

/** The day's figures for `--json`: per queue its patience (given, or estimated) and its hours. */
export function profileJson(
  profile: DayProfile,
  rows: ReadonlyMap<string, ProfileRow[]>,
  o: { target: StaffingTarget; wrapUpSeconds: number; patienceSeconds: number | undefined },
) {
  return {
    day: profile.day,
    timeZone: profile.timeZone,
    target: o.target,
    wrapUpSeconds: o.wrapUpSeconds,
    notQueued: profile.notQueued,
    queues: profile.queues.map((q) => ({
      queue: q.queue,
      offered: q.offered,
      meanTalkSeconds: q.meanTalkSeconds,
      patience: o.patienceSeconds !== undefined ? { seconds: o.patienceSeconds, given: true } : q.patience,
      hours: rows.get(q.queue),
    })),
  };
}
