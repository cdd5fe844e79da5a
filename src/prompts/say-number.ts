/**
 * Prompt fragments that read a whole number aloud in Mandarin (queue position, minutes of
 * expected wait, ticket status counts): 0 → 零, 12 → 十二, 20 → 二十, 105 → 一百零五, 2 alone → 两 where
 * a quantity is spoken ("两位", "两分钟").
 */
export function sayNumber(n: number, options: { quantity?: boolean } = {}): string[] {
  if (!Number.isInteger(n) || n < 0 || n > 9999) throw new RangeError(`cannot read ${n} aloud (0 to 9999)`);
  if (n === 0) return ['num-0'];
  if (n === 2 && options.quantity) return ['num-2-alone'];
  const out: string[] = [];
  const units: [number, string][] = [
    [1000, 'num-1000'],
    [100, 'num-100'],
    [10, 'num-10'],
  ];
  let rest = n;
  let zeroPending = false;
  for (const [value, unit] of units) {
    const d = Math.floor(rest / value);
    rest %= value;
    if (d > 0) {
      if (zeroPending) out.push('num-0');
      zeroPending = false;
      // 十二 rather than 一十二 when the number starts with the tens.
      if (!(value === 10 && d === 1 && out.length === 0)) out.push(`num-${d}`);
      out.push(unit);
    } else if (out.length > 0) {
      zeroPending = true;
    }
  }
  if (rest > 0) {
    if (zeroPending) out.push('num-0');
    out.push(`num-${rest}`);
  }
  return out;
}

/** Every fragment `sayNumber` may return (the manifest must have them all). */
export const NUMBER_FRAGMENTS: readonly string[] = [
  ...Array.from({ length: 10 }, (_, d) => `num-${d}`),
  'num-10',
  'num-100',
  'num-1000',
  'num-2-alone',
];

/** 幺: the digit 1 in a telephone number. */
export const PHONE_ONE = 'num-yao';

/** Every fragment `sayDigits` may return. */
export const DIGIT_FRAGMENTS: readonly string[] = Array.from({ length: 10 }, (_, d) =>
  d === 1 ? PHONE_ONE : `num-${d}`,
);

/** A telephone or hotline number digit by digit, 1 as 幺: "12345" → 幺 二 三 四 五. */
export function sayDigits(digits: string): string[] {
  if (!/^[0-9]+$/.test(digits)) throw new RangeError(`"${digits}" is not a string of digits`);
  return [...digits].map((d) => (d === '1' ? PHONE_ONE : `num-${d}`));
}

export const DATE_YEAR = 'date-year';
export const DATE_MONTH = 'date-month';
export const DATE_DAY = 'date-day';

/** Every fragment `sayDate` may return. */
export const DATE_FRAGMENTS: readonly string[] = [
  ...Array.from({ length: 10 }, (_, d) => `num-${d}`),
  'num-10',
  DATE_YEAR,
  DATE_MONTH,
  DATE_DAY,
];

/** A calendar date: 2021-10-01 → 二 零 二 一 年 十 月 一 日 (the year digit by digit, 1 as 一). */
export function sayDate(date: { year: number; month: number; day: number }): string[] {
  const { year, month, day } = date;
  if (!Number.isInteger(year) || year < 1000 || year > 9999) throw new RangeError(`cannot read year ${year}`);
  if (!Number.isInteger(month) || month < 1 || month > 12) throw new RangeError(`cannot read month ${month}`);
  if (!Number.isInteger(day) || day < 1 || day > 31) throw new RangeError(`cannot read day ${day}`);
  return [
    ...[...String(year)].map((d) => `num-${d}`),
    DATE_YEAR,
    ...sayNumber(month),
    DATE_MONTH,
    ...sayNumber(day),
    DATE_DAY,
  ];
}
