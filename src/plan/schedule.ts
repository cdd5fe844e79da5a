import type { CompiledSchedule } from './compile.ts';
import { localParts } from './zoned-time.ts';

/** Whether a schedule is open at an instant, in the plan's time zone (holidays and make-up workdays included). */
export function isOpen(schedule: CompiledSchedule, atMs: number, tz: string): boolean {
  if (schedule.always) return true;
  const p = localParts(atMs, tz);
  const key = `${p.year}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`;
  if (schedule.holidays.has(key)) return false;
  const hours = schedule.workdays.has(key) ? schedule.workdayHours : (schedule.weekly[p.weekday] ?? []);
  const minute = p.hour * 60 + p.minute;
  return hours.some(([from, to]) => minute >= from && minute < to);
}
