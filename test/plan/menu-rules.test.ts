import { basename } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { explain } from '../../src/plan/explain.ts';
import { loadPlan } from '../../src/plan/load.ts';
import { RulesInvalidError } from '../../src/plan/problems.ts';
import { parseInstant } from '../../src/plan/zoned-time.ts';
import { minimalPlan, removePlan, writePlan } from '../support/rules-fixture.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) removePlan(d);
});

const now = parseInstant('2026-11-24T10:00', 'Asia/Shanghai')!;
const center = minimalPlan['center.yaml']!;
const lines = minimalPlan['lines.yaml']!;
const mainToMenu = lines.replace('goto: "pool:general" }\n  - id: old', 'goto: "menu:m1" }\n  - id: old');
const menu = (fields: string) =>
  `${center}menus:\n  - id: m1\n    prompt: pick\n${fields}    options:\n      - { digits: "1", label: 一, route: { goto: "pool:general" } }\n    default: { goto: "pool:general" }\n`;

function load(files: Record<string, string>) {
  const dir = writePlan(files);
  dirs.push(dir);
  return loadPlan(dir);
}

function problemsOf(files: Record<string, string>): string[] {
  try {
    load(files);
  } catch (err) {
    expect(err).toBeInstanceOf(RulesInvalidError);
    return (err as RulesInvalidError).problems.map((p) => `${basename(p.file)}:${p.path}: ${p.message}`);
  }
  throw new Error('the plan loaded although it is invalid');
}

const subcenterLine = (kind: string) =>
  `${lines}  - id: tax\n    number: "12366"\n    name: 税务\n    mode: sub-center\n    department: 税务局\n    topic: tax\n    phases:\n      - { id: link, kind: ${kind}, route: { goto: "subcenter:*" } }\n`;
const withSubcenter = `${center}subcenters:\n  - { id: tax, name: 税务分中心, number: "12366", department: 税务局, dial: "PJSIP/12366@sc-tax" }\n`;

describe('menu tries in the rules', () => {
  it('refuses a retry prompt when that failure gets no retry, pointing at the final prompt', () => {
    const problems = problemsOf({
      'center.yaml': menu('    retries: 0\n    invalidPrompt: wrong\n'),
      'lines.yaml': mainToMenu,
    });
    expect(
      problems.some(
        (p) => p.startsWith('center.yaml:menus[0].invalidPrompt: ') && /invalidFinalPrompt/.test(p),
      ),
    ).toBe(true);
    const timeouts = problemsOf({
      'center.yaml': menu('    retries: 2\n    timeoutRetries: 0\n    timeoutPrompt: wrong\n'),
      'lines.yaml': mainToMenu,
    });
    expect(timeouts.some((p) => p.startsWith('center.yaml:menus[0].timeoutPrompt: '))).toBe(true);
  });

  it('checks the final prompts against the manifest and the tries against their range', () => {
    expect(
      problemsOf({ 'center.yaml': menu('    invalidFinalPrompt: nosuch\n'), 'lines.yaml': mainToMenu }),
    ).toContainEqual(
      expect.stringMatching(/^center\.yaml:menus\[0\]\.invalidFinalPrompt: prompt "nosuch" is not in/),
    );
    expect(
      problemsOf({ 'center.yaml': menu('    timeoutRetries: 6\n'), 'lines.yaml': mainToMenu }).some((p) =>
        p.startsWith('center.yaml:menus[0].timeoutRetries'),
      ),
    ).toBe(true);
  });

  it('gives no input the same tries as invalid input unless timeoutRetries says otherwise', () => {
    const { plan } = load({
      'center.yaml': menu('    retries: 1\n    timeoutPrompt: wrong\n    timeoutFinalPrompt: gone\n'),
      'lines.yaml': mainToMenu,
    });
    const r = explain(plan, { number: '12345', atMs: now, digits: 'TT' });
    expect(r.prompts).toEqual(['welcome', 'pick', 'wrong', 'pick', 'gone']);
    expect(r.target).toEqual({ kind: 'pool', id: 'general' });
  });

  it('passes a switched-off menu by: its default route, and nothing of the menu is heard', () => {
    const { plan } = load({
      'center.yaml': menu('    enabled: false\n').replace(
        '    default: { goto: "pool:general" }',
        '    default: { prompts: [notice], goto: "pool:general" }',
      ),
      'lines.yaml': mainToMenu,
    });
    const r = explain(plan, { number: '12345', atMs: now });
    expect(r.prompts).toEqual(['welcome', 'notice']);
    expect(r.menus).toEqual([]);
    expect(r.target).toEqual({ kind: 'pool', id: 'general' });
  });
});

describe('sub-center phases', () => {
  it('are linked, never merged: kind merged on a sub-center line is refused', () => {
    const problems = problemsOf({ 'center.yaml': withSubcenter, 'lines.yaml': subcenterLine('merged') });
    expect(problems).toContainEqual(
      expect.stringMatching(
        /^lines\.yaml:lines\[2\]\.phases\[0\]\.kind: sub-center lines keep their number and agents and never merge into 12345: use kind "linked"/,
      ),
    );
    const { plan } = load({ 'center.yaml': withSubcenter, 'lines.yaml': subcenterLine('linked') });
    const r = explain(plan, { number: '12366', atMs: now });
    expect(r.phase).toMatchObject({ id: 'link', kind: 'linked' });
    expect(r.target).toEqual({ kind: 'subcenter', id: 'tax' });
  });

  it('refuses kind linked on a line that is not a sub-center', () => {
    const problems = problemsOf({
      'lines.yaml': lines.replace('{ id: transition, kind: transition,', '{ id: transition, kind: linked,'),
    });
    expect(problems).toContainEqual(
      'lines.yaml:lines[1].phases[1].kind: only sub-center lines are linked to 12345; line "old" is whole-merge',
    );
  });
});
