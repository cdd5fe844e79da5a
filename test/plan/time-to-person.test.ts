import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_STEPS, pathsToPerson } from '../../src/plan/checks/prompt-budget.ts';
import { explain } from '../../src/plan/explain.ts';
import { loadPlan } from '../../src/plan/load.ts';
import { parseInstant } from '../../src/plan/zoned-time.ts';

const at = (iso: string) => parseInstant(iso, 'Asia/Shanghai')!;
const now = at('2026-11-24T10:00');

/**
 * A plan whose prompt durations are fixed here (text-only manifest), not the shipped ones:
 * welcome 5 s, menu 8 s, timeout notice 2 s, connecting 3 s, transition notice 12 s, deregistered 9 s.
 */
function fixture(budget?: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'hotline-time-'));
  mkdirSync(join(dir, 'prompts'));
  writeFileSync(
    join(dir, 'prompts/manifest.yaml'),
    `prompts:
  - { id: welcome, text: 欢迎, durationMs: 5000 }
  - { id: nav, text: 请选择, durationMs: 8000 }
  - { id: nav-timeout, text: 没有听到您的选择, durationMs: 2000 }
  - { id: connecting, text: 正在转接, durationMs: 3000 }
  - { id: transition, text: 本号码已并入12345, durationMs: 12000 }
  - { id: gone, text: 本号码已注销, durationMs: 9000 }
`,
  );
  writeFileSync(
    join(dir, 'rules.yaml'),
    `center:
  id: t
  name: 测试中心
  timezone: Asia/Shanghai
  prompts: prompts/manifest.yaml
  fallback: { goto: "pool:p" }
  ${budget !== undefined ? `promptBudgetSeconds: ${budget}` : ''}
pools:
  - { id: p, name: 座席 }
emergency:
  - { id: police, number: "110", name: 公安110, scope: 警情, dial: "PJSIP/110@emergency" }
menus:
  - id: level
    prompt: nav
    timeoutSeconds: 4
    retries: 1
    timeoutPrompt: nav-timeout
    options:
      - { digits: "1", label: 人工, route: { goto: "pool:p" } }
      - { digits: "9", label: 报警, route: { prompts: [connecting], goto: "emergency:police" } }
    default: { goto: "pool:p" }
lines:
  - { id: main, number: "12345", name: 热线, mode: main, department: 中心, topic: general, route: { prompts: [welcome], goto: "menu:level" } }
  - id: old
    number: "12396"
    name: 旧号码
    mode: whole-merge
    department: 科技局
    topic: science
    phases:
      - { id: transition, kind: transition, until: 2030-01-01, route: { prompts: [transition], goto: "pool:p" } }
      - { id: deregistered, kind: deregistered, from: 2030-01-01, route: { prompts: [gone], goto: "line:main" } }
`,
  );
  return dir;
}

describe('the time before a caller reaches a person', () => {
  const plan = loadPlan(fixture(), { now }).plan;

  it('adds the prompts heard to the queue: welcome and menu before key 1', () => {
    const r = explain(plan, { number: '12345', atMs: now, digits: '1' });
    expect(r.target).toEqual({ kind: 'pool', id: 'p' });
    expect(r.timeToTarget).toEqual({
      ms: 13_000,
      promptMs: 13_000,
      menuWaitMs: 0,
      withoutDuration: [],
      reachesPerson: true,
    });
    expect(r.reasons).toContain('13.0 s of prompts and menu waits before the caller reaches the target');
  });

  it('adds each menu wait that runs out for a caller who presses nothing', () => {
    const r = explain(plan, { number: '12345', atMs: now, digits: 'TT' });
    // welcome 5 + menu 8 + wait 4 + notice 2 + menu 8 + wait 4
    expect(r.timeToTarget).toMatchObject({
      ms: 31_000,
      promptMs: 23_000,
      menuWaitMs: 8_000,
      reachesPerson: true,
    });
  });

  it('counts the notice of a deregistered number and then the service of 12345', () => {
    const r = explain(plan, { number: '12396', atMs: at('2030-02-01'), digits: '9' });
    expect(r.target).toEqual({ kind: 'emergency', id: 'police' });
    // gone 9 + welcome 5 + menu 8 + connecting 3
    expect(r.timeToTarget.ms).toBe(25_000);
  });

  it('says a call left waiting in a menu reaches nobody yet', () => {
    expect(explain(plan, { number: '12345', atMs: now }).timeToTarget.reachesPerson).toBe(false);
  });
});

describe("validate's prompt budget", () => {
  it('warns, with the default budget of 20 s, about each path above it, naming the line, phase and path', () => {
    const { warnings } = loadPlan(fixture(), { now });
    const budget = warnings.filter((w) => w.message.includes('promptBudgetSeconds'));
    expect(budget.map((w) => w.message)).toEqual([
      'line 12345, phase "default": 31.0 s of prompts and menu waits before a person on the path menu "level": no key (2 timeouts) → pool "p"; above center.promptBudgetSeconds (20 s)',
      'line 12396, phase "deregistered": 22.0 s of prompts and menu waits before a person on the path line 12345 → menu "level": key 1 → pool "p"; above center.promptBudgetSeconds (20 s)',
      'line 12396, phase "deregistered": 25.0 s of prompts and menu waits before a person on the path line 12345 → menu "level": key 9 → emergency "police"; above center.promptBudgetSeconds (20 s)',
      'line 12396, phase "deregistered": 40.0 s of prompts and menu waits before a person on the path line 12345 → menu "level": no key (2 timeouts) → pool "p"; above center.promptBudgetSeconds (20 s)',
    ]);
    expect(budget[0]).toMatchObject({ path: 'lines[0].route' });
    expect(budget[1]).toMatchObject({ path: 'lines[1].phases[1]' });
    expect(budget.some((w) => w.failsValidate)).toBe(false);
  });

  it('follows the center setting, and leaves out phases that are over', () => {
    const { warnings } = loadPlan(fixture(45), { now: at('2031-01-01') });
    expect(warnings.filter((w) => w.message.includes('promptBudgetSeconds'))).toEqual([]);
    const tight = loadPlan(fixture(12), { now: at('2031-01-01') }).warnings.filter((w) =>
      w.message.includes('promptBudgetSeconds'),
    );
    expect(tight.some((w) => w.message.includes('phase "transition"'))).toBe(false);
    expect(tight.some((w) => w.message.includes('phase "deregistered"'))).toBe(true);
  });

  it('reports the lines of one group once per phase and path, naming them all', () => {
    const dir = fixture();
    writeFileSync(
      join(dir, 'group.yaml'),
      `groups:
  - id: merged
    name: 整体并入
    mode: whole-merge
    phases:
      - { id: transition, kind: transition, until: 2030-01-01, route: { prompts: [transition, gone], goto: "pool:p" } }
      - { id: deregistered, kind: deregistered, from: 2030-01-01, route: { prompts: [gone], goto: "pool:p" } }
lines:
  - { id: a, number: "12301", name: 甲, department: 甲局, topic: a, group: merged }
  - { id: b, number: "12302", name: 乙, department: 乙局, topic: b, group: merged }
`,
    );
    const budget = loadPlan(dir, { now }).warnings.filter((w) => w.file.endsWith('group.yaml'));
    expect(budget).toEqual([
      {
        file: expect.stringMatching(/group\.yaml$/),
        path: 'groups[0].phases[0]',
        message:
          'lines 12301, 12302, phase "transition": 21.0 s of prompts and menu waits before a person on the path pool "p"; above center.promptBudgetSeconds (20 s)',
      },
    ]);
  });

  it('walks a bounded number of steps through nested menus, however many ways they branch', () => {
    const dir = fixture();
    const menus = Array.from({ length: 7 }, (_, i) => {
      const next = i < 6 ? `menu:n${i + 1}` : 'pool:p';
      const options = Array.from(
        { length: 9 },
        (_, d) => `      - { digits: "${d + 1}", label: 选${d + 1}, route: { goto: "${next}" } }`,
      );
      return `  - id: n${i}\n    prompt: nav\n    options:\n${options.join('\n')}\n    default: { goto: "pool:p" }`;
    });
    writeFileSync(
      join(dir, 'nested.yaml'),
      `menus:\n${menus.join('\n')}\nlines:\n  - { id: deep, number: "12399", name: 深, mode: main, department: 中心, topic: general, route: { goto: "menu:n0" } }\n`,
    );
    const { plan: deep } = loadPlan(dir, { now });
    const line = deep.lines.get('deep')!;
    const paths = pathsToPerson(deep, line.route!, line, now);
    expect(paths.length).toBeGreaterThan(0);
    expect(paths.length).toBeLessThanOrEqual(MAX_STEPS);
  });
});
