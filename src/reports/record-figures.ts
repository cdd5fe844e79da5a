import { SERVICE_LEVEL_SECONDS, withinServiceLevel } from '../records/call-figures.ts';
import type { CallRecord } from '../records/schema.ts';

/**
 * What reports count of one call, from its final record alone: the typed columns of the records
 * table (database-source.ts sums them) and what records-source.ts sums in memory. The same
 * definitions as `callFigures` (records/call-figures.ts), which built the record:
 *
 * - offered: the call entered a pool or expert-seat queue (`times.queueEnteredAt`, the first entry);
 * - answered: an agent answered the offered call (`times.agentAnsweredAt`, the first to connect);
 * - waitMs: queue entry → the answer; unanswered, queue entry → leaving the queues (else the end);
 * - serviceLevelHit: answered within 15 s (GB/T 33358) of the first queue entry;
 * - waitFromArrivalMs / serviceLevelFromArrivalHit: the same from the call's arrival (prompts and
 *   menus count), for an answered offered call;
 * - abandoned: offered, and the caller hung up while queued or ringing
 *   (`abandoned-queue`, `abandoned-ringing`);
 * - talkSeconds: the answering agent's talk time, as the record states it (answered calls).
 *
 * The service level is always 15 s here (the reports' column says so), whatever the plan's
 * `center.serviceLevelSeconds` was. Pure: same record, same figures.
 */
export interface RecordFigures {
  arrivedAt: number;
  endedAt: number;
  offered: boolean;
  answered: boolean;
  abandoned: boolean;
  waitMs: number | undefined;
  waitFromArrivalMs: number | undefined;
  serviceLevelHit: boolean;
  serviceLevelFromArrivalHit: boolean;
  talkSeconds: number | undefined;
  surveyScore: number | undefined;
}

const ms = (iso: string | undefined) => (iso === undefined ? undefined : Date.parse(iso));

export function recordFigures(record: CallRecord): RecordFigures {
  const t = record.times;
  const arrivedAt = Date.parse(t.arrivedAt);
  const endedAt = Date.parse(t.endedAt);
  const queuedAt = ms(t.queueEnteredAt);
  const offered = queuedAt !== undefined;
  const agentAnsweredAt = ms(t.agentAnsweredAt);
  const answered = offered && agentAnsweredAt !== undefined;
  const waitMs =
    queuedAt === undefined
      ? undefined
      : Math.max(0, (agentAnsweredAt ?? ms(t.queueLeftAt) ?? endedAt) - queuedAt);
  const waitFromArrivalMs = answered ? Math.max(0, agentAnsweredAt! - arrivedAt) : undefined;
  return {
    arrivedAt,
    endedAt,
    offered,
    answered,
    abandoned:
      offered && (record.disposition === 'abandoned-queue' || record.disposition === 'abandoned-ringing'),
    waitMs,
    waitFromArrivalMs,
    serviceLevelHit: answered && withinServiceLevel(waitMs ?? 0, SERVICE_LEVEL_SECONDS),
    serviceLevelFromArrivalHit:
      waitFromArrivalMs !== undefined && withinServiceLevel(waitFromArrivalMs, SERVICE_LEVEL_SECONDS),
    talkSeconds: answered ? record.talkSeconds : undefined,
    surveyScore: record.surveyScore,
  };
}

/** Results of a transfer whose target answered (or took the call: an expert's queue, a ticket). */
export const REACHED_RESULTS: readonly string[] = [
  'connected',
  'completed',
  'target-left',
  'queued',
  'ticket',
];
