import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * A minimal valid plan: one center, a manifest, a pool, 12345 and one whole-merge line. The
 * prompts `pick` and `wrong` are for tests that add a menu (`centers`: validate does not report
 * them unused in this plan).
 */
export const minimalPlan: Record<string, string> = {
  'prompts/manifest.yaml': `prompts:
  - { id: welcome, text: 欢迎致电12345 }
  - { id: notice, text: 过渡期提示 }
  - { id: gone, text: 号码已注销 }
  - { id: pick, text: 请选择, centers: [with-menu] }
  - { id: wrong, text: 输入有误, centers: [with-menu] }
`,
  'center.yaml': `center:
  id: test
  name: 测试中心
  timezone: Asia/Shanghai
  prompts: prompts/manifest.yaml
  fallback: { goto: "pool:general" }
pools:
  - id: general
    name: 综合
`,
  'lines.yaml': `lines:
  - id: main
    number: "12345"
    name: 12345热线
    mode: main
    department: 中心
    topic: general
    route: { prompts: [welcome], goto: "pool:general" }
  - id: old
    number: "12396"
    name: 旧号码
    mode: whole-merge
    department: 科技厅
    topic: science
    phases:
      - { id: before, kind: before-merge, until: 2021-06-01, route: { goto: "pool:general" } }
      - { id: transition, kind: transition, from: 2021-06-01, until: 2021-10-01, route: { prompts: [notice], goto: "pool:general" } }
      - { id: gone, kind: deregistered, from: 2021-10-01, route: { prompts: [gone], goto: "line:main" } }
`,
};

/** Writes a plan folder in a temp dir; `files` override or add (null removes) minimalPlan's files. */
export function writePlan(files: Record<string, string | null> = {}, base = minimalPlan): string {
  const dir = mkdtempSync(join(tmpdir(), 'hotline-rules-'));
  const all = { ...base, ...files };
  for (const [name, text] of Object.entries(all)) {
    if (text === null) continue;
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

/** Copies a shipped plan folder (and the prompt manifest it points at) to a temp dir to modify. */
export function copyPlan(src: string, manifestDir: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'hotline-plan-'));
  cpSync(src, join(dir, 'rules'), { recursive: true, filter: (p) => !p.includes('examples') });
  cpSync(manifestDir, join(dir, 'ivr-prompts'), { recursive: true });
  return join(dir, 'rules');
}

export function removePlan(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
