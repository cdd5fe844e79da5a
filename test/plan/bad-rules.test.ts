import { basename } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadPlan } from '../../src/plan/load.ts';
import { RulesInvalidError } from '../../src/plan/problems.ts';
import { minimalPlan, removePlan, writePlan } from '../support/rules-fixture.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) removePlan(d);
});

/** Loads a plan expected to be invalid; returns its problems as `file:path: message` lines. */
function problemsOf(files: Record<string, string | null>): string[] {
  const dir = writePlan(files);
  dirs.push(dir);
  try {
    loadPlan(dir);
  } catch (err) {
    expect(err).toBeInstanceOf(RulesInvalidError);
    return (err as RulesInvalidError).problems.map((p) => `${basename(p.file)}:${p.path}: ${p.message}`);
  }
  throw new Error('the plan loaded although it is invalid');
}

const lines = minimalPlan['lines.yaml']!;
const center = minimalPlan['center.yaml']!;
const withMenus = (menus: string) => `${center}menus:\n${menus}`;
const mainToMenu = lines.replace('goto: "pool:general" }\n  - id: old', 'goto: "menu:m1" }\n  - id: old');

const cases: [string, Record<string, string | null>, string, RegExp?][] = [
  [
    'a number written as a YAML number',
    { 'lines.yaml': lines.replace('number: "12396"', 'number: 12396') },
    'lines.yaml:lines[1].number',
  ],
  [
    'a wrong type for a list',
    { 'center.yaml': center.replace('pools:\n  - id: general\n    name: 综合', 'pools: general') },
    'center.yaml:pools',
  ],
  [
    'an unknown section',
    { 'lines.yaml': `${lines}prompts: []\n` },
    'lines.yaml:prompts',
    /unknown section "prompts"/,
  ],
  [
    'an unknown field',
    { 'lines.yaml': lines.replace('topic: science', 'topic: science\n    colour: red') },
    'lines.yaml:lines[1].colour',
    /unknown field/,
  ],
  [
    'a missing required field',
    { 'lines.yaml': lines.replace('    department: 科技厅\n', '') },
    'lines.yaml:lines[1].department',
  ],
  [
    'a bad id',
    { 'center.yaml': center.replace('- id: general', '- id: General Pool') },
    'center.yaml:pools[0].id',
  ],
  [
    'a dangling pool reference',
    {
      'lines.yaml': lines.replace(
        '{ prompts: [welcome], goto: "pool:general" }',
        '{ prompts: [welcome], goto: "pool:nowhere" }',
      ),
    },
    'lines.yaml:lines[0].route.goto',
    /no pool "nowhere"/,
  ],
  [
    'a malformed reference',
    { 'lines.yaml': lines.replace('goto: "line:main"', 'goto: "phone:main"') },
    'lines.yaml:lines[1].phases[2].route.goto',
    /kind one of/,
  ],
  [
    'a prompt missing from the manifest',
    { 'lines.yaml': lines.replace('prompts: [notice]', 'prompts: [nosuch]') },
    'lines.yaml:lines[1].phases[1].route.prompts[0]',
    /not in the prompt manifest/,
  ],
  [
    'overlapping phases',
    {
      'lines.yaml': lines.replace(
        'from: 2021-06-01, until: 2021-10-01',
        'from: 2021-05-15, until: 2021-10-01',
      ),
    },
    'lines.yaml:lines[1].phases[1].from',
    /overlaps phases\[0\]/,
  ],
  [
    'a phase that ends before it starts',
    {
      'lines.yaml': lines.replace(
        'from: 2021-06-01, until: 2021-10-01',
        'from: 2021-10-01, until: 2021-06-01',
      ),
    },
    'lines.yaml:lines[1].phases[1].until',
    /must be after/,
  ],
  [
    'an impossible date',
    { 'lines.yaml': lines.replace('until: 2021-06-01,', 'until: 2021-02-30,') },
    'lines.yaml:lines[1].phases[0].until',
    /not a real date/,
  ],
  [
    'a date in the wrong format',
    { 'lines.yaml': lines.replace('until: 2021-06-01,', 'until: 01/06/2021,') },
    'lines.yaml:lines[1].phases[0].until',
    /YYYY-MM-DD/,
  ],
  [
    'an unknown time zone',
    { 'center.yaml': center.replace('Asia/Shanghai', 'Asia/Beijing') },
    'center.yaml:center.timezone',
    /IANA/,
  ],
  [
    'a duplicate number',
    { 'lines.yaml': lines.replace('number: "12396"', 'number: "12345"') },
    'lines.yaml:lines[1].number',
    /already used by line "main"/,
  ],
  [
    'a duplicate id',
    { 'lines.yaml': lines.replace('id: old', 'id: main') },
    'lines.yaml:lines[1].id',
    /already used/,
  ],
  ['an empty file', { 'lines.yaml': '' }, 'lines.yaml:', /empty/],
  ['a file of comments only', { 'lines.yaml': '# nothing here\n' }, 'lines.yaml:', /empty/],
  [
    'a YAML syntax error',
    { 'lines.yaml': 'lines:\n  - id: [unclosed\n' },
    'lines.yaml:@',
    /YAML syntax error/,
  ],
  [
    'a duplicate YAML key',
    { 'center.yaml': center.replace('  name: 测试中心\n', '  name: 测试中心\n  name: again\n') },
    'center.yaml:@',
    /YAML syntax error/,
  ],
  [
    'a file that is a list, not sections',
    { 'lines.yaml': '- a\n- b\n' },
    'lines.yaml:',
    /mapping of sections/,
  ],
  [
    'two centers',
    {
      'extra.yaml':
        'center:\n  id: two\n  name: 二\n  timezone: Asia/Shanghai\n  prompts: prompts/manifest.yaml\n  fallback: { goto: ticket }\n',
    },
    'extra.yaml:center',
    /already defined/,
  ],
  [
    'no center at all',
    { 'center.yaml': 'pools:\n  - id: general\n    name: 综合\n' },
    '',
    /no file defines the "center"/,
  ],
  [
    'a missing prompt manifest',
    { 'prompts/manifest.yaml': null },
    'center.yaml:center.prompts',
    /cannot read/,
  ],
  [
    'a deregistered dual-number line',
    { 'lines.yaml': lines.replace('mode: whole-merge', 'mode: dual-number') },
    'lines.yaml:lines[1].phases[2].kind',
    /only whole-merge numbers are deregistered/,
  ],
  [
    'a phase after deregistration',
    {
      'lines.yaml':
        lines.replace(
          '{ id: gone, kind: deregistered, from: 2021-10-01,',
          '{ id: gone, kind: deregistered, from: 2021-10-01, until: 2022-01-01,',
        ) + '      - { id: back, kind: merged, from: 2022-01-01, route: { goto: "pool:general" } }\n',
    },
    'lines.yaml:lines[1].phases[3]',
    /not restored/,
  ],
  [
    'phases that leave time uncovered and no route',
    {
      'lines.yaml': lines.replace(
        '{ id: before, kind: before-merge, until: 2021-06-01, route: { goto: "pool:general" } }',
        '{ id: before, kind: before-merge, from: 2021-01-01, until: 2021-06-01, route: { goto: "pool:general" } }',
      ),
    },
    'lines.yaml:lines[1].route',
    /before 2021-01-01/,
  ],
  [
    'an unreachable menu',
    {
      'center.yaml': withMenus(
        '  - { id: lonely, prompt: pick, options: [{ digits: "1", label: a, route: { goto: "pool:general" } }], default: { goto: "pool:general" } }\n',
      ),
    },
    'center.yaml:menus[0]',
    /never reached/,
  ],
  [
    'menus that loop without an exit',
    {
      'lines.yaml': mainToMenu,
      'center.yaml': withMenus(
        '  - { id: m1, prompt: pick, options: [{ digits: "1", label: a, route: { goto: "menu:m2" } }], default: { goto: "menu:m2" } }\n  - { id: m2, prompt: pick, options: [{ digits: "1", label: b, route: { goto: "menu:m1" } }], default: { goto: "menu:m1" } }\n',
      ),
    },
    'center.yaml:menus[0]',
    /no way out/,
  ],
  [
    'a menu option used twice',
    {
      'lines.yaml': mainToMenu,
      'center.yaml': withMenus(
        '  - { id: m1, prompt: pick, options: [{ digits: "1", label: a, route: { goto: "pool:general" } }, { digits: "1", label: b, route: { goto: "ticket" } }], default: { goto: "pool:general" } }\n',
      ),
    },
    'center.yaml:menus[0].options[1].digits',
    /already used/,
  ],
  [
    'a menu option hidden by a shorter one',
    {
      'lines.yaml': mainToMenu,
      'center.yaml': withMenus(
        '  - { id: m1, prompt: pick, options: [{ digits: "1", label: a, route: { goto: "pool:general" } }, { digits: "12", label: b, route: { goto: "ticket" } }], default: { goto: "pool:general" } }\n',
      ),
    },
    'center.yaml:menus[0].options[0].digits',
    /prefix/,
  ],
  [
    'a bad DTMF key',
    {
      'lines.yaml': mainToMenu,
      'center.yaml': withMenus(
        '  - { id: m1, prompt: pick, options: [{ digits: "A", label: a, route: { goto: "pool:general" } }], default: { goto: "pool:general" } }\n',
      ),
    },
    'center.yaml:menus[0].options[0].digits',
    /0-9/,
  ],
  [
    'a schedule with hours ending before they start',
    { 'center.yaml': `${center}schedules:\n  - { id: office, weekly: { mon: ["17:00-09:00"] } }\n` },
    'center.yaml:schedules[0].weekly.mon[0]',
    /ends before it starts/,
  ],
  [
    'a pool with office hours but no closed route',
    {
      'center.yaml':
        center.replace('    name: 综合\n', '    name: 综合\n    hours: office\n') +
        'schedules:\n  - { id: office, weekly: { mon: ["09:00-17:00"] } }\n',
    },
    'center.yaml:pools[0].closed',
    /not 7×24/,
  ],
  [
    'an overflow target that is not a queue or center',
    {
      'center.yaml': center.replace(
        '    name: 综合\n',
        '    name: 综合\n    queue: { overflowAfterSeconds: 30, overflowTo: "ticket" }\n',
      ),
    },
    'center.yaml:pools[0].queue.overflowTo',
    /another queue or center/,
  ],
  [
    'an own-number reference with no matching sub-center',
    {
      'lines.yaml': lines.replace(
        '{ prompts: [notice], goto: "pool:general" }',
        '{ prompts: [notice], goto: "subcenter:*" }',
      ),
    },
    'lines.yaml:lines[1].phases[1].route.goto',
    /needs a subcenter with number 12396/,
  ],
  [
    'a line that refers to itself',
    { 'lines.yaml': lines.replace('goto: "line:main"', 'goto: "line:old"') },
    'lines.yaml:lines[1]',
    /refers back to itself/,
  ],
  [
    'a line whose group does not exist',
    {
      'lines.yaml': lines
        .replace('    mode: whole-merge\n', '    group: nosuch\n')
        .replace(/ {4}phases:\n[\s\S]*$/, ''),
    },
    'lines.yaml:lines[1].group',
    /no group "nosuch"/,
  ],
  [
    'a survey that is not a survey',
    {
      'center.yaml': center.replace(
        '  prompts: prompts/manifest.yaml\n',
        '  prompts: prompts/manifest.yaml\n  survey: nosuch\n',
      ),
    },
    'center.yaml:center.survey',
    /no self-service/,
  ],
];

describe('loading malformed rules', () => {
  it('covers at least 25 kinds of bad input', () => {
    expect(cases.length).toBeGreaterThanOrEqual(25);
  });

  it.each(cases)('rejects %s, naming the place', (_name, files, where, message) => {
    const problems = problemsOf(files);
    const hit = problems.find((p) => p.startsWith(`${where}`) && (!message || message.test(p)));
    expect(
      hit,
      `expected a problem at ${where} matching ${message}; got:\n${problems.join('\n')}`,
    ).toBeDefined();
  });

  it('reports every problem of a rule set at once', () => {
    const problems = problemsOf({
      'lines.yaml': lines
        .replace('goto: "line:main"', 'goto: "line:nowhere"')
        .replace('prompts: [notice]', 'prompts: [nosuch]'),
    });
    expect(problems.length).toBeGreaterThanOrEqual(2);
  });

  it('loads the minimal plan the bad cases start from', () => {
    const dir = writePlan();
    dirs.push(dir);
    expect(loadPlan(dir).plan.lines.size).toBe(2);
  });

  it('rejects a folder with no rules files', () => {
    const dir = writePlan({ 'center.yaml': null, 'lines.yaml': null });
    dirs.push(dir);
    expect(() => loadPlan(dir)).toThrow(/no rules files/);
  });
});

describe('YAML that parses but cannot be read', () => {
  it('rejects an alias to an anchor that does not exist, naming the file', () => {
    const dir = writePlan({ 'lines.yaml': 'lines: *missing\n' });
    dirs.push(dir);
    expect(() => loadPlan(dir)).toThrow(/lines\.yaml: YAML/);
  });
});
