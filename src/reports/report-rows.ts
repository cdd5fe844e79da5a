import type { HeatCell, ReportDimension, ReportGrain, ReportRow, TransferRow } from './report.ts';

/**
 * What both report computations share, so they give the same rows to the last digit: the
 * integer sums of one period × key (the database sums columns, records-source.ts sums records),
 * turned into a row here by one function with one rounding — rates to 4 decimals, seconds to 1,
 * the survey average to 2 — and one order (period, then key, by code units).
 */
export interface ReportSums {
  period: string;
  key: string;
  calls: number;
  offered: number;
  answered: number;
  slHits: number;
  slFromArrivalHits: number;
  /** Sum of the waits (ms) of answered calls. */
  answeredWaitMs: number;
  abandoned: number;
  /** Sum and count of the talk seconds of answered calls. */
  talkSeconds: number;
  talkCount: number;
  surveySum: number;
  surveyCount: number;
}

/** The key of a call without a queue or an agent, in reports by queue or agent. */
export const NO_KEY = '-';
/** The key of every row in a report by `all`. */
export const ALL_KEY = 'all';

const round = (x: number, digits: number) => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};
const ratio = (n: number, d: number, digits: number) => (d > 0 ? round(n / d, digits) : 0);

export function reportRow(s: ReportSums): ReportRow {
  return {
    period: s.period,
    key: s.key,
    calls: s.calls,
    offered: s.offered,
    answered: s.answered,
    answerRate: ratio(s.answered, s.offered, 4),
    serviceLevel15s: ratio(s.slHits, s.offered, 4),
    serviceLevel15sFromArrival: ratio(s.slFromArrivalHits, s.offered, 4),
    asaSeconds: ratio(s.answeredWaitMs / 1000, s.answered, 1),
    abandoned: s.abandoned,
    abandonRate: ratio(s.abandoned, s.offered, 4),
    avgTalkSeconds: ratio(s.talkSeconds, s.talkCount, 1),
    surveyCount: s.surveyCount,
    surveyAverage: ratio(s.surveySum, s.surveyCount, 2),
  };
}

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export function sortReportRows(rows: ReportRow[]): ReportRow[] {
  return rows.sort((a, b) => byText(a.period, b.period) || byText(a.key, b.key));
}

export function sortTransferRows(rows: TransferRow[]): TransferRow[] {
  return rows.sort(
    (a, b) =>
      byText(a.period, b.period) ||
      byText(a.targetKind, b.targetKind) ||
      byText(a.targetId, b.targetId) ||
      byText(a.mode, b.mode),
  );
}

/** Every weekday × hour (Monday 0:00 first), those without calls at zero. */
export function fullHeatmap(cells: Iterable<HeatCell>): HeatCell[] {
  const grid: HeatCell[] = [];
  for (let weekday = 1; weekday <= 7; weekday++)
    for (let hour = 0; hour < 24; hour++) grid.push({ weekday, hour, offered: 0, answered: 0 });
  for (const c of cells) {
    const g = grid[(c.weekday - 1) * 24 + c.hour]!;
    g.offered += c.offered;
    g.answered += c.answered;
  }
  return grid;
}

/** Asia/Shanghai keeps UTC+8 all year (no daylight saving since 1991). */
const SHANGHAI_OFFSET_MS = 8 * 3600_000;
const pad = (n: number) => String(n).padStart(2, '0');

/** The period an instant falls in, on the center's clock, written as report rows write it. */
export function periodOf(ms: number, grain: ReportGrain): string {
  const d = new Date(ms + SHANGHAI_OFFSET_MS);
  const month = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}`;
  if (grain === 'month') return month;
  const day = `${month}-${pad(d.getUTCDate())}`;
  if (grain === 'day') return day;
  return `${day}T${pad(d.getUTCHours())}:00+08:00`;
}

/** Weekday (1 = Monday … 7 = Sunday) and hour of an instant on the center's clock. */
export function weekdayHourOf(ms: number): { weekday: number; hour: number } {
  const d = new Date(ms + SHANGHAI_OFFSET_MS);
  return { weekday: ((d.getUTCDay() + 6) % 7) + 1, hour: d.getUTCHours() };
}

/** The dimensions a report splits by, for help texts and checks. */
export const DIMENSIONS: readonly ReportDimension[] = [
  'line',
  'department',
  'queue',
  'agent',
  'phase',
  'all',
];
