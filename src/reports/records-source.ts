import type { CallRecord } from '../records/schema.ts';
import { REACHED_RESULTS, recordFigures } from './record-figures.ts';
import type { HeatCell, ReportDimension, ReportQuery, ReportSource, TransferRow } from './report.ts';
import {
  ALL_KEY,
  fullHeatmap,
  NO_KEY,
  periodOf,
  type ReportSums,
  reportRow,
  sortReportRows,
  sortTransferRows,
  weekdayHourOf,
} from './report-rows.ts';

/** A record's key in a report split by `by` (the database's `keyColumn` in database-source.ts). */
export function recordKey(r: CallRecord, by: ReportDimension): string {
  switch (by) {
    case 'line':
      return r.line.id;
    case 'department':
      return r.line.topic;
    case 'queue':
      return r.queue ? `${r.queue.kind}:${r.queue.id}` : NO_KEY;
    case 'agent':
      return r.agentId ?? NO_KEY;
    case 'phase':
      return r.phase.id;
    case 'all':
      return ALL_KEY;
  }
}

const emptySums = (period: string, key: string): ReportSums => ({
  period,
  key,
  calls: 0,
  offered: 0,
  answered: 0,
  slHits: 0,
  slFromArrivalHits: 0,
  answeredWaitMs: 0,
  abandoned: 0,
  talkSeconds: 0,
  talkCount: 0,
  surveySum: 0,
  surveyCount: 0,
});

/**
 * The reports computed in memory from call records: the reference the database's SQL is tested
 * against, and how `hotline report` reads a JSONL records file when there is no database. Each
 * record counts once (by idempotency key, as the database keeps them).
 */
export class RecordsReportSource implements ReportSource {
  private readonly records: CallRecord[];

  constructor(records: Iterable<CallRecord>) {
    const byKey = new Map<string, CallRecord>();
    for (const r of records) if (!byKey.has(r.idempotencyKey)) byKey.set(r.idempotencyKey, r);
    this.records = [...byKey.values()];
  }

  private within(from: Date, to: Date): { record: CallRecord; arrivedAt: number }[] {
    const a = from.getTime();
    const b = to.getTime();
    return this.records
      .map((record) => ({ record, arrivedAt: Date.parse(record.times.arrivedAt) }))
      .filter((x) => x.arrivedAt >= a && x.arrivedAt < b);
  }

  async summary(q: ReportQuery) {
    const groups = new Map<string, ReportSums>();
    for (const { record, arrivedAt } of this.within(q.from, q.to)) {
      const period = periodOf(arrivedAt, q.grain);
      const key = recordKey(record, q.by);
      const id = `${period}\u0000${key}`;
      const s = groups.get(id) ?? emptySums(period, key);
      groups.set(id, s);
      const f = recordFigures(record);
      s.calls++;
      if (f.offered) s.offered++;
      if (f.answered) {
        s.answered++;
        s.answeredWaitMs += f.waitMs ?? 0;
      }
      if (f.serviceLevelHit) s.slHits++;
      if (f.serviceLevelFromArrivalHit) s.slFromArrivalHits++;
      if (f.abandoned) s.abandoned++;
      if (f.talkSeconds !== undefined) {
        s.talkSeconds += f.talkSeconds;
        s.talkCount++;
      }
      if (f.surveyScore !== undefined) {
        s.surveySum += f.surveyScore;
        s.surveyCount++;
      }
    }
    return sortReportRows([...groups.values()].map(reportRow));
  }

  async transfers(q: ReportQuery) {
    const groups = new Map<string, TransferRow>();
    for (const { record, arrivedAt } of this.within(q.from, q.to)) {
      const period = periodOf(arrivedAt, q.grain);
      for (const t of record.transfers) {
        const id = [period, t.target.kind, t.target.id, t.mode].join('\u0000');
        const row = groups.get(id) ?? {
          period,
          targetKind: t.target.kind,
          targetId: t.target.id,
          mode: t.mode,
          transfers: 0,
          reached: 0,
        };
        groups.set(id, row);
        row.transfers++;
        if (REACHED_RESULTS.includes(t.result)) row.reached++;
      }
    }
    return sortTransferRows([...groups.values()]);
  }

  async heatmap(q: Pick<ReportQuery, 'from' | 'to'>) {
    const cells: HeatCell[] = [];
    for (const { record, arrivedAt } of this.within(q.from, q.to)) {
      const f = recordFigures(record);
      cells.push({ ...weekdayHourOf(arrivedAt), offered: f.offered ? 1 : 0, answered: f.answered ? 1 : 0 });
    }
    return fullHeatmap(cells);
  }
}
