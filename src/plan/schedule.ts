import { calendarDay } from './calendar.ts';
import type { CompiledSchedule } from './compile.ts';
import type { CalendarDay } from './holidays.ts';
import { localParts } from './zoned-time.ts';

export interface OpenState {
  open: boolean;
  /** The calendar day that decided the hours (a holiday, a make-up or local workday), if any. */
  day?: CalendarDay;
}

/** Whether a schedule is open at an instant, in the plan's time zone, and which calendar day decided it. */
export function openState(schedule: CompiledSchedule, atMs: number, tz: string): OpenState {
  if (schedule.always) return { open: true };
  const p = localParts(atMs, tz);
  const key = `${p.year}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`;
  const day = schedule.calendar ? calendarDay(schedule.calendar, key) : undefined;
  if (day?.off) return { open: false, day };
  const hours = day ? schedule.workdayHours : (schedule.weekly[p.weekday] ?? []);
  const minute = p.hour * 60 + p.minute;
  const open = hours.some(([from, to]) => minute >= from && minute < to);
  return day ? { open, day } : { open };
}

/** Whether a schedule is open at an instant, in the plan's time zone (holidays and make-up workdays included). */
export function isOpen(schedule: CompiledSchedule, atMs: number, tz: string): boolean {
  return openState(schedule, atMs, tz).open;
}
