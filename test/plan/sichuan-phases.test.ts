import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { explain } from '../../src/plan/explain.ts';
import { loadPlan } from '../../src/plan/load.ts';
import { isOpen } from '../../src/plan/schedule.ts';
import { parseInstant } from '../../src/plan/zoned-time.ts';
import { copyPlan, removePlan } from '../support/rules-fixture.ts';

const root = join(import.meta.dirname, '../..');
const { plan } = loadPlan(join(root, 'routing-rules'));
const at = (iso: string) => parseInstant(iso, 'Asia/Shanghai')!;
const run = (number: string, iso: string) => explain(plan, { number, atMs: at(iso) });

const nationalWholeMerge = [
  '12396',
  '12300',
  '12349',
  '12336',
  '12312',
  '12301',
  '12356',
  '96119',
  '12330',
  '12331',
  '12358',
  '12365',
  '12322',
];
const dualNumber = [
  '12348',
  '12333',
  '12369',
  '12319',
  '12329',
  '12328',
  '12316',
  '12318',
  '12320',
  '12350',
  '12315',
  '12393',
  '12317',
  '12385',
];
const withExperts: Record<string, string> = {
  '12348': 'legal',
  '12333': 'hr-social-security',
  '12329': 'housing-fund',
  '12316': 'agriculture',
  '12320': 'public-health',
};
const subcenters: Record<string, string> = {
  '12360': 'customs',
  '12366': 'tax',
  '12313': 'tobacco',
  '12367': 'immigration',
  '12305': 'postal',
};

describe('the Sichuan plan (川办发〔2021〕15号 attachment)', () => {
  it('has every number of the attachment and 12345, each once', () => {
    const numbers = [...plan.linesByNumber.keys()].sort();
    expect(numbers).toEqual(
      ['12345', ...nationalWholeMerge, ...dualNumber, ...Object.keys(subcenters)].sort(),
    );
    expect(plan.lines.get('l12396')?.department).toBe('科技厅');
    expect(plan.lines.get('l12305')?.department).toBe('省邮政管理局');
  });

  it('answers 12345 itself with no menu, straight to the 12345 agents', () => {
    const r = run('12345', '2026-11-24T10:00');
    expect(r.phase).toEqual({ id: 'default', kind: 'active' });
    expect(r.menus).toEqual([]);
    expect(r.prompts).toEqual(['welcome-12345']);
    expect(r.target).toEqual({ kind: 'pool', id: 'general' });
  });

  describe.each(nationalWholeMerge)('whole-merge national line %s', (number) => {
    it('is before the merge until the end of 31 May 2021', () => {
      const r = run(number, '2021-05-31T23:59:59');
      expect(r.phase.kind).toBe('before-merge');
      expect(r.prompts).toEqual([]);
      expect(r.target).toEqual({ kind: 'pool', id: 'general' });
    });
    it('plays the transition prompt from 1 June to 30 September 2021 (dual answering)', () => {
      for (const iso of ['2021-06-01T00:00:00', '2021-09-30T23:59:59']) {
        const r = run(number, iso);
        expect(r.phase).toMatchObject({ id: 'transition', kind: 'transition' });
        expect(r.prompts).toEqual(['transition-whole-merge']);
        expect(r.target).toEqual({ kind: 'pool', id: 'general' });
      }
    });
    it('is deregistered from 1 October 2021 and still offered 12345 service', () => {
      const r = run(number, '2021-10-01T00:00:00');
      expect(r.phase).toMatchObject({ id: 'deregistered', kind: 'deregistered' });
      expect(r.prompts).toEqual(['deregistered-notice', 'welcome-12345']);
      expect(r.target).toEqual({ kind: 'pool', id: 'general' });
    });
  });

  describe.each(dualNumber)('dual-number line %s', (number) => {
    it('is before the merge until the end of 15 October 2021', () => {
      expect(run(number, '2021-10-15T23:59:59').phase.kind).toBe('before-merge');
    });
    it("is answered by the department's own line, not the 12345 agents, until 15 October 2021", () => {
      const r = run(number, '2021-10-15T23:59:59');
      const own = plan.departments.get(r.target.id);
      expect(r.target.kind).toBe('department');
      expect(own?.number).toBe(number);
      // The department keeps the number until this clause; its dial string is a local setting.
      expect(own?.source).toBe('10月16日起，实现所有号码向12345热线转接');
      expect(r.provenance.find((p) => p.decision === 'dial')?.basis).toBe('local');
    });
    it('is transferred to 12345 from 16 October 2021, experts where the national list sets them', () => {
      const r = run(number, '2021-10-18T10:00:00'); // a Monday, inside office hours
      expect(r.phase).toMatchObject({ id: 'merged', kind: 'merged' });
      const expert = withExperts[number];
      expect(r.target).toEqual(expert ? { kind: 'expert', id: expert } : { kind: 'pool', id: 'general' });
    });
  });

  // 附件二: 10月15日前…人员划转、专家座席设立; 10月16日起，实现所有号码向12345热线转接.
  it.each([
    ['12333', 'hr-social-security', { kind: 'pool', id: 'general' }],
    ['12315', 'market-regulation', { kind: 'pool', id: 'general' }],
    ['12348', 'legal', { kind: 'pool', id: 'general' }],
    ['12369', 'environment', { kind: 'pool', id: 'general' }],
  ])(
    'puts %s through to its department (%s) at the last second before 16 October 2021, to 12345 from midnight',
    (number, department, after) => {
      expect(run(number, '2021-10-15T23:59:59').target).toEqual({ kind: 'department', id: department });
      // Midnight of a Saturday: expert seats are closed, so 12348 and 12333 reach the 12345 agents too.
      expect(run(number, '2021-10-16T00:00:00').target).toEqual(after);
    },
  );

  it("keeps 12348 with the department's own line through the whole-merge transition window", () => {
    for (const iso of ['2021-06-01T00:00:00', '2021-08-15T10:00:00', '2021-09-30T23:59:59']) {
      const r = run('12348', iso);
      expect(r.phase.kind).toBe('before-merge');
      expect(r.target).toEqual({ kind: 'department', id: 'legal' });
    }
  });

  describe.each(Object.entries(subcenters))('sub-center line %s', (number, id) => {
    it('goes to its own sub-center before and after it is linked to 12345 on 1 April 2021 (never merged)', () => {
      const before = run(number, '2021-03-31T23:59:59');
      const after = run(number, '2021-04-01T00:00:00');
      expect(before.phase.kind).toBe('before-merge');
      expect(after.phase).toMatchObject({ id: 'subcenter', kind: 'linked' });
      expect(before.target).toEqual({ kind: 'subcenter', id });
      expect(after.target).toEqual({ kind: 'subcenter', id });
    });
  });

  it('evaluates boundaries in Asia/Shanghai, whatever the offset of the instant given', () => {
    // 2021-05-31T16:00Z is midnight of 1 June in Shanghai.
    expect(explain(plan, { number: '12396', atMs: Date.parse('2021-05-31T15:59:59Z') }).phase.kind).toBe(
      'before-merge',
    );
    expect(explain(plan, { number: '12396', atMs: Date.parse('2021-05-31T16:00:00Z') }).phase.kind).toBe(
      'transition',
    );
  });

  it('sends expert-seat calls to the 12345 agents outside office hours and on holidays', () => {
    const evening = run('12348', '2021-10-18T19:00:00');
    expect(evening.prompts).toEqual(['expert-closed']);
    expect(evening.target).toEqual({ kind: 'pool', id: 'general' });
    // 2021-10-24 is a Sunday: closed.
    expect(run('12348', '2021-10-24T10:00:00').target).toEqual({ kind: 'pool', id: 'general' });
  });

  it('opens office hours on make-up workdays and closes them on public holidays', () => {
    const hours = plan.schedules.get('office-hours')!;
    expect(isOpen(hours, at('2021-10-09T10:00'), 'Asia/Shanghai')).toBe(true); // Saturday, make-up workday
    expect(isOpen(hours, at('2021-10-04T10:00'), 'Asia/Shanghai')).toBe(false); // Monday, National Day
    expect(isOpen(hours, at('2021-10-11T12:30'), 'Asia/Shanghai')).toBe(false); // lunch break
    expect(isOpen(hours, at('2021-10-11T16:59'), 'Asia/Shanghai')).toBe(true);
  });

  it('keeps the dialed line topic as the preferred skill of a deregistered number', () => {
    const r = run('12358', '2022-01-05T10:00:00');
    expect(r.reasons.some((x) => x.includes('preferring skill "price"'))).toBe(true);
  });

  it('gives calls handed over by an emergency line a higher priority', () => {
    const r = explain(plan, { number: '12345', atMs: at('2026-11-24T10:00'), caller: '110' });
    expect(r.reasons.some((x) => x.includes('priority 8'))).toBe(true);
  });
});

describe('the provincial self-established group of the Sichuan attachment', () => {
  const dir = copyPlan(join(root, 'routing-rules'), join(root, 'ivr-prompts'));
  appendFileSync(
    join(dir, 'lines.yaml'),
    '  - { id: local-line, number: "96000", name: 省内自设热线, department: 某厅, topic: local, group: provincial-whole-merge }\n',
  );
  const local = loadPlan(dir).plan;
  afterAll(() => removePlan(join(dir, '..')));
  const phase = (iso: string) => explain(local, { number: '96000', atMs: at(iso) }).phase.kind;

  it('merges agents by 30 April, transitions 1 May–31 July and deregisters from 1 August 2021', () => {
    expect(phase('2021-04-30T23:59:59')).toBe('before-merge');
    expect(phase('2021-05-01T00:00:00')).toBe('transition');
    expect(phase('2021-07-31T23:59:59')).toBe('transition');
    expect(phase('2021-08-01T00:00:00')).toBe('deregistered');
  });
});
