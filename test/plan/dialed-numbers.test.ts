import { basename, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startCall } from '../../src/calls/core/session.ts';
import { normalizeDialed } from '../../src/plan/dialed.ts';
import { explain } from '../../src/plan/explain.ts';
import { loadPlan } from '../../src/plan/load.ts';
import { RulesInvalidError, UnknownNumberError } from '../../src/plan/problems.ts';
import { parseInstant } from '../../src/plan/zoned-time.ts';
import { minimalPlan, removePlan, writePlan } from '../support/rules-fixture.ts';

const root = join(import.meta.dirname, '../..');
const at = (iso: string) => parseInstant(iso, 'Asia/Shanghai')!;
const now = at('2026-11-30T10:00');
const puyang = loadPlan(join(root, 'routing-rules/examples/puyang'), { now }).plan;
const sichuan = loadPlan(join(root, 'routing-rules'), { now }).plan;

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) removePlan(d);
});

describe('numbers as people dial them', () => {
  it.each([
    ['4420000', '4420000', []],
    ['03934420000', '4420000', ['area code 0393 removed']],
    ['0393-4420000', '4420000', ['separators removed', 'area code 0393 removed']],
    [
      '+86 393 4420000',
      '4420000',
      ['separators removed', 'country code +86 removed', 'area code 0393 removed'],
    ],
    ['00863934420000', '4420000', ['country code 0086 removed', 'area code 0393 removed']],
    ['0393-12345', '12345', ['separators removed', 'area code 0393 removed']],
    ['12345', '12345', []],
    ['+8613800138000', '13800138000', ['country code +86 removed']],
    ['+86 10 12345678', '01012345678', ['separators removed', 'country code +86 removed']],
    ['03954420000', '03954420000', []],
    ['039312', '039312', []],
  ])('reads %s as %s', (dialed, number, steps) => {
    expect(normalizeDialed(dialed, ['0393'])).toEqual({ number, steps });
  });

  it("keeps another center's area code: a number there is not Puyang's", () => {
    expect(() => explain(puyang, { number: '0395-4420000', atMs: now })).toThrow(UnknownNumberError);
  });

  it('explains 0393-4420000 as the 4420000 line and says how the number was read', () => {
    const r = explain(puyang, { number: '0393-4420000', atMs: now });
    expect(r.line.id).toBe('l4420000');
    expect(r.target).toEqual(explain(puyang, { number: '4420000', atMs: now }).target);
    expect(r.reasons[0]).toBe('dialed 0393-4420000 → 4420000 (separators removed, area code 0393 removed)');
  });

  it('answers 03934420000 at run time on the 4420000 line, not as an unknown number on 12345', () => {
    const { state } = startCall(
      {
        id: 'c1',
        app: 'hotline',
        callerChannel: 'c1',
        dialed: '03934420000',
        callerNumber: '13800138000',
        callerName: '',
      },
      puyang,
      now,
    );
    expect(state.line.id).toBe('l4420000');
  });

  it('leaves a plan without an area code to separators and the country code', () => {
    const r = explain(sichuan, { number: '+86 12345', atMs: now });
    expect(r.line.mode).toBe('main');
    expect(() => explain(sichuan, { number: '028-12345', atMs: now })).toThrow(UnknownNumberError);
  });

  it('rejects a line number written with the area code, which no dialed number would match', () => {
    const center = minimalPlan['center.yaml']!.replace(
      'timezone: Asia/Shanghai\n',
      'timezone: Asia/Shanghai\n  areaCode: "0393"\n',
    );
    const lines = minimalPlan['lines.yaml']!.replace('number: "12396"', 'number: "03934420000"');
    const dir = writePlan({ 'center.yaml': center, 'lines.yaml': lines });
    dirs.push(dir);
    let problems: string[] = [];
    try {
      loadPlan(dir, { now });
    } catch (err) {
      expect(err).toBeInstanceOf(RulesInvalidError);
      problems = (err as RulesInvalidError).problems.map(
        (p) => `${basename(p.file)}:${p.path}: ${p.message}`,
      );
    }
    expect(problems).toEqual([
      'lines.yaml:lines[1].number: write the number as dialed locally, "4420000" (area code 0393 removed before matching)',
    ]);
  });
});
