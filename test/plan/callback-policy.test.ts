import { rmSync } from 'node:fs';
import { basename } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadPlan } from '../../src/plan/load.ts';
import { RulesInvalidError } from '../../src/plan/problems.ts';
import { DialAllowList } from '../../src/telephony/dial-allow-list.ts';
import {
  CALLBACK_POLICY,
  callbackPlanDir,
  SICHUAN_DIR,
  sichuanWithCallbacks,
} from '../support/callback-plan.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Loads Sichuan with the given call-back policy on the general pool; its problems as `file:path: message`. */
function problemsOf(policy: string): string[] {
  const dir = callbackPlanDir(policy);
  dirs.push(dir);
  try {
    loadPlan(dir, { bases: [dir, SICHUAN_DIR] });
  } catch (err) {
    expect(err).toBeInstanceOf(RulesInvalidError);
    return (err as RulesInvalidError).problems.map((p) => `${basename(p.file)}:${p.path}: ${p.message}`);
  }
  throw new Error('the plan loaded although it is invalid');
}

describe('the call-back policy of a queue', () => {
  it('loads with its defaults filled in', () => {
    const plan = sichuanWithCallbacks(`      callback:
        offerAfterSeconds: 90
        dial: "PJSIP/{number}@citizen-trunk"
`);
    expect(plan.pools.get('general')!.queue.callback).toEqual({
      enabled: true,
      offerAfterSeconds: 90,
      key: '1',
      attempts: 3,
      retryIntervalSeconds: 30,
      ringSeconds: 30,
      dial: 'PJSIP/{number}@citizen-trunk',
    });
  });

  it.each([
    [
      'a dial string without {number}',
      CALLBACK_POLICY.replace('{number}', '13800138000'),
      'queue.callback.dial',
    ],
    ['a key that is not one digit', CALLBACK_POLICY.replace('key: "1"', 'key: "#"'), 'queue.callback.key'],
    ['no attempt at all', CALLBACK_POLICY.replace('attempts: 2', 'attempts: 0'), 'queue.callback.attempts'],
    [
      'an offer after the longest wait',
      CALLBACK_POLICY.replace('offerAfterSeconds: 60', 'offerAfterSeconds: 400'),
      'queue.callback.offerAfterSeconds',
    ],
    ['an unknown field', `${CALLBACK_POLICY}        trunk: citizen\n`, 'queue.callback'],
  ])('refuses %s, naming the file and the path', (_what, policy, path) => {
    const problems = problemsOf(policy);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(new RegExp(`^targets\\.yaml:pools\\[0\\]\\.${path.replace(/\./g, '\\.')}`));
  });

  it('lets the engine dial a caller back on the trunk, with digits only in place of the number', () => {
    const list = DialAllowList.build({ agents: [], plan: sichuanWithCallbacks() });
    expect(list.allows('PJSIP/13800138000@citizen-trunk', 'target')).toBe(true);
    expect(list.allows('PJSIP/13800138000@citizen-trunk', 'agent')).toBe(false);
    expect(list.allows('PJSIP/1380013800x@citizen-trunk', 'target')).toBe(false);
    expect(list.allows('PJSIP/12@citizen-trunk', 'target')).toBe(false);
    expect(list.allows('PJSIP/13800138000@other-trunk', 'target')).toBe(false);
    expect(list.allows('PJSIP/138;x@citizen-trunk', 'target')).toBe(false);
  });
});
