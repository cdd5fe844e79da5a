import { hasNotice } from '../holidays.ts';
import { formatProblem, joinPath } from '../problems.ts';
import { localParts, validDate } from '../zoned-time.ts';
import type { CheckContext } from './context.ts';

function realDate(d: string): boolean {
  const [y, m, day] = d.split('-').map(Number) as [number, number, number];
  return validDate(y, m, day);
}

/**
 * Holiday calendars: real dates in order; local entries of a national calendar say where they
 * come from; and every calendar a schedule uses knows the current and the next year's days off.
 * A national calendar knows a year from its State Council notice, or when the rules accept the
 * year as provisional (statutory days only); a local calendar from its `years`. A year it does
 * not know is a warning that fails `validate` (a running center still loads its rules on
 * 1 January: the statutory days stand in until the notice is in the data).
 */
export function checkCalendars({ raw, add, tz, now, warnings }: CheckContext): void {
  const currentYear = localParts(now, tz).year;
  for (const cal of raw.calendars) {
    const v = cal.value;
    const national = v.kind === 'national';
    v.holidays.forEach((h, i) => {
      const from = realDate(h.from);
      const to = realDate(h.to);
      if (!from) add(cal, `holidays[${i}].from`, `"${h.from}" is not a real date`);
      if (!to) add(cal, `holidays[${i}].to`, `"${h.to}" is not a real date`);
      if (from && to && h.to < h.from)
        add(cal, `holidays[${i}].to`, `ends (${h.to}) before it starts (${h.from})`);
      if (national && h.note === undefined)
        add(
          cal,
          `holidays[${i}]`,
          'a local day off on a national calendar needs a "note" saying where it comes from',
        );
    });
    v.workdays.forEach((w, i) => {
      const date = typeof w === 'string' ? w : w.date;
      if (!realDate(date))
        add(
          cal,
          typeof w === 'string' ? `workdays[${i}]` : `workdays[${i}].date`,
          `"${date}" is not a real date`,
        );
      if (national && (typeof w === 'string' || w.note === undefined))
        add(
          cal,
          `workdays[${i}]`,
          'a local workday on a national calendar needs a "note" saying where it comes from',
        );
    });
    if (national && v.years !== undefined)
      add(cal, 'years', 'a national calendar covers the years of the State Council notices; remove "years"');
    if (!national && v.years === undefined)
      add(cal, 'years', 'a local calendar lists the years it covers ("years: [2026]")');
    if (!national && v.provisionalYears.length > 0)
      add(
        cal,
        'provisionalYears',
        'only a national calendar has provisional years (statutory days until the notice)',
      );
    v.provisionalYears.forEach((p, i) => {
      if (national && hasNotice(p.year))
        warnings.push({
          file: cal.file,
          path: joinPath(cal.path, `provisionalYears[${i}]`),
          message: `the State Council notice of ${p.year} is in the holiday data now; ${p.year} is no longer provisional, remove it`,
        });
    });

    const users = raw.schedules.filter((s) => s.value.calendar === v.id && !s.value.always);
    if (users.length === 0) continue;
    const names = users.map((s) =>
      formatProblem({
        file: s.file,
        path: joinPath(s.path, 'calendar'),
        message: `schedule "${s.value.id}"`,
      }),
    );
    for (const year of [currentYear, currentYear + 1]) {
      const known = national
        ? hasNotice(year) || v.provisionalYears.some((p) => p.year === year)
        : (v.years ?? []).includes(year);
      if (known) continue;
      warnings.push({
        file: cal.file,
        path: joinPath(cal.path, national ? 'provisionalYears' : 'years'),
        message: national
          ? `calendar "${v.id}" has no State Council notice for ${year}; used by ${names.join(', ')}. ` +
            `Until the notice is in the holiday data the statutory days off stand in (no make-up workdays); ` +
            `accept that with "provisionalYears: [{ year: ${year}, note: ... }]"`
          : `calendar "${v.id}" has no holidays for ${year}; used by ${names.join(', ')}, which treat ${year} as having none`,
        failsValidate: true,
      });
    }
  }
}
