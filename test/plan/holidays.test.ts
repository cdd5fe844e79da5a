import { basename, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { validateCommand } from '../../src/cli/validate.ts';
import { explain } from '../../src/plan/explain.ts';
import { hasNotice, noticeDays, statutoryDays } from '../../src/plan/holidays.ts';
import { loadPlan } from '../../src/plan/load.ts';
import { RulesInvalidError } from '../../src/plan/problems.ts';
import { parseInstant } from '../../src/plan/zoned-time.ts';
import { minimalPlan, removePlan, writePlan } from '../support/rules-fixture.ts';

const root = join(import.meta.dirname, '../..');
const at = (iso: string) => parseInstant(iso, 'Asia/Shanghai')!;
const { plan } = loadPlan(join(root, 'routing-rules'), { now: at('2026-11-30T12:00') });
const run = (number: string, iso: string) => explain(plan, { number, atMs: at(iso) });

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) removePlan(d);
});

/** A plan with an office-hours expert seat whose hours use the given calendar section. */
function calendarPlan(calendars: string): string {
  const center = minimalPlan['center.yaml']!.replace(
    'pools:\n  - id: general\n    name: 综合\n',
    `pools:
  - id: general
    name: 综合
experts:
  - id: legal
    name: 法律专家座席
    department: 司法厅
    number: "12348"
    hours: office
    closed: { goto: "pool:general" }
schedules:
  - id: office
    weekly:
      mon: ["09:00-17:00"]
      tue: ["09:00-17:00"]
      wed: ["09:00-17:00"]
      thu: ["09:00-17:00"]
      fri: ["09:00-17:00"]
    calendar: cn
${calendars}`,
  );
  const lines = `${minimalPlan['lines.yaml']!}  - id: legal
    number: "12348"
    name: 法律服务
    mode: dual-number
    department: 司法厅
    topic: legal
    route: { goto: "expert:*" }
`;
  const dir = writePlan({ 'center.yaml': center, 'lines.yaml': lines });
  dirs.push(dir);
  return dir;
}

function validate(dir: string, iso: string): { code: number; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  const code = validateCommand(['--rules', dir], { out: (t) => out.push(t), err: (t) => err.push(t) }, () =>
    at(iso),
  );
  return { code, out, err };
}

const national = `calendars:
  - id: cn
    kind: national
`;

describe('holidays of every year', () => {
  it('sends 12348 on National Day 2026 to the general pool, closed by the 2026 notice', () => {
    const r = run('12348', '2026-10-01T10:00');
    expect(r.target).toEqual({ kind: 'pool', id: 'general' });
    expect(r.reasons).toContain(
      '2026-10-01 is a day off (国庆节) by the State Council notice (国务院办公厅关于2026年部分节假日安排的通知)',
    );
    expect(r.reasons).toContain('expert "legal" is closed now (hours "office-hours")');
  });

  it('sends 12333 on 3 October 2022 to the general pool, not to the social-security experts', () => {
    const r = run('12333', '2022-10-03T10:00');
    expect(r.target).toEqual({ kind: 'pool', id: 'general' });
    expect(r.reasons.some((x) => x.includes('国务院办公厅关于2022年部分节假日安排的通知'))).toBe(true);
  });

  it('opens the expert seats on the make-up workday Saturday 10 October 2026', () => {
    const r = run('12348', '2026-10-10T10:00');
    expect(r.target).toEqual({ kind: 'expert', id: 'legal' });
    expect(r.reasons).toContain(
      '2026-10-10 is a working day (国庆节调休上班) by the State Council notice (国务院办公厅关于2026年部分节假日安排的通知)',
    );
  });

  it('keeps an ordinary Sunday closed and an ordinary Monday open', () => {
    expect(run('12348', '2026-10-11T10:00').target).toEqual({ kind: 'pool', id: 'general' });
    expect(run('12348', '2026-10-12T10:00').target).toEqual({ kind: 'expert', id: 'legal' });
  });

  it('closes Spring Festival 2027 by the statutory days, marked provisional', () => {
    const r = run('12348', '2027-02-06T10:00');
    expect(r.target).toEqual({ kind: 'pool', id: 'general' });
    expect(r.reasons[2]).toMatch(
      /^2027-02-06 is a day off \(春节\) by the statutory holidays only, provisional/,
    );
    expect(run('12348', '2027-02-09T10:00').target).toEqual({ kind: 'expert', id: 'legal' });
  });

  it('gives 2021 the days of the 2021 notice that the rules used to list by hand', () => {
    const days = noticeDays(2021)!;
    const off = [...days.values()].filter((d) => d.off).map((d) => d.date);
    const on = [...days.values()].filter((d) => !d.off).map((d) => d.date);
    expect(off).toHaveLength(3 + 7 + 3 + 5 + 3 + 3 + 7);
    expect(off).toContain('2021-02-17');
    expect(off).toContain('2021-10-07');
    expect(on.sort()).toEqual([
      '2021-02-07',
      '2021-02-20',
      '2021-04-25',
      '2021-05-08',
      '2021-09-18',
      '2021-09-26',
      '2021-10-09',
    ]);
  });

  it('knows the notices of 2004 to 2026 and none for 2027', () => {
    for (let y = 2004; y <= 2026; y++) expect(hasNotice(y), String(y)).toBe(true);
    expect(hasNotice(2027)).toBe(false);
  });

  it('computes the statutory days off of 2027 from the lunar calendar and the solar terms', () => {
    expect([...statutoryDays(2027).keys()]).toEqual([
      '2027-01-01',
      '2027-02-05', // 除夕
      '2027-02-06',
      '2027-02-07',
      '2027-02-08', // 正月初三
      '2027-04-05', // 清明
      '2027-05-01',
      '2027-05-02',
      '2027-06-09', // 端午
      '2027-09-15', // 中秋
      '2027-10-01',
      '2027-10-02',
      '2027-10-03',
    ]);
    expect([...statutoryDays(2027).values()].every((d) => d.off && d.source === 'statutory')).toBe(true);
  });

  it('lets a local day off and a local workday override the notice, and says so', () => {
    const dir = calendarPlan(`${national}    holidays:
      - { from: 2026-10-12, to: 2026-10-12, name: 地方纪念日, note: 市政府通知 }
    workdays:
      - { date: 2026-10-05, name: 值班, note: 中心值班安排 }
`);
    const local = loadPlan(dir, { now: at('2026-06-01T00:00') }).plan;
    const closed = explain(local, { number: '12348', atMs: at('2026-10-12T10:00') });
    expect(closed.target).toEqual({ kind: 'pool', id: 'general' });
    expect(closed.reasons).toContain('2026-10-12 is a day off (地方纪念日) by a local rule (市政府通知)');
    const open = explain(local, { number: '12348', atMs: at('2026-10-05T10:00') });
    expect(open.target).toEqual({ kind: 'expert', id: 'legal' });
    expect(open.reasons).toContain('2026-10-05 is a working day (值班) by a local rule (中心值班安排)');
  });
});

describe('validate and holiday data for this year and the next', () => {
  it('passes the shipped rules in November 2026: 2027 is accepted as provisional', () => {
    const r = validate(join(root, 'routing-rules'), '2026-11-30T12:00');
    expect(r.code).toBe(0);
    expect(r.err.join('\n')).not.toMatch(/holiday|notice/);
  });

  it('checks the shipped rules as of --today: in December 2027 they do not know 2028', () => {
    const out: string[] = [];
    const code = validateCommand(
      ['--rules', join(root, 'routing-rules'), '--today', '2027-12-01'],
      { out: (t) => out.push(t), err: () => {} },
      () => at('2026-11-30T12:00'),
    );
    expect(code).toBe(1);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(
      /^routing-rules\/center\.yaml:calendars\[0\]\.provisionalYears: calendar "cn" has no State Council notice for 2028/,
    );
  });

  it('fails when next year has no notice and is not accepted, naming the calendar and the schedule', () => {
    const dir = calendarPlan(national);
    const r = validate(dir, '2026-11-30T12:00');
    expect(r.code).toBe(1);
    expect(r.out).toHaveLength(1);
    expect(r.out[0]).toMatch(
      /center\.yaml:calendars\[0\]\.provisionalYears: calendar "cn" has no State Council notice for 2027/,
    );
    expect(r.out[0]).toContain('center.yaml:schedules[0].calendar: schedule "office"');
  });

  it('fails for both years when the current year has no notice either', () => {
    const dir = calendarPlan(`${national}    provisionalYears: [{ year: 2027, note: 待通知 }]\n`);
    const r = validate(dir, '2028-01-01T08:00');
    expect(r.code).toBe(1);
    expect(r.out.map((l) => l.match(/for (\d{4})/)?.[1])).toEqual(['2028', '2029']);
  });

  it('still loads those rules for the engine, with a warning, so a center starts on 1 January', () => {
    const dir = calendarPlan(national);
    const loaded = loadPlan(dir, { now: at('2027-01-01T00:00:30') });
    expect(loaded.warnings.filter((w) => w.failsValidate).map((w) => w.path)).toEqual([
      'calendars[0].provisionalYears',
      'calendars[0].provisionalYears',
    ]);
    const r = explain(loaded.plan, { number: '12348', atMs: at('2027-01-01T10:00') });
    expect(r.target).toEqual({ kind: 'pool', id: 'general' });
  });

  it('warns that a provisional year whose notice is in the data can go', () => {
    const dir = calendarPlan(`${national}    provisionalYears: [{ year: 2026, note: 待通知 }]\n`);
    const { warnings } = loadPlan(dir, { now: at('2026-03-01T00:00') });
    expect(warnings.map((w) => `${w.path}: ${w.message}`)).toContain(
      'calendars[0].provisionalYears[0]: the State Council notice of 2026 is in the holiday data now; 2026 is no longer provisional, remove it',
    );
  });

  it('rejects a local calendar without years and local entries of a national calendar without a note', () => {
    const dir = calendarPlan(`${national}    workdays: [2026-10-05]
  - id: own
    holidays: [{ from: 2026-01-01, to: 2026-01-01, name: 元旦 }]
`);
    let problems: string[] = [];
    try {
      loadPlan(dir, { now: at('2026-03-01T00:00') });
    } catch (err) {
      expect(err).toBeInstanceOf(RulesInvalidError);
      problems = (err as RulesInvalidError).problems.map(
        (p) => `${basename(p.file)}:${p.path}: ${p.message}`,
      );
    }
    expect(problems).toEqual([
      'center.yaml:calendars[0].workdays[0]: a local workday on a national calendar needs a "note" saying where it comes from',
      'center.yaml:calendars[1].years: a local calendar lists the years it covers ("years: [2026]")',
    ]);
  });
});
