import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { explain } from '../../src/plan/explain.ts';
import { loadPlan } from '../../src/plan/load.ts';
import type { RulesInvalidError } from '../../src/plan/problems.ts';
import { unmarkedEntries } from '../../src/plan/provenance.ts';
import { parseInstant } from '../../src/plan/zoned-time.ts';

const root = join(import.meta.dirname, '../..');
const now = parseInstant('2026-11-24T10:00', 'Asia/Shanghai')!;
const load = (dir: string) => loadPlan(join(root, dir), { now }).plan;
const sichuan = load('routing-rules');
const puyang = load('routing-rules/examples/puyang');
const jilin = load('routing-rules/examples/jilin');
const at = (iso: string) => parseInstant(iso, 'Asia/Shanghai')!;

const item = (r: ReturnType<typeof explain>, decision: string) =>
  r.provenance.filter((p) => p.decision === decision);

describe('provenance in explain', () => {
  it('quotes the clause that keeps a Sichuan dual-number line with its department before 16 October, and marks the dial string local', () => {
    const r = explain(sichuan, { number: '12333', atMs: at('2021-10-15T23:59:59') });
    expect(r.target).toEqual({ kind: 'department', id: 'hr-social-security' });
    expect(item(r, 'target')[0]).toMatchObject({
      basis: 'document',
      document: '川办发〔2021〕15号',
      clause: '10月16日起，实现所有号码向12345热线转接',
    });
    expect(item(r, 'dial')[0]).toMatchObject({
      basis: 'local',
      value: 'PJSIP/12333@dept-hr-social-security',
    });
    expect(item(r, 'phase')[0]?.clause).toContain('10月16日起，实现所有号码向12345热线转接');
  });

  it('gives the transition window of a Sichuan whole-merge line from the attachment, and its queue timings and priority as local settings', () => {
    const r = explain(sichuan, { number: '12396', atMs: at('2021-07-01') });
    expect(r.phase).toMatchObject({ from: '2021-06-01T00:00:00+08:00', until: '2021-10-01T00:00:00+08:00' });
    expect(item(r, 'dates')[0]).toMatchObject({
      basis: 'document',
      clause: expect.stringContaining('6月1日—9月30日为过渡期'),
    });
    expect(item(r, 'prompts')[0]).toMatchObject({ value: 'transition-whole-merge', basis: 'document' });
    expect(item(r, 'queue')[0]).toMatchObject({ rule: 'pool:general', basis: 'local' });
    expect(item(r, 'priority')[0]).toMatchObject({
      value: "priority 5 (the center's default)",
      basis: 'local',
    });
    expect(
      r.reasons.some((x) => x.startsWith('source of dates') && x.includes('“6月1日—9月30日为过渡期')),
    ).toBe(true);
  });

  it("marks Puyang's transition dates local (read from the plan, not written in it) while the phase quotes 设置3个月的过渡期", () => {
    const r = explain(puyang, { number: '12355', atMs: at('2021-09-01') });
    expect(item(r, 'phase')[0]).toMatchObject({
      basis: 'document',
      clause: expect.stringContaining('设置3个月的过渡期'),
    });
    const dates = item(r, 'dates')[0]!;
    expect(dates.basis).toBe('local');
    expect(dates.reason).toContain('7月底前');
    expect(r.reasons).toContain(
      `source of dates ${dates.value} [group:whole-merge#transition]: local setting (${dates.reason})`,
    );
  });

  it('says the priority of a call handed over by 110 is a local setting', () => {
    const r = explain(puyang, { number: '12345', atMs: now, caller: '110' });
    expect(item(r, 'priority')[0]).toMatchObject({
      value: 'priority 8',
      rule: 'callerClass:emergency-handover',
      basis: 'local',
    });
  });

  it("quotes Jilin's shared-number navigation, its transfer to the province, and marks Changchun's department local", () => {
    const r = explain(jilin, { number: '12345', atMs: now, digits: '2' });
    expect(r.target).toEqual({ kind: 'center', id: 'jilin-province' });
    expect(item(r, 'menu')[0]?.clause).toBe(
      '省级和长春市共用12345热线号码，受理层级通过语音导航方式进行区分',
    );
    expect(item(r, 'target')[0]).toMatchObject({
      basis: 'document',
      clause: '涉及省级诉求转接至省级12345热线',
    });
    expect(item(r, 'dial')[0]?.basis).toBe('local');
    const dept = item(r, 'line').find((p) => p.value.startsWith('department'))!;
    expect(dept.basis).toBe('local');
  });

  it('leaves nothing unmarked in the three shipped plans', () => {
    expect(unmarkedEntries(sichuan)).toEqual([]);
    expect(unmarkedEntries(puyang)).toEqual([]);
    expect(unmarkedEntries(jilin)).toEqual([]);
  });

  it('finds every decision of every line of the shipped plans marked, today and in each phase', () => {
    for (const plan of [sichuan, puyang, jilin]) {
      for (const line of plan.lines.values()) {
        const instants = [
          now,
          ...line.phases.map((p) => (Number.isFinite(p.fromMs) ? p.fromMs : p.untilMs - 1)),
        ];
        for (const atMs of instants) {
          const r = explain(plan, { number: line.number, atMs, digits: 'TTTT' });
          expect(
            r.provenance.filter((p) => p.basis === 'unmarked'),
            `${line.number} at ${atMs}`,
          ).toEqual([]);
        }
      }
    }
  });
});

describe('the source convention', () => {
  const write = (center: string) => {
    const dir = mkdtempSync(join(tmpdir(), 'hotline-source-'));
    mkdirSync(join(dir, 'prompts'));
    writeFileSync(join(dir, 'prompts/manifest.yaml'), 'prompts:\n  - { id: hello, text: 您好 }\n');
    writeFileSync(
      join(dir, 'rules.yaml'),
      `center: { id: t, name: 测试, timezone: Asia/Shanghai, prompts: prompts/manifest.yaml, fallback: { goto: "pool:p" } }
pools:
  - { id: p, name: 座席, ${center} }
lines:
  - { id: l, number: "12345", name: 热线, mode: main, department: 中心, topic: general, route: { goto: "pool:p" } }
`,
    );
    return dir;
  };

  it('accepts "local", "local: why", a clause, and one source per field', () => {
    expect(() => loadPlan(write('source: local'), { now })).not.toThrow();
    expect(() => loadPlan(write('source: "local: why"'), { now })).not.toThrow();
    expect(() => loadPlan(write('source: 提供全天候人工服务'), { now })).not.toThrow();
    expect(() =>
      loadPlan(write('source: { entry: 提供全天候人工服务, hours: "local: why" }'), { now }),
    ).not.toThrow();
  });

  it('refuses a local mark written otherwise, and a per-field source naming no field of its entry', () => {
    const problems = (center: string) => {
      try {
        loadPlan(write(center), { now });
        return [];
      } catch (err) {
        return (err as RulesInvalidError).problems.map((p) => `${p.path}: ${p.message}`);
      }
    };
    expect(problems('source: "local why"')[0]).toContain('pools[0].source');
    expect(problems('source: { entry: 条款, dail: local }')).toEqual([
      'pools[0].source.dail: names no field of this entry (use "entry" for the entry as a whole)',
    ]);
  });
});
