import chineseDays from 'chinese-days';

/**
 * China's days off and make-up workdays (调休上班), year by year.
 *
 * - `notice`: the State Council's yearly notice (国务院办公厅关于某年部分节假日安排的通知), as
 *   carried by the `chinese-days` package (2004 onward; a year appears once its notice is out).
 * - `statutory`: for a year without a notice, the days off of 《全国年节及纪念日放假办法》
 *   (2024 revision, in force from 2025), computed from the lunar calendar and solar terms. These
 *   are provisional: the notice adds bridging days and make-up workdays nobody can know before.
 * - `local`: a center's own additions or overrides, written in the rules.
 */
export type DaySource = 'notice' | 'statutory' | 'local';

export interface CalendarDay {
  /** YYYY-MM-DD */
  date: string;
  /** true: a day off (holiday); false: a working day (a make-up workday or a local workday). */
  off: boolean;
  name: string;
  source: DaySource;
  /** Where a local day comes from (a document, a decision); for national days, the notice or rule. */
  note: string;
}

const { getDayDetail, getHolidaysInRange, getSolarDateFromLunar, getSolarTermDate, getWorkdaysInRange } =
  chineseDays;

/** First year `chinese-days` can carry; earlier years have no notice data. */
const FIRST_NOTICE_YEAR = 2004;

const noticeCache = new Map<number, ReadonlyMap<string, CalendarDay> | null>();
const statutoryCache = new Map<number, ReadonlyMap<string, CalendarDay>>();

function chineseName(detailName: string): string {
  const parts = detailName.split(',');
  return parts[1] ?? parts[0] ?? detailName;
}

function weekday(date: string): number {
  return new Date(`${date}T00:00:00Z`).getUTCDay();
}

function addDays(date: string, n: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

/** The days of a year's State Council notice, or null when the notice is not in the data. */
export function noticeDays(year: number): ReadonlyMap<string, CalendarDay> | null {
  if (noticeCache.has(year)) return noticeCache.get(year) ?? null;
  let days: Map<string, CalendarDay> | null = null;
  if (year >= FIRST_NOTICE_YEAR) {
    const start = `${year}-01-01`;
    const end = `${year}-12-31`;
    const holidays = getHolidaysInRange(start, end, false);
    if (holidays.length > 0) {
      days = new Map();
      const note = `国务院办公厅关于${year}年部分节假日安排的通知`;
      for (const date of holidays) {
        days.set(date, {
          date,
          off: true,
          name: chineseName(getDayDetail(date).name),
          source: 'notice',
          note,
        });
      }
      for (const date of getWorkdaysInRange(start, end, true)) {
        const wd = weekday(date);
        if (wd !== 0 && wd !== 6) continue;
        const name = `${chineseName(getDayDetail(date).name)}调休上班`;
        days.set(date, { date, off: false, name, source: 'notice', note });
      }
    }
  }
  noticeCache.set(year, days);
  return days;
}

/** Whether the State Council notice of `year` is in the data. */
export function hasNotice(year: number): boolean {
  return noticeDays(year) !== null;
}

/** YYYY-MM-DD of a lunar date (a leap month's twin is ignored: festivals fall in the regular month). */
function lunar(year: number, month: number, day: number): string {
  const mm = String(month).padStart(2, '0');
  const dd = String(day).padStart(2, '0');
  return getSolarDateFromLunar(`${year}-${mm}-${dd}`).date;
}

/**
 * The statutory days off of a year (《全国年节及纪念日放假办法》, 2024 revision): 元旦 1 day,
 * 春节 4 days (除夕 to 正月初三), 清明 1 day, 劳动节 2 days, 端午 1 day, 中秋 1 day, 国庆 3 days.
 * No make-up workdays and no bridging days: those come only with the year's notice.
 */
export function statutoryDays(year: number): ReadonlyMap<string, CalendarDay> {
  const cached = statutoryCache.get(year);
  if (cached) return cached;
  const note = '《全国年节及纪念日放假办法》（2024年修订）';
  const days = new Map<string, CalendarDay>();
  const add = (date: string, name: string) =>
    days.set(date, { date, off: true, name, source: 'statutory', note });
  add(`${year}-01-01`, '元旦');
  const newYear = lunar(year, 1, 1);
  add(addDays(newYear, -1), '春节（除夕）');
  for (let i = 0; i < 3; i++) add(addDays(newYear, i), '春节');
  add(getSolarTermDate(year, 4, 'pure_brightness'), '清明节');
  add(`${year}-05-01`, '劳动节');
  add(`${year}-05-02`, '劳动节');
  add(lunar(year, 5, 5), '端午节');
  add(lunar(year, 8, 15), '中秋节');
  for (const d of ['01', '02', '03']) add(`${year}-10-${d}`, '国庆节');
  statutoryCache.set(year, days);
  return days;
}
