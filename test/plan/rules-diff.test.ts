import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { diffRules, readRuleSet, show } from '../../src/plan/rules-diff.ts';

function rulesOf(files: Record<string, string>) {
  const { rules, problems } = readRuleSet(files);
  expect(problems).toEqual([]);
  return rules;
}

const diff = (before: Record<string, string>, after: Record<string, string>) =>
  diffRules(rulesOf(before), rulesOf(after));

const shipped = Object.fromEntries(
  readdirSync('routing-rules')
    .filter((n) => n.endsWith('.yaml'))
    .map((n) => [n, readFileSync(join('routing-rules', n), 'utf8')]),
);

const center = `center:
  id: test
  name: 测试热线
  timezone: Asia/Shanghai
  prompts: ../ivr-prompts/manifest.yaml
  fallback: { goto: "pool:general" }
`;
const pools = `pools:
  - id: general
    name: 综合受理
    queue: { maxWaitSeconds: 300 }
  - id: tax
    name: 税务
`;
const lines = `lines:
  - { id: main, number: "12345", name: 12345热线, mode: main, department: 中心, topic: general, route: { goto: "pool:general" } }
  - { id: l12366, number: "12366", name: 税务热线, department: 税务局, topic: tax, group: merge }
`;
const groups = `groups:
  - id: merge
    name: 整体并入
    mode: whole-merge
    phases:
      - { id: transition, kind: transition, until: 2021-10-01, route: { prompts: [notice], goto: "pool:general" } }
      - { id: deregistered, kind: deregistered, from: 2021-10-01, route: { goto: "line:main" } }
`;
const menus = `menus:
  - id: main
    prompt: main-menu
    options:
      - { digits: "1", label: 查询, route: { goto: "pool:general" } }
      - { digits: "2", label: 投诉, route: { goto: "pool:tax" } }
    default: { goto: "pool:general" }
`;
const base = { 'center.yaml': center, 'targets.yaml': pools + menus, 'lines.yaml': lines + groups };

describe('the diff of two rule sets', () => {
  it('finds nothing between the same rules, reordered, reformatted or commented differently', () => {
    expect(diff(shipped, shipped).changes).toEqual([]);
    const reordered = {
      ...base,
      'targets.yaml': `# the targets\n${menus}pools:\n  - id: tax\n    name: 税务\n  - { id: general, name: 综合受理, queue: { maxWaitSeconds: 300 } }\n`,
    };
    expect(diff(base, reordered)).toEqual({
      changes: [],
      counts: { added: 0, removed: 0, changed: 0, moved: 0 },
    });
  });

  it('names a line whose number changed, with the number before and after', () => {
    const d = diff(base, {
      ...base,
      'lines.yaml': lines.replace('number: "12366"', 'number: "12367"') + groups,
    });
    expect(d.changes).toEqual([
      {
        section: 'lines',
        id: 'l12366',
        label: '12367 税务热线',
        change: 'changed',
        file: 'lines.yaml',
        fields: [{ path: 'number', segments: ['number'], before: '12366', after: '12367' }],
      },
    ]);
    expect(d.counts).toEqual({ added: 0, removed: 0, changed: 1, moved: 0 });
  });

  it("locates a phase's changed route by the phase's id and names the group's lines", () => {
    const d = diff(base, {
      ...base,
      'lines.yaml': lines + groups.replace('goto: "line:main"', 'goto: "pool:tax"'),
    });
    expect(d.changes).toEqual([
      expect.objectContaining({
        section: 'groups',
        id: 'merge',
        change: 'changed',
        lines: ['12366'],
        fields: [
          {
            path: 'phases[deregistered].route.goto',
            segments: ['phases', '[deregistered]', 'route', 'goto'],
            before: 'line:main',
            after: 'pool:tax',
          },
        ],
      }),
    ]);
  });

  it('lists the fields of an added line and of a removed pool', () => {
    const added = `  - { id: l12399, number: "12399", name: 新热线, department: 某局, topic: general, route: { goto: "pool:general" } }\n`;
    const d = diff(base, {
      ...base,
      'lines.yaml': lines + added + groups,
      'targets.yaml': `pools:\n  - id: general\n    name: 综合受理\n    queue: { maxWaitSeconds: 300 }\n${menus}`,
    });
    expect(d.counts).toEqual({ added: 1, removed: 1, changed: 0, moved: 0 });
    const line = d.changes.find((c) => c.section === 'lines');
    expect(line).toMatchObject({ id: 'l12399', change: 'added', label: '12399 新热线', file: 'lines.yaml' });
    expect(line?.fields).toContainEqual({ path: 'number', segments: ['number'], after: '12399' });
    expect(line?.fields).toContainEqual({
      path: 'route',
      segments: ['route'],
      after: '{goto: pool:general}',
    });
    const pool = d.changes.find((c) => c.section === 'pools');
    expect(pool).toMatchObject({ id: 'tax', change: 'removed', label: '税务', file: 'targets.yaml' });
    // Defaults are filled in; empty lists are left out.
    expect(pool?.fields).toEqual([
      { path: 'name', segments: ['name'], before: '税务' },
      expect.objectContaining({ path: 'hours', before: 'always' }),
      expect.objectContaining({ path: 'queue' }),
    ]);
  });

  it("matches a menu's options by their keys", () => {
    const d = diff(base, {
      ...base,
      'targets.yaml':
        pools +
        menus
          .replace('label: 投诉', 'label: 投诉举报')
          .replace(
            '    default:',
            '      - { digits: "9", label: 人工, route: { goto: "pool:general" } }\n    default:',
          ),
    });
    expect(d.changes).toHaveLength(1);
    expect(d.changes[0]?.fields).toEqual([
      { path: 'options[2].label', segments: ['options', '[2]', 'label'], before: '投诉', after: '投诉举报' },
      {
        path: 'options[9]',
        segments: ['options', '[9]'],
        after: '{digits: 9, label: 人工, route: {goto: pool:general}}',
      },
    ]);
  });

  it("shows a pool's queue setting and the center's own fields", () => {
    const d = diff(base, {
      ...base,
      'center.yaml': center.replace('name: 测试热线', 'name: 测试热线（新）'),
      'targets.yaml': pools.replace('maxWaitSeconds: 300', 'maxWaitSeconds: 180') + menus,
    });
    expect(
      d.changes.map((c) => [c.section, c.fields.map((f) => `${f.path}: ${f.before} → ${f.after}`)]),
    ).toEqual([
      ['center', ['name: 测试热线 → 测试热线（新）']],
      ['pools', ['queue.maxWaitSeconds: 300 → 180']],
    ]);
  });

  it('counts writing out a default as no change, and moving an item to another file as a move', () => {
    const explicit = menus.replace('    prompt: main-menu', '    prompt: main-menu\n    timeoutSeconds: 5');
    expect(diff(base, { ...base, 'targets.yaml': pools + explicit }).changes).toEqual([]);
    const d = diff(base, { ...base, 'targets.yaml': pools, 'menus.yaml': menus });
    expect(d.changes).toEqual([
      expect.objectContaining({
        section: 'menus',
        id: 'main',
        change: 'moved',
        file: 'menus.yaml',
        movedFrom: 'targets.yaml',
      }),
    ]);
  });

  it("reads the shipped rules and shows a change to a group's transition notice", () => {
    const changed = {
      ...shipped,
      'groups.yaml': shipped['groups.yaml']!.replace(
        'route: { prompts: [transition-whole-merge], goto: "pool:general" }',
        'route: { prompts: [], goto: "pool:general" }',
      ),
    };
    const d = diff(shipped, changed);
    const group = d.changes.find((c) => c.id === 'national-whole-merge');
    expect(group?.lines).toContain('12396');
    expect(group?.fields).toContainEqual(
      expect.objectContaining({
        path: 'phases[transition].route.prompts',
        before: '[transition-whole-merge]',
        after: '[]',
      }),
    );
  });

  it('leaves out a file that does not read, with a problem naming it', () => {
    const { problems } = readRuleSet({ ...base, 'bad.yaml': 'lines: [' });
    expect(problems).toEqual([{ file: 'bad.yaml', path: '', message: 'YAML syntax error' }]);
    expect(readRuleSet({ 'x.yaml': 'nonsense: 1' }).problems[0]?.file).toBe('x.yaml');
  });

  it('writes values on one line', () => {
    expect(show({ goto: 'pool:general', prompts: ['a', 'b'], priority: 3, open: true })).toBe(
      '{goto: pool:general, prompts: [a, b], priority: 3, open: true}',
    );
  });
});
