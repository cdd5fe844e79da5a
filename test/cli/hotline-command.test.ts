import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { removePlan, writePlan } from '../support/rules-fixture.ts';

const root = join(import.meta.dirname, '../..');
const hotline = (...args: string[]) =>
  spawnSync(process.execPath, [join(root, 'bin/hotline.js'), ...args], { cwd: root, encoding: 'utf8' });

// Each case runs the command as a child process (tsx and the loader): slow on a busy machine.
describe('the hotline command', { timeout: 120_000 }, () => {
  it.each(['routing-rules', 'routing-rules/examples/puyang', 'routing-rules/examples/jilin'])(
    'validates the shipped plan %s',
    (dir) => {
      // As of a fixed day: the holiday data a plan needs depends on the year (the next year's
      // State Council notice), and a test must not start failing on 1 January.
      const r = hotline('validate', '--rules', dir, '--today', '2026-11-30');
      expect(r.stdout).toMatch(/^ok: /);
      expect(r.status).toBe(0);
    },
  );

  it('prints one FILE:PATH line per problem and exits 1 on invalid rules', () => {
    const dir = writePlan({
      'lines.yaml':
        'lines:\n  - { id: a, number: "12345", name: 一, mode: main, department: 甲, topic: t, route: { goto: "pool:nope" } }\n  - { id: b, number: "12345", name: 二, mode: main, department: 乙, topic: t, route: { goto: "pool:general" } }\n',
    });
    try {
      const r = hotline('validate', '--rules', dir);
      expect(r.status).toBe(1);
      const out = r.stdout.trim().split('\n');
      expect(out).toHaveLength(2);
      expect(out[0]).toMatch(/lines\.yaml:lines\[0\]\.route\.goto: no pool "nope"$/);
      expect(out[1]).toMatch(/lines\.yaml:lines\[1\]\.number: number 12345 is already used/);
    } finally {
      removePlan(dir);
    }
  });

  it('explains a call as JSON with the documented fields', () => {
    const r = hotline('explain', '--number', '12301', '--at', '2021-06-15T09:00:00+08:00');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out)).toEqual([
      'number',
      'line',
      'phase',
      'prompts',
      'spoken',
      'menus',
      'target',
      'timeToTarget',
      'provenance',
      'reasons',
    ]);
    expect(out.phase).toEqual({
      id: 'transition',
      kind: 'transition',
      from: '2021-06-01T00:00:00+08:00',
      until: '2021-10-01T00:00:00+08:00',
    });
    expect(out.line).toEqual({ id: 'l12301', name: '全国统一旅游资讯服务电话', mode: 'whole-merge' });
    expect(out.phase).toMatchObject({ id: 'transition', kind: 'transition' });
    expect(out.target).toEqual({ kind: 'pool', id: 'general' });
  });

  it('exits 2 with a clear message for an unknown number', () => {
    const r = hotline('explain', '--number', '95555');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/no line of the routing plan answers number "95555"/);
    expect(r.stdout).toBe('');
  });

  it('exits 2 for a time that is not ISO 8601', () => {
    const r = hotline('explain', '--number', '12345', '--at', 'tomorrow');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--at: "tomorrow"/);
  });

  it('prints the rules JSON Schema for editors', () => {
    const r = hotline('schema');
    expect(r.status).toBe(0);
    const schema = JSON.parse(r.stdout);
    expect(schema.properties.lines.type).toBe('array');
    expect(schema.properties.center).toBeDefined();
  });

  it('answers an unknown command with the usage and exit 2', () => {
    const r = hotline('frobnicate');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown command "frobnicate"/);
  });
});
