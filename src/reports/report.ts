import { z } from 'zod';

/**
 * What a report asks for and what it answers, whatever computes it: SQL over the records table
 * (database-source.ts) or the same arithmetic over call records in memory (records-source.ts, the
 * reference the database is tested against). Periods are days, hours and months of the center's
 * clock, Asia/Shanghai.
 */
export const REPORT_TIME_ZONE = 'Asia/Shanghai';

export const ReportGrain = z.enum(['hour', 'day', 'month']);
export type ReportGrain = z.infer<typeof ReportGrain>;

/** What the rows are split by: the dialled line, its department (topic), the queue, the agent, the plan's phase, or nothing. */
export const ReportDimension = z.enum(['line', 'department', 'queue', 'agent', 'phase', 'all']);
export type ReportDimension = z.infer<typeof ReportDimension>;

export const ReportQuery = z
  .object({
    /** Inclusive start and exclusive end, by the call's arrival. */
    from: z.coerce.date(),
    to: z.coerce.date(),
    grain: ReportGrain.default('day'),
    by: ReportDimension.default('all'),
  })
  .refine((q) => q.to.getTime() > q.from.getTime(), { message: '"to" must be after "from"', path: ['to'] });
export type ReportQuery = z.infer<typeof ReportQuery>;

/** One period × one key (a line id, a department name, a queue id, an agent id, a phase id, or `all`). */
export interface ReportRow {
  /** Start of the period in Asia/Shanghai, `YYYY-MM-DDTHH:00+08:00`, `YYYY-MM-DD` or `YYYY-MM`. */
  period: string;
  key: string;
  /** Every call that arrived. */
  calls: number;
  /** Calls that entered a queue (asked for a person): the denominator of the rates. */
  offered: number;
  answered: number;
  /** answered / offered (接通率), 0 when nothing was offered. */
  answerRate: number;
  /** Answered within 15 s of the first queue entry / offered. */
  serviceLevel15s: number;
  /** Answered within 15 s of arrival (prompts and menus count) / offered. */
  serviceLevel15sFromArrival: number;
  /** Average wait from queue entry to answer over answered calls, seconds. */
  asaSeconds: number;
  /** Offered calls whose caller hung up while queued or ringing. */
  abandoned: number;
  abandonRate: number;
  /** Average talk time of answered calls, seconds. */
  avgTalkSeconds: number;
  /** Calls with a survey score, and their mean (0 when none). */
  surveyCount: number;
  surveyAverage: number;
}

/** Transfers in a period by target (`subcenter:sc-tax`, `emergency:110`, …) and mode. */
export interface TransferRow {
  period: string;
  targetKind: string;
  targetId: string;
  mode: string;
  transfers: number;
  /** Those whose target answered (`connected`, `completed`, `target-left`, `queued`, `ticket`). */
  reached: number;
}

/** Offered and answered calls by weekday (1 = Monday … 7 = Sunday) and hour of day, Asia/Shanghai. */
export interface HeatCell {
  weekday: number;
  hour: number;
  offered: number;
  answered: number;
}

export interface ReportSource {
  summary(q: ReportQuery): Promise<ReportRow[]>;
  transfers(q: ReportQuery): Promise<TransferRow[]>;
  heatmap(q: Pick<ReportQuery, 'from' | 'to'>): Promise<HeatCell[]>;
}
