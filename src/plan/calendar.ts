import { type CalendarDay, noticeDays, statutoryDays } from './holidays.ts';
import type { CalendarRule } from './schema.ts';

/** A holiday calendar, compiled: the local days written in the rules and where the others come from. */
export interface CompiledCalendar {
  id: string;
  kind: 'national' | 'local';
  /** Local additions and overrides (a local calendar's only days), by date. */
  local: ReadonlyMap<string, CalendarDay>;
  /** Years whose missing notice the rules accept (statutory days only). */
  provisionalYears: ReadonlySet<number>;
}

function addDays(date: string, n: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

export function compileCalendar(rule: CalendarRule): CompiledCalendar {
  const local = new Map<string, CalendarDay>();
  const note = (own: string | undefined) => own ?? rule.source ?? `calendar "${rule.id}"`;
  for (const h of rule.holidays) {
    for (let d = h.from; d <= h.to; d = addDays(d, 1)) {
      local.set(d, { date: d, off: true, name: h.name, source: 'local', note: note(h.note) });
    }
  }
  for (const w of rule.workdays) {
    const day = typeof w === 'string' ? { date: w } : w;
    local.set(day.date, {
      date: day.date,
      off: false,
      name: day.name ?? '调休上班',
      source: 'local',
      note: note(day.note),
    });
  }
  return {
    id: rule.id,
    kind: rule.kind,
    local,
    provisionalYears: new Set(rule.provisionalYears.map((p) => p.year)),
  };
}

/**
 * What the calendar says of a date (YYYY-MM-DD): a local entry first, then (national calendars)
 * the year's State Council notice, else the statutory days off of a year without a notice.
 * Undefined: an ordinary day, worked or not by the weekly hours.
 */
export function calendarDay(calendar: CompiledCalendar, date: string): CalendarDay | undefined {
  const own = calendar.local.get(date);
  if (own || calendar.kind === 'local') return own;
  const year = Number(date.slice(0, 4));
  const notice = noticeDays(year);
  return notice ? notice.get(date) : statutoryDays(year).get(date);
}

/** How a calendar day reads in explain's reasons. */
export function describeDay(day: CalendarDay): string {
  const what = day.off ? `a day off (${day.name})` : `a working day (${day.name})`;
  switch (day.source) {
    case 'notice':
      return `${day.date} is ${what} by the State Council notice (${day.note})`;
    case 'statutory':
      return `${day.date} is ${what} by the statutory holidays only, provisional until the State Council notice of ${day.date.slice(0, 4)} (${day.note})`;
    case 'local':
      return `${day.date} is ${what} by a local rule (${day.note})`;
  }
}
