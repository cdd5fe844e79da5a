import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { PromptManifest } from '../../src/prompts/manifest.ts';
import { readAloud, readDate, readNumber, readPhoneNumber } from '../../src/prompts/reading.ts';
import { sayNumber } from '../../src/prompts/say-number.ts';

const root = join(import.meta.dirname, '../..');
const manifest = parse(readFileSync(join(root, 'ivr-prompts/manifest.yaml'), 'utf8')) as PromptManifest;
const texts = new Map(manifest.prompts.map((p) => [p.id, p.text]));

describe('reading a prompt text aloud', () => {
  it.each([
    ['11条热线', '十一条热线'],
    ['14条', '十四条'],
    ['这3条热线', '这三条热线'],
    ['2位', '两位'],
    ['还有2人', '还有两人'],
    ['3个月过渡期', '三个月过渡期'],
    ['约5分钟', '约五分钟'],
    ['20天', '二十天'],
    ['24小时', '二十四小时'],
  ])('reads a number before a measure word as a quantity: %s → %s', (text, read) => {
    expect(readAloud(text).text).toBe(read);
  });

  it.each([
    ['拨打12345', '拨打幺二三四五'],
    ['110、119、120或122', '幺幺零、幺幺九、幺二零或幺二二'],
    ['4420000', '四四二零零零零'],
    ['12313', '幺二三幺三'],
  ])('reads a telephone number digit by digit with 1 as 幺: %s → %s', (text, read) => {
    expect(readAloud(text).text).toBe(read);
  });

  it.each([
    ['2021年10月1日起', '二〇二一年十月一日起'],
    ['10月16日起', '十月十六日起'],
    ['7月底前', '七月底前'],
    ['2021年', '二〇二一年'],
    ['3月31日前', '三月三十一日前'],
  ])('reads a date as a date: %s → %s', (text, read) => {
    expect(readAloud(text).text).toBe(read);
  });

  it('reads a key or another short number as a number, not as a telephone digit', () => {
    expect(readAloud('非常满意请按5，不满意请按1，紧急请按0').text).toBe(
      '非常满意请按五，不满意请按一，紧急请按零',
    );
    expect(readAloud('请按10').text).toBe('请按十');
  });

  it('says which kind each number of a text was read as', () => {
    expect(readAloud('12396等11条热线于2021年10月1日停用，请按1').parts).toEqual([
      { written: '12396', kind: 'phone', read: '幺二三九六' },
      { written: '11', kind: 'quantity', read: '十一' },
      { written: '2021年10月1日', kind: 'date', read: '二〇二一年十月一日' },
      { written: '1', kind: 'number', read: '一' },
    ]);
  });

  it('reads the Puyang knowledge-base answer with quantities as numbers and hotlines digit by digit', () => {
    const read = readAloud(texts.get('kb-puyang-merged-hotlines')!);
    expect(read.text).toContain('幺二三九六科技服务热线等十一条热线');
    expect(read.text).toContain('经过三个月过渡期');
    expect(read.text).toContain('幺二三四八、幺二三三三等十四条热线');
    expect(read.text).toContain('幺二三六六、幺二三幺三、幺二三六七这三条热线');
    expect(read.text).not.toContain('一一条');
  });

  it('leaves no digit in any shipped text', () => {
    for (const [id, text] of texts) {
      if (text !== undefined) expect(readAloud(text).text, id).not.toMatch(/[0-9]/);
    }
  });

  it('reads whole numbers as the read-out fragments of the manifest say them', () => {
    for (let n = 0; n <= 9999; n += n < 200 ? 1 : 37) {
      for (const quantity of [false, true]) {
        const fragments = sayNumber(n, { quantity })
          .map((id) => texts.get(id))
          .join('');
        expect(fragments, `${n}`).toBe(readNumber(n, { quantity }));
      }
    }
  });

  it('has a reading per kind for callers of the plans', () => {
    expect(readPhoneNumber('12345')).toBe('幺二三四五');
    expect(readDate({ year: 2021, month: 11, day: 1 })).toBe('二〇二一年十一月一日');
    expect(readNumber(105)).toBe('一百零五');
    expect(() => readNumber(10000)).toThrow(RangeError);
  });
});
