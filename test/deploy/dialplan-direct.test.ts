import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { gateVariable } from '../../src/admission/gate.ts';
import {
  DIRECT_CONTEXT,
  DIRECT_FAILED_CONTEXT,
  generateExtensions,
  STASIS_CONTEXT,
} from '../../src/deploy/extensions.ts';
import { explain } from '../../src/plan/explain.ts';
import { loadPlan } from '../../src/plan/load.ts';
import { directSubcenter, pbxDialOf } from '../../src/plan/pbx-direct.ts';
import { parseInstant } from '../../src/plan/zoned-time.ts';
import { minimalPlan, removePlan, writePlan } from '../support/rules-fixture.ts';
import { dialplanSteps, evalExpressions, parseConf, type Step } from './asterisk-conf.ts';

const root = join(import.meta.dirname, '../..');
const puyang = loadPlan(join(root, 'routing-rules/examples/puyang')).plan;
const sichuan = loadPlan(join(root, 'routing-rules')).plan;
const now = parseInstant('2026-11-24T10:00', 'Asia/Shanghai')!;
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) removePlan(d);
});

/**
 * Runs the generated dialplan for a call to `dialed` as Asterisk would, the sub-center's Dial()
 * ending with `dialStatus`: the apps Stasis() is entered with (their arguments, variables
 * expanded), the Dial() strings, and where the call ended.
 */
function walk(text: string, dialed: string, dialStatus: string, globals: Record<string, string> = {}) {
  const steps = dialplanSteps(parseConf(text));
  const vars: Record<string, string> = {
    ...globals,
    EPOCH: '1764500000',
    UNIQUEID: 'u1',
    'RAND(1,2)': '1',
    'RAND(1,100)': '50',
  };
  const expand = (t: string) => evalExpressions(t.replace(/\$\{([^}]+)\}/g, (_, v: string) => vars[v] ?? ''));
  const stasis: string[] = [];
  const dials: string[] = [];
  let context = 'hotline-numbers';
  let exten = dialed;
  let pc = steps.findIndex((s) => s.context === context && s.exten === exten);
  const goto = (target: string) => {
    const parts = target.split(',');
    if (parts.length === 3) {
      [context, exten] = [parts[0]!, parts[1]!];
      if (context === 'hotline-fallback') return 'safety net';
      pc = steps.findIndex((s) => s.context === context && (s.exten === exten || s.exten === '_X.'));
    } else pc = steps.findIndex((s) => s.context === context && s.label === target);
    if (pc < 0) throw new Error(`no ${target}`);
    return undefined;
  };
  vars.EXTEN = exten;
  for (let guard = 0; guard < 200; guard++) {
    const step: Step | undefined = steps[pc++];
    if (!step || step.context !== context) return { stasis, dials, end: 'fell off' };
    vars.EXTEN = exten;
    const args = expand(step.args);
    if (step.app === 'Set') {
      const i = args.indexOf('=');
      vars[args.slice(0, i)] = args.slice(i + 1);
    } else if (step.app === 'Dial') {
      dials.push(args);
      vars.DIALSTATUS = dialStatus;
    } else if (step.app === 'Stasis') {
      stasis.push(args);
      vars.STASISSTATUS = 'SUCCESS';
    } else if (step.app === 'Goto') {
      const end = goto(args);
      if (end) return { stasis, dials, end, shed: vars.HOTLINE_SHED };
    } else if (step.app === 'GotoIf') {
      const [cond, target] = args.split('?') as [string, string];
      const truth = cond.trim() === '1';
      if (truth) {
        const end = goto(target);
        if (end) return { stasis, dials, end, shed: vars.HOTLINE_SHED };
      }
    } else if (step.app === 'Hangup') return { stasis, dials, end: `hangup in ${context}` };
  }
  throw new Error('the dialplan loops');
}

describe('sub-center lines in the generated dialplan', () => {
  const text = generateExtensions(puyang, ['a', 'b'], 'test');

  it.each(['12366', '039312366', '+8639312366', '008639312366'])(
    'puts %s straight through to the tax sub-center, never entering Stasis when it answers',
    (dialed) => {
      const r = walk(text, dialed, 'ANSWER');
      expect(r.dials).toEqual(['PJSIP/12366@sc-tax,30']);
      expect(r.stasis).toEqual([]);
      expect(r.end).toBe(`hangup in ${DIRECT_CONTEXT}`);
    },
  );

  it.each(['BUSY', 'NOANSWER', 'CONGESTION', 'CHANUNAVAIL'])(
    'hands the call to the engine with the reason when the sub-center ends %s',
    (status) => {
      const r = walk(text, '12313', status);
      expect(r.dials).toEqual(['PJSIP/12313@sc-tobacco,30']);
      expect(r.stasis).toEqual([`a,12313,direct-failed,subcenter:tobacco,${status},1764500000`]);
      expect(r.end).toBe(`hangup in ${DIRECT_FAILED_CONTEXT}`);
      // what the engine reads from those arguments
      expect(pbxDialOf(r.stasis[0]!.split(',').slice(1))).toMatchObject({
        target: { kind: 'subcenter', id: 'tobacco' },
        status,
        startedAt: 1764500000_000,
      });
    },
  );

  it('sends a failed direct dial to the safety net at once while the engine sheds (the gate)', () => {
    const gated = { [gateVariable('a')]: 'forced', [gateVariable('b')]: 'forced' };
    const r = walk(text, '12313', 'BUSY', gated);
    expect(r.dials).toEqual(['PJSIP/12313@sc-tobacco,30']);
    expect(r.stasis).toEqual([]);
    expect(r).toMatchObject({ end: 'safety net', shed: 'forced' });
    // one app gated: the other takes the call
    const half = walk(text, '12313', 'BUSY', { [gateVariable('a')]: 'forced' });
    expect(half.stasis).toEqual(['b,12313,direct-failed,subcenter:tobacco,BUSY,1764500000']);
  });

  it('keeps every other line on the engine: 12345, the merged and the expert-seat lines', () => {
    for (const dialed of ['12345', '12348', '12396', '4420000', '03934420000']) {
      const r = walk(text, dialed, 'ANSWER');
      expect(r.dials, dialed).toEqual([]);
      expect(r.stasis, dialed).toEqual([`a,${dialed.replace(/^0393/, '0393')}`]);
      expect(r.end).toBe(`hangup in ${STASIS_CONTEXT}`);
    }
  });

  it("puts Sichuan's five sub-center lines straight through in the committed extensions file", () => {
    const committed = readFileSync(join(root, 'dialplan/extensions-generated.conf'), 'utf8');
    const direct = [...sichuan.linesByNumber.values()].filter((l) => directSubcenter(sichuan, l));
    expect(direct.map((l) => l.number).sort()).toEqual(['12305', '12313', '12360', '12366', '12367']);
    for (const line of direct) {
      const sc = directSubcenter(sichuan, line)!;
      const r = walk(committed, line.number, 'ANSWER');
      expect(r.dials).toEqual([`${sc.dial},${sc.ringSeconds}`]);
      expect(r.stasis).toEqual([]);
    }
  });

  it('tells in explain that the PBX puts the call through and 12345 does not answer it', () => {
    const r = explain(puyang, { number: '12366', atMs: now });
    expect(r.target).toEqual({ kind: 'subcenter', id: 'tax' });
    expect(r.prompts).toEqual([]);
    expect(r.reasons).toContainEqual(
      expect.stringMatching(
        /^the PBX puts calls to 12366 straight through to sub-center "tax" .*12345 does not answer them/,
      ),
    );
    expect(explain(puyang, { number: '12345', atMs: now }).reasons.join('\n')).not.toMatch(/the PBX puts/);
  });
});

describe('which sub-center lines the PBX puts straight through', () => {
  const center = `${minimalPlan['center.yaml']}subcenters:\n  - { id: tax, name: 税务分中心, number: "12366", department: 税务局, dial: "PJSIP/12366@sc-tax" }\n`;
  const line = (phases: string) =>
    `${minimalPlan['lines.yaml']}  - id: tax\n    number: "12366"\n    name: 税务\n    mode: sub-center\n    department: 税务局\n    topic: tax\n    phases:\n${phases}`;
  const plain =
    '      - { id: before, kind: before-merge, until: 2021-04-01, route: { goto: "subcenter:*" } }\n      - { id: link, kind: linked, from: 2021-04-01, route: { goto: "subcenter:tax" } }\n';
  const directOf = (files: Record<string, string>) => {
    const dir = writePlan(files);
    dirs.push(dir);
    const { plan } = loadPlan(dir);
    return directSubcenter(plan, plan.linesByNumber.get('12366')!)?.id;
  };

  it('is one whose every phase goes plainly to the same 7×24 sub-center', () => {
    expect(directOf({ 'center.yaml': center, 'lines.yaml': line(plain) })).toBe('tax');
  });

  it('is not one with a prompt in a phase, a center greeting, or a sub-center with hours', () => {
    expect(
      directOf({
        'center.yaml': center,
        'lines.yaml': line(
          plain.replace(
            'route: { goto: "subcenter:tax" }',
            'route: { prompts: [notice], goto: "subcenter:tax" }',
          ),
        ),
      }),
    ).toBeUndefined();
    expect(
      directOf({
        'center.yaml': center.replace('  fallback:', '  greeting: [welcome]\n  fallback:'),
        'lines.yaml': line(plain),
      }),
    ).toBeUndefined();
    expect(
      directOf({
        'center.yaml': center
          .replace(
            'dial: "PJSIP/12366@sc-tax" }',
            'dial: "PJSIP/12366@sc-tax", hours: office, closed: { goto: "pool:general" } }',
          )
          .concat('schedules:\n  - { id: office, weekly: { mon: ["09:00-17:00"] } }\n'),
        'lines.yaml': line(plain),
      }),
    ).toBeUndefined();
  });

  it('reads the Stasis arguments of a failed direct dial and nothing else', () => {
    expect(pbxDialOf(['12366', 'direct-failed', 'subcenter:tax', 'NOANSWER', '1764500000'])).toEqual({
      target: { kind: 'subcenter', id: 'tax' },
      status: 'NOANSWER',
      result: 'no-answer',
      startedAt: 1764500000_000,
    });
    expect(pbxDialOf(['12366', 'direct-failed', 'subcenter:tax', 'WHATEVER', ''])).toMatchObject({
      result: 'failed',
    });
    expect(pbxDialOf(['12366'])).toBeUndefined();
    expect(pbxDialOf(['12366', 'direct-failed', 'pool:general', 'BUSY'])).toBeUndefined();
  });
});
