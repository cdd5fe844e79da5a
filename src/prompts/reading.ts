/**
 * How a prompt's text is read aloud: every run of Arabic digits is written out in Chinese
 * characters by what the number is, so that the speech engine (and a person recording the
 * prompt) reads it as a caller expects to hear it. Pure; used by `scripts/render-prompts.ts`.
 *
 * The rules, in the order they are tried on each run of digits:
 * - a date: `2021年10月1日` → 二〇二一年十月一日 (the year digit by digit, month and day as numbers),
 *   also `10月1日`, `10月` and a four-digit `2021年`;
 * - a quantity: a number followed by a measure word (条、个、位、人、天、分钟、小时…) is a
 *   number: 11条 → 十一条, 2位 → 两位, 3个月 → 三个月;
 * - a telephone or hotline number (three digits or more): digit by digit, 1 as 幺 and 0 as 零:
 *   12345 → 幺二三四五, 110 → 幺幺零;
 * - a key or other short number (one or two digits): as a number, 请按1 → 请按一, 10 → 十.
 */

const NUMERALS = ['零', '一', '二', '三', '四', '五', '六', '七', '八', '九'] as const;
/** Telephone digits: 1 is 幺 so that it is not heard as 七. */
const PHONE_DIGITS = ['零', '幺', '二', '三', '四', '五', '六', '七', '八', '九'] as const;
/** Year digits: 二〇二一. */
const YEAR_DIGITS = ['〇', '一', '二', '三', '四', '五', '六', '七', '八', '九'] as const;

/**
 * Measure words after which a number counts something. 月 and 日 are not among them (2月 is a
 * month, not two months; "两个月" is written with 个); 年 after four digits is a year.
 */
export const MEASURE_WORDS = [
  '分钟',
  '小时',
  '秒',
  '条',
  '个',
  '位',
  '人',
  '名',
  '天',
  '周',
  '次',
  '项',
  '家',
  '种',
  '件',
  '岁',
  '元',
  '年',
] as const;

/** A whole number 0–9999 in Chinese: 12 → 十二, 105 → 一百零五; `quantity`: 2 alone → 两. */
export function readNumber(n: number, options: { quantity?: boolean } = {}): string {
  if (!Number.isInteger(n) || n < 0 || n > 9999)
    throw new RangeError(`cannot read ${n} as a number (0 to 9999)`);
  if (n === 0) return '零';
  if (n === 2 && options.quantity) return '两';
  const units: [number, string][] = [
    [1000, '千'],
    [100, '百'],
    [10, '十'],
  ];
  let out = '';
  let rest = n;
  let zeroPending = false;
  for (const [value, unit] of units) {
    const d = Math.floor(rest / value);
    rest %= value;
    if (d > 0) {
      if (zeroPending) out += '零';
      zeroPending = false;
      // 十二 rather than 一十二 when the number starts with the tens.
      if (!(value === 10 && d === 1 && out === '')) out += NUMERALS[d];
      out += unit;
    } else if (out !== '') {
      zeroPending = true;
    }
  }
  if (rest > 0) out += (zeroPending ? '零' : '') + NUMERALS[rest];
  return out;
}

/** A telephone or hotline number digit by digit, 1 as 幺: 12345 → 幺二三四五. */
export function readPhoneNumber(digits: string): string {
  if (!/^[0-9]+$/.test(digits)) throw new RangeError(`"${digits}" is not a string of digits`);
  return [...digits].map((d) => PHONE_DIGITS[Number(d)]).join('');
}

/** A year digit by digit: 2021 → 二〇二一. */
export function readYear(year: number | string): string {
  const digits = String(year);
  if (!/^[0-9]{1,4}$/.test(digits)) throw new RangeError(`"${digits}" is not a year`);
  return [...digits].map((d) => YEAR_DIGITS[Number(d)]).join('');
}

/** A calendar date: 2021-10-01 → 二〇二一年十月一日. */
export function readDate(date: { year: number; month: number; day: number }): string {
  return `${readYear(date.year)}年${readNumber(date.month)}月${readNumber(date.day)}日`;
}

const measure = MEASURE_WORDS.join('|');
/** Dates first (a year of four digits, a month, a day), then quantities, then any other digits. */
const TOKEN = new RegExp(
  [
    '(?<year>\\d{4})年(?:(?<ym>\\d{1,2})月(?:(?<yd>\\d{1,2})日)?)?',
    '(?<month>\\d{1,2})月(?:(?<day>\\d{1,2})[日号])?',
    `(?<quantity>\\d{1,4})(?=${measure})`,
    '(?<digits>\\d+)',
  ].join('|'),
  'g',
);

/** The kind of reading each run of digits got, for tests and the renderer's report. */
export type ReadingKind = 'date' | 'quantity' | 'phone' | 'number';

export interface Reading {
  /** The text with every digit written out in Chinese characters. */
  text: string;
  /** Each run of digits as written, with the kind it was read as. */
  parts: { written: string; kind: ReadingKind; read: string }[];
}

/** Writes out every number of a prompt text as it is read aloud (see the rules at the top). */
export function readAloud(text: string): Reading {
  const parts: Reading['parts'] = [];
  const out = text.replace(TOKEN, (written, ...args) => {
    const g = args.at(-1) as Record<string, string | undefined>;
    let read: string;
    let kind: ReadingKind;
    if (g.year !== undefined) {
      kind = 'date';
      read = `${readYear(g.year)}年`;
      if (g.ym !== undefined) read += `${readNumber(Number(g.ym))}月`;
      if (g.yd !== undefined) read += `${readNumber(Number(g.yd))}日`;
    } else if (g.month !== undefined) {
      kind = 'date';
      read = `${readNumber(Number(g.month))}月`;
      if (g.day !== undefined) read += `${readNumber(Number(g.day))}${written.endsWith('号') ? '号' : '日'}`;
    } else if (g.quantity !== undefined) {
      kind = 'quantity';
      read = readNumber(Number(g.quantity), { quantity: true });
    } else {
      const digits = g.digits ?? '';
      kind = digits.length >= 3 ? 'phone' : 'number';
      read = kind === 'phone' ? readPhoneNumber(digits) : readNumber(Number(digits));
    }
    parts.push({ written, kind, read });
    return read;
  });
  return { text: out, parts };
}
