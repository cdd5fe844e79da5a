import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RoutingPlan } from '../../src/plan/compile.ts';
import { loadPlan } from '../../src/plan/load.ts';

const root = join(import.meta.dirname, '../..');
export const PUYANG_DIR = join(root, 'routing-rules/examples/puyang');

/**
 * A copy of Puyang's rules with its optional first-level 12345 menu switched on, as an operator
 * does it: `enabled: false` → `enabled: true` on menu "main" in center.yaml, nothing else. The
 * caller removes the folder (`rmSync(dir, { recursive: true })`).
 */
export function puyangMenuOnDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'puyang-menu-on-'));
  for (const name of readdirSync(PUYANG_DIR).filter((n) => n.endsWith('.yaml'))) {
    let text = readFileSync(join(PUYANG_DIR, name), 'utf8');
    if (name === 'center.yaml') {
      const off = /^(\s+- id: main\n(?:\s+\w+: .*\n)*?\s+)enabled: false$/m;
      if (!off.test(text)) throw new Error('center.yaml: menu "main" has no "enabled: false" to switch on');
      text = text.replace(off, '$1enabled: true');
    }
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

/** Puyang's plan with the first-level 12345 menu switched on (prompts from the shipped manifest). */
export function puyangWithMenu(): RoutingPlan {
  const dir = puyangMenuOnDir();
  try {
    return loadPlan(dir, { bases: [dir, PUYANG_DIR] }).plan;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
