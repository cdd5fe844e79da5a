import { SERVICE_LEVEL_SECONDS } from '../records/call-figures.ts';
import type { ReportRow } from '../reports/report.ts';
import { NO_KEY } from '../reports/report-rows.ts';
import { type DayProfile, emptyHour, type QueueProfile } from './records-profile.ts';

/**
 * A day profile from the reports' hourly summary split by queue (`summary({ grain: 'hour',
 * by: 'queue' })`, e.g. over the records database). What the summary cannot give, unlike the
 * records themselves:
 * - the hour is the calls' arrival hour, not their queue entry;
 * - talk time is the hour's mean over its answered calls;
 * - answered within t only for t = 15 s (the summary's service level), else unknown;
 * - no patience: the summary holds no waits of abandoned calls (Erlang A needs --patience).
 */
export function profileFromReport(
  rows: readonly ReportRow[],
  o: { day: string; timeZone: string; withinSeconds: number },
): DayProfile {
  const queues = new Map<string, QueueProfile>();
  let notQueued = 0;
  for (const r of rows) {
    if (!r.period.startsWith(o.day)) continue;
    if (r.key === NO_KEY) {
      notQueued += r.calls;
      continue;
    }
    const [kind, id] = r.key.split(':') as ['pool' | 'expert', string];
    let q = queues.get(r.key);
    if (!q) {
      q = {
        queue: r.key,
        kind,
        id,
        hours: Array.from({ length: 24 }, (_, hour) => emptyHour(hour)),
        offered: 0,
        patience: { abandoned: 0 },
      };
      queues.set(r.key, q);
    }
    const hour = Number(r.period.slice(11, 13));
    const h = q.hours[hour]!;
    h.offered += r.offered;
    h.answered += r.answered;
    h.abandoned += r.abandoned;
    if (h.answeredWithin !== undefined) {
      h.answeredWithin =
        o.withinSeconds === SERVICE_LEVEL_SECONDS
          ? h.answeredWithin + Math.round(r.serviceLevel15s * r.offered)
          : undefined;
    }
    h.talkSeconds += r.avgTalkSeconds * r.answered;
    h.talkCount += r.avgTalkSeconds > 0 ? r.answered : 0;
    h.waitSeconds += r.asaSeconds * r.answered;
    q.offered += r.offered;
    q.patience.abandoned += r.abandoned;
  }
  for (const q of queues.values()) {
    const talk = q.hours.reduce((s, h) => s + h.talkSeconds, 0);
    const count = q.hours.reduce((s, h) => s + h.talkCount, 0);
    if (count > 0) q.meanTalkSeconds = talk / count;
  }
  return {
    day: o.day,
    timeZone: o.timeZone,
    withinSeconds: o.withinSeconds,
    queues: [...queues.values()].sort((a, b) => b.offered - a.offered || a.queue.localeCompare(b.queue)),
    notQueued,
  };
}
