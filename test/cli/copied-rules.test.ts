import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadPlan } from '../../src/plan/load.ts';
import { writePlan } from '../support/rules-fixture.ts';

const root = join(import.meta.dirname, '../..');
const hotline = (cwd: string, ...args: string[]) =>
  spawnSync(process.execPath, [join(root, 'bin/hotline.js'), ...args], { cwd, encoding: 'utf8' });

// Each case runs the command as a child process (tsx and the loader): slow on a busy machine.
describe('a rules folder copied away from the project', { timeout: 120_000 }, () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hotline-copy-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('validates: its relative prompts path falls back to the project’s prompts, with a warning', () => {
    // cp -r routing-rules /tmp/x && hotline validate --rules /tmp/x (run from elsewhere)
    const copy = join(dir, 'x');
    cpSync(join(root, 'routing-rules'), copy, { recursive: true });
    const r = hotline(dir, 'validate', '--rules', copy);
    expect(r.stdout).toMatch(/^ok: 四川省12345政务服务便民热线 — 33 lines/);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain(
      `warning: x/center.yaml:center.prompts: ../ivr-prompts/manifest.yaml is not beside this rules folder ` +
        `(no ${dir}/ivr-prompts/manifest.yaml); using ${root}/ivr-prompts/manifest.yaml`,
    );
    // The example plans, three levels down in the project, copied one level down.
    const puyang = hotline(dir, 'validate', '--rules', join(copy, 'examples/puyang'));
    expect(puyang.stdout).toMatch(/^ok: 濮阳市12345政务服务便民热线/);
    expect(puyang.status).toBe(0);
  });

  it('resolves the prompts path against the rules folder that names it, wherever the command runs', () => {
    // A rules folder that carries its own manifest (`prompts: prompts/manifest.yaml`), copied.
    const original = writePlan();
    try {
      const copy = join(dir, 'copied-plan');
      cpSync(original, copy, { recursive: true });
      const r = hotline(tmpdir(), 'validate', '--rules', copy);
      expect(r.stdout).toMatch(/^ok: 测试中心/);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(loadPlan(copy).manifestPath).toBe(join(copy, 'prompts/manifest.yaml'));
    } finally {
      rmSync(original, { recursive: true, force: true });
    }
  });

  it('still reports a prompts path that resolves nowhere, at the line that names it', () => {
    const plan = writePlan({ 'prompts/manifest.yaml': null });
    try {
      const r = hotline(root, 'validate', '--rules', plan);
      expect(r.status).toBe(1);
      expect(r.stdout.trim()).toBe(
        `${plan}/center.yaml:center.prompts: cannot read ${plan}/prompts/manifest.yaml (ENOENT)`,
      );
    } finally {
      rmSync(plan, { recursive: true, force: true });
    }
  });
});
