import { z } from 'zod';
import { REPORT_TIME_ZONE, ReportDimension, ReportGrain } from './report.ts';

/**
 * A report as a person asks for it (the API's query string, the CLI's options): the range as
 * days of the center (`2026-11-01`, Asia/Shanghai) or as instants with an offset, and its limits.
 * A day `to` is inclusive (`--from 2026-11-01 --to 2026-11-30` is the whole of November); an
 * instant `to` is the exclusive end.
 */

/** The longest range one report covers (a year and a bit: this year against last). */
export const MAX_RANGE_DAYS = 400;
/** By the hour, at most a month (31 days × 24 = 744 periods per key). */
export const MAX_HOUR_RANGE_DAYS = 31;

const DAY_MS = 86_400_000;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The start of a day of the center (00:00 Asia/Shanghai), or undefined when no such date. */
export function shanghaiMidnight(day: string): number | undefined {
  const m = DATE.exec(day);
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const utc = Date.UTC(y, mo - 1, d);
  const back = new Date(utc);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d)
    return undefined;
  return utc - 8 * 3_600_000;
}

const Instant = z.iso.datetime({ offset: true });

/** A day (`YYYY-MM-DD`) or an instant with offset; `end` turns a day into the start of the next one. */
const When = (end: boolean) =>
  z
    .string()
    .max(40)
    .describe(
      end
        ? 'end: a day YYYY-MM-DD (Asia/Shanghai, included) or a time with offset (excluded)'
        : 'start: a day YYYY-MM-DD (from 00:00 Asia/Shanghai) or a time with offset',
    )
    .transform((text, ctx) => {
      const day = shanghaiMidnight(text);
      if (day !== undefined) return end ? day + DAY_MS : day;
      if (!DATE.test(text) && Instant.safeParse(text).success) return Date.parse(text);
      ctx.addIssue({
        code: 'custom',
        message: `"${text.slice(0, 40)}" is neither a date (YYYY-MM-DD, Asia/Shanghai) nor a time with offset (2026-11-01T08:00:00+08:00)`,
      });
      return z.NEVER;
    });

export const ReportFormat = z.enum(['json', 'csv']);
export type ReportFormat = z.infer<typeof ReportFormat>;

function checkRange(q: { from: number; to: number; grain?: ReportGrain }, ctx: z.RefinementCtx): void {
  const days = (q.to - q.from) / DAY_MS;
  if (q.to <= q.from) {
    ctx.addIssue({ code: 'custom', path: ['to'], message: '"to" must be after "from"' });
  } else if (days > MAX_RANGE_DAYS) {
    ctx.addIssue({
      code: 'custom',
      path: ['to'],
      message: `the range covers ${Math.ceil(days)} days: a report covers at most ${MAX_RANGE_DAYS}`,
    });
  } else if (q.grain === 'hour' && days > MAX_HOUR_RANGE_DAYS) {
    ctx.addIssue({
      code: 'custom',
      path: ['grain'],
      message: `by the hour a report covers at most ${MAX_HOUR_RANGE_DAYS} days (this range: ${Math.ceil(days)}): ask by day, or a shorter range`,
    });
  }
}

/** `summary` and `transfers`: range, grain (default day), split (default all), format. */
export const ReportRequest = z
  .object({
    from: When(false),
    to: When(true),
    grain: ReportGrain.default('day'),
    by: ReportDimension.default('all'),
    format: ReportFormat.default('json'),
  })
  .superRefine(checkRange)
  .transform((q) => ({ ...q, from: new Date(q.from), to: new Date(q.to) }));
export type ReportRequest = z.output<typeof ReportRequest>;

/** `transfers`: range, grain (default day), format (transfers are split by target and mode, not `by`). */
export const TransfersRequest = z
  .object({
    from: When(false),
    to: When(true),
    grain: ReportGrain.default('day'),
    format: ReportFormat.default('json'),
  })
  .superRefine(checkRange)
  .transform((q) => ({ ...q, from: new Date(q.from), to: new Date(q.to), by: 'all' as const }));
export type TransfersRequest = z.output<typeof TransfersRequest>;

/** `heatmap`: range and format only (the cells are always hour × weekday). */
export const HeatmapRequest = z
  .object({ from: When(false), to: When(true), format: ReportFormat.default('json') })
  .superRefine(checkRange)
  .transform((q) => ({ ...q, from: new Date(q.from), to: new Date(q.to) }));
export type HeatmapRequest = z.output<typeof HeatmapRequest>;

/** The range as the answer states it: instants, and the center's time zone. */
export function describeRange(q: { from: Date; to: Date; grain?: ReportGrain; by?: ReportDimension }) {
  return {
    from: q.from.toISOString(),
    to: q.to.toISOString(),
    ...(q.grain ? { grain: q.grain } : {}),
    ...(q.by ? { by: q.by } : {}),
    timeZone: REPORT_TIME_ZONE,
  };
}
