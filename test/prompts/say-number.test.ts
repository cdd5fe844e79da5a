import { describe, expect, it } from 'vitest';
import { sayNumber } from '../../src/prompts/say-number.ts';

const spoken = (n: number, quantity = false) =>
  sayNumber(n, { quantity })
    .map(
      (id) =>
        ({ 'num-10': '十', 'num-100': '百', 'num-1000': '千', 'num-2-alone': '两' })[id] ??
        '零一二三四五六七八九'[Number(id.slice(4))],
    )
    .join('');

describe('reading numbers aloud', () => {
  it.each([
    [0, '零'],
    [7, '七'],
    [10, '十'],
    [12, '十二'],
    [20, '二十'],
    [105, '一百零五'],
    [110, '一百一十'],
    [1005, '一千零五'],
    [2021, '二千零二十一'],
  ])('reads %i as %s', (n, text) => {
    expect(spoken(n)).toBe(text);
  });

  it('says 两 for a quantity of two', () => {
    expect(spoken(2, true)).toBe('两');
    expect(spoken(2)).toBe('二');
  });

  it('refuses numbers it cannot read', () => {
    expect(() => sayNumber(-1)).toThrow(RangeError);
    expect(() => sayNumber(1.5)).toThrow(RangeError);
  });
});
