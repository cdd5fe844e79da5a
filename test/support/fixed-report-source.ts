import type {
  HeatCell,
  ReportQuery,
  ReportRow,
  ReportSource,
  TransferRow,
} from '../../src/reports/report.ts';

/** A summary row with the given counts; the rates follow from them. */
export function reportRow(
  period: string,
  key: string,
  c: { calls: number; offered: number; answered: number; within: number; abandoned: number },
): ReportRow {
  const rate = (n: number) => (c.offered > 0 ? n / c.offered : 0);
  return {
    period,
    key,
    calls: c.calls,
    offered: c.offered,
    answered: c.answered,
    answerRate: rate(c.answered),
    serviceLevel15s: rate(c.within),
    serviceLevel15sFromArrival: rate(Math.max(0, c.within - 1)),
    asaSeconds: 8.25,
    abandoned: c.abandoned,
    abandonRate: rate(c.abandoned),
    avgTalkSeconds: 192.5,
    surveyCount: 2,
    surveyAverage: 4.5,
  };
}

/**
 * A report source answering fixed rows, keeping the queries it was asked (what the API passed on);
 * `fail` makes every read throw, as an unreachable database would.
 */
export class FixedReportSource implements ReportSource {
  readonly asked: { report: string; q: Partial<ReportQuery> }[] = [];
  fail = false;

  constructor(
    private readonly rows: { summary: ReportRow[]; transfers: TransferRow[]; heatmap: HeatCell[] },
  ) {}

  private take<T>(report: string, q: Partial<ReportQuery>, rows: T): Promise<T> {
    this.asked.push({ report, q });
    if (this.fail) return Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:5432 (password=secret)'));
    return Promise.resolve(rows);
  }

  summary(q: ReportQuery): Promise<ReportRow[]> {
    return this.take('summary', q, this.rows.summary);
  }

  transfers(q: ReportQuery): Promise<TransferRow[]> {
    return this.take('transfers', q, this.rows.transfers);
  }

  heatmap(q: Pick<ReportQuery, 'from' | 'to'>): Promise<HeatCell[]> {
    return this.take('heatmap', q, this.rows.heatmap);
  }
}
