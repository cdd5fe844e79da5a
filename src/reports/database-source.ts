import type { Sql } from './database.ts';
import { REACHED_RESULTS } from './record-figures.ts';
import {
  REPORT_TIME_ZONE,
  type ReportDimension,
  type ReportGrain,
  type ReportQuery,
  type ReportSource,
} from './report.ts';
import { fullHeatmap, type ReportSums, reportRow, sortReportRows, sortTransferRows } from './report-rows.ts';

/** How each grain's period is written (report.ts): an hour with its offset, a day, a month. */
const periodFormat: Record<ReportGrain, string> = {
  hour: 'YYYY-MM-DD"T"HH24:00+08:00',
  day: 'YYYY-MM-DD',
  month: 'YYYY-MM',
};

/**
 * The reports as SQL over the records database: group the calls that arrived in [from, to) by
 * period (date_trunc on the center's clock, Asia/Shanghai) and key, and sum the typed columns
 * record-figures.ts derived. The sums become rows in report-rows.ts, the same code the in-memory
 * reference (records-source.ts) uses, so both round alike. A month by day by line reads the
 * covering index on arrival alone (migrations/001_call_records.sql).
 */
export class DatabaseReportSource implements ReportSource {
  /** Over a pool the caller owns and ends (serve: records-read-database.ts; the CLI its own). */
  constructor(private readonly sql: Sql) {}

  private keyColumn(by: ReportDimension) {
    const sql = this.sql;
    switch (by) {
      case 'line':
        return sql`line_id`;
      case 'department':
        return sql`line_topic`;
      case 'queue':
        return sql`coalesce(queue_kind || ':' || queue_id, '-')`;
      case 'agent':
        return sql`coalesce(agent_id, '-')`;
      case 'phase':
        return sql`phase_id`;
      case 'all':
        return sql`'all'`;
    }
  }

  async summary(q: ReportQuery) {
    // Grouped by the period's start, written as text only once per row of the report.
    const rows = await this.sql<ReportSums[]>`
      SELECT to_char(period, ${periodFormat[q.grain]}) AS period, key, calls, offered, answered,
             "slHits", "slFromArrivalHits", "answeredWaitMs", abandoned, "talkSeconds", "talkCount",
             "surveySum", "surveyCount"
      FROM (
        SELECT date_trunc(${q.grain}, arrived_at AT TIME ZONE ${REPORT_TIME_ZONE}) AS period,
               ${this.keyColumn(q.by)}                                 AS key,
               count(*)                                                AS calls,
               count(*) FILTER (WHERE offered)                         AS offered,
               count(*) FILTER (WHERE answered)                        AS answered,
               count(*) FILTER (WHERE sl_hit)                          AS "slHits",
               count(*) FILTER (WHERE sl_from_arrival_hit)             AS "slFromArrivalHits",
               coalesce(sum(wait_ms) FILTER (WHERE answered), 0)       AS "answeredWaitMs",
               count(*) FILTER (WHERE abandoned)                       AS abandoned,
               coalesce(sum(talk_seconds), 0)                          AS "talkSeconds",
               count(talk_seconds)                                     AS "talkCount",
               coalesce(sum(survey_score), 0)                          AS "surveySum",
               count(survey_score)                                     AS "surveyCount"
        FROM call_records
        WHERE arrived_at >= ${q.from} AND arrived_at < ${q.to}
        GROUP BY 1, 2
      ) AS sums`;
    return sortReportRows(rows.map((r) => reportRow(r)));
  }

  async transfers(q: ReportQuery) {
    const rows = await this.sql<
      {
        period: string;
        targetKind: string;
        targetId: string;
        mode: string;
        transfers: number;
        reached: number;
      }[]
    >`
      SELECT to_char(period, ${periodFormat[q.grain]}) AS period, "targetKind", "targetId", mode, transfers, reached
      FROM (
        SELECT date_trunc(${q.grain}, arrived_at AT TIME ZONE ${REPORT_TIME_ZONE})  AS period,
               target_kind                                                        AS "targetKind",
               target_id                                                          AS "targetId",
               mode,
               count(*)                                                           AS transfers,
               count(*) FILTER (WHERE result = ANY(${REACHED_RESULTS as string[]})) AS reached
        FROM call_transfers
        WHERE arrived_at >= ${q.from} AND arrived_at < ${q.to}
        GROUP BY 1, 2, 3, 4
      ) AS sums`;
    return sortTransferRows(rows.map((r) => ({ ...r })));
  }

  async heatmap(q: Pick<ReportQuery, 'from' | 'to'>) {
    const rows = await this.sql<{ weekday: number; hour: number; offered: number; answered: number }[]>`
      SELECT extract(isodow FROM arrived_at AT TIME ZONE ${REPORT_TIME_ZONE})::int  AS weekday,
             extract(hour FROM arrived_at AT TIME ZONE ${REPORT_TIME_ZONE})::int    AS hour,
             count(*) FILTER (WHERE offered)                                        AS offered,
             count(*) FILTER (WHERE answered)                                       AS answered
      FROM call_records
      WHERE arrived_at >= ${q.from} AND arrived_at < ${q.to}
      GROUP BY 1, 2`;
    return fullHeatmap(rows);
  }
}
