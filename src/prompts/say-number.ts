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
