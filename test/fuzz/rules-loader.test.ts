import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadPlan } from '../../src/plan/load.ts';
import { RulesInvalidError } from '../../src/plan/problems.ts';

const base = {
  center: {
    id: 'fz',
    name: '模糊测试',
    timezone: 'Asia/Shanghai',
    prompts: 'p/manifest.yaml',
    fallback: { goto: 'pool:general' },
  },
  pools: [{ id: 'general', name: '综合', queue: { maxWaitSeconds: 300 } }],
  menus: [
    {
      id: 'm',
      prompt: 'hi',
      options: [{ digits: '1', label: '一', route: { goto: 'pool:general' } }],
      default: { goto: 'ticket' },
    },
  ],
  lines: [
    {
      id: 'main',
      number: '12345',
      name: '主线',
      mode: 'main',
      department: '中心',
      topic: 'general',
      route: { prompts: ['hi'], goto: 'menu:m' },
    },
    {
      id: 'old',
      number: '12396',
      name: '旧',
      mode: 'whole-merge',
      department: '厅',
      topic: 't',
      phases: [
        { id: 'a', kind: 'before-merge', until: '2021-06-01', route: { goto: 'pool:general' } },
        { id: 'b', kind: 'deregistered', from: '2021-06-01', route: { goto: 'line:main' } },
      ],
    },
  ],
};

/** Paths into the base rule set, each a place a generated value replaces. */
const paths: (string | number)[][] = [];
(function walk(v: unknown, path: (string | number)[]) {
  if (path.length > 0) paths.push(path);
  if (Array.isArray(v)) {
    for (const [i, x] of v.entries()) walk(x, [...path, i]);
  } else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, [...path, k]);
})(base, []);

const anyValue = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom('pool:nowhere', 'menu:m', 'line:old', 'ticket', '2021-13-40', '12345', '', '*', 'expert:*'),
  fc.array(fc.string({ maxLength: 4 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 3 }),
);

const dir = mkdtempSync(join(tmpdir(), 'hotline-fuzz-'));
mkdirSync(join(dir, 'p'));
writeFileSync(join(dir, 'p/manifest.yaml'), 'prompts:\n  - { id: hi, text: 你好 }\n');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function withValue(path: (string | number)[], value: unknown): unknown {
  const copy = structuredClone(base) as Record<string, unknown>;
  let at: Record<string | number, unknown> = copy;
  for (const k of path.slice(0, -1)) at = at[k] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (value === undefined) delete at[last];
  else at[last] = value;
  return copy;
}

describe('the rules loader under generated input', () => {
  it('loads the base rule set the generated ones start from', () => {
    writeFileSync(join(dir, 'rules.yaml'), stringify(base));
    expect(loadPlan(dir).plan.lines.size).toBe(2);
  });

  it('either loads or rejects with every problem naming its file and place, and never crashes', () => {
    let rejected = 0;
    fc.assert(
      fc.property(fc.constantFrom(...paths), fc.option(anyValue, { nil: undefined }), (path, value) => {
        writeFileSync(join(dir, 'rules.yaml'), stringify(withValue(path, value)));
        try {
          loadPlan(dir);
        } catch (err) {
          expect(err).toBeInstanceOf(RulesInvalidError);
          rejected++;
          for (const p of (err as RulesInvalidError).problems) {
            expect(p.file).toMatch(/rules\.yaml$|manifest\.yaml$|hotline-fuzz-/);
            expect(p.message.length).toBeGreaterThan(3);
            if (p.file.endsWith('rules.yaml')) expect(p.path === '' || /^[a-zA-Z@]/.test(p.path)).toBe(true);
          }
        }
      }),
      { numRuns: 2000, seed: 20261124 },
    );
    expect(rejected).toBeGreaterThan(500);
    // 2000 loads of generated rules: pure CPU work (about 10 s on an idle core), slower on a busy machine.
  }, 120_000);

  it('rejects arbitrary text as YAML or as rules, naming the file', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        writeFileSync(join(dir, 'rules.yaml'), text);
        expect(() => loadPlan(dir)).toThrow(RulesInvalidError);
      }),
      { numRuns: 500, seed: 7 },
    );
  }, 60_000);
});
