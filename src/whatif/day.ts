import { parseInstant } from '../plan/zoned-time.ts';
import { WhatIfInputError } from './errors.ts';

export const DAY_MS = 86_400_000;

/** The local day `YYYY-MM-DD` in `tz` as [start, end) epoch ms (midnight to midnight). */
export function dayBounds(date: string, tz: string, where = 'date'): { fromMs: number; untilMs: number } {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date))
    throw new WhatIfInputError(where, `"${date}" is not a date YYYY-MM-DD`);
  const fromMs = parseInstant(date, tz);
  if (fromMs === undefined) throw new WhatIfInputError(where, `"${date}" is not a valid date`);
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const next = new Date(Date.UTC(y, m - 1, d + 1)).toISOString().slice(0, 10);
  return { fromMs, untilMs: parseInstant(next, tz) as number };
}
