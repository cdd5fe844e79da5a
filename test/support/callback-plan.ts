import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RoutingPlan } from '../../src/plan/compile.ts';
import { loadPlan } from '../../src/plan/load.ts';

const root = join(import.meta.dirname, '../..');
export const SICHUAN_DIR = join(root, 'routing-rules');

/** The call-back policy the tests give the general pool (a trunk `citizen-trunk`). */
export const CALLBACK_POLICY = `      callback:
        offerAfterSeconds: 60
        key: "1"
        attempts: 2
        retryIntervalSeconds: 20
        ringSeconds: 20
        dial: "PJSIP/{number}@citizen-trunk"
`;

/**
 * A copy of Sichuan's rules whose general pool offers call-backs (`policy` written under its
 * `queue:`, after `ringSeconds: 15`). The caller removes the folder.
 */
export function callbackPlanDir(policy = CALLBACK_POLICY): string {
  const dir = mkdtempSync(join(tmpdir(), 'sichuan-callback-'));
  for (const name of readdirSync(SICHUAN_DIR).filter((n) => n.endsWith('.yaml'))) {
    let text = readFileSync(join(SICHUAN_DIR, name), 'utf8');
    if (name === 'targets.yaml') {
      const general = / {2}- id: general\n(?:.*\n)*? {6}ringSeconds: 15\n/;
      if (!general.test(text)) throw new Error('targets.yaml: pool "general" has no "ringSeconds: 15"');
      text = text.replace(general, (m) => `${m}${policy}`);
    }
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

/** Sichuan's plan with call-backs in the general pool (prompts from the shipped manifest). */
export function sichuanWithCallbacks(policy = CALLBACK_POLICY): RoutingPlan {
  const dir = callbackPlanDir(policy);
  try {
    return loadPlan(dir, { bases: [dir, SICHUAN_DIR] }).plan;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
