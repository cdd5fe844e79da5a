import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { explain } from '../../src/plan/explain.ts';
import { loadPlan } from '../../src/plan/load.ts';
import { PlanQueryError, UnknownNumberError } from '../../src/plan/problems.ts';
import { parseInstant } from '../../src/plan/zoned-time.ts';
import { puyangWithMenu } from '../support/puyang-menu.ts';

const root = join(import.meta.dirname, '../..');
const puyang = loadPlan(join(root, 'routing-rules/examples/puyang')).plan;
const jilin = loadPlan(join(root, 'routing-rules/examples/jilin')).plan;
/** Puyang with its optional first-level 12345 menu switched on (off in the shipped plan). */
const puyangMenu = puyangWithMenu();
const at = (iso: string) => parseInstant(iso, 'Asia/Shanghai')!;
const now = at('2026-11-24T10:00');

describe('the Puyang plan (濮政办〔2021〕30号)', () => {
  it('lists the 28 lines of its attachment plus 12345, with the 7-digit local number', () => {
    expect(puyang.lines.size).toBe(29);
    const modes = [...puyang.lines.values()].reduce<Record<string, number>>((acc, l) => {
      acc[l.mode] = (acc[l.mode] ?? 0) + 1;
      return acc;
    }, {});
    expect(modes).toEqual({ main: 1, 'whole-merge': 11, 'dual-number': 14, 'sub-center': 3 });
    expect(puyang.linesByNumber.get('4420000')?.name).toBe('市老李热线');
  });

  it('plays the transition prompt for three months after the July merge, then deregisters', () => {
    const phase = (iso: string) => explain(puyang, { number: '12355', atMs: at(iso) });
    expect(phase('2021-07-31T23:59').phase.kind).toBe('before-merge');
    expect(phase('2021-08-01T00:00').prompts).toEqual(['transition-whole-merge']);
    expect(phase('2021-10-31T23:59').phase.kind).toBe('transition');
    const after = phase('2021-11-01T00:00');
    expect(after.phase.kind).toBe('deregistered');
    expect(after.prompts[0]).toBe('deregistered-notice');
  });

  it('routes the expert-seat lines to their department experts', () => {
    expect(explain(puyang, { number: '12329', atMs: now }).target).toEqual({
      kind: 'expert',
      id: 'housing-fund',
    });
    expect(explain(puyang, { number: '12338', atMs: now }).target).toEqual({ kind: 'pool', id: 'general' });
  });

  it('answers 12345 with the welcome, then the general pool: its first-level menu is off (GB/T 33358)', () => {
    const r = explain(puyang, { number: '12345', atMs: now });
    expect(r.prompts).toEqual(['welcome-12345']);
    expect(r.menus).toEqual([]);
    expect(r.target).toEqual({ kind: 'pool', id: 'general' });
    expect(r.reasons).toContain('menu "main" is switched off (enabled: false): its default route, no menu');
    expect(explain(puyang, { number: '12345', atMs: now, digits: '1' }).reasons).toContain(
      'keys not used: 1',
    );
  });

  it('keeps sub-center lines linked to 12345, never merged, and routes them to their sub-center', () => {
    for (const [number, id] of [
      ['12366', 'tax'],
      ['12313', 'tobacco'],
      ['12367', 'immigration'],
    ] as const) {
      const r = explain(puyang, { number, atMs: now });
      expect(r.phase).toMatchObject({ id: 'subcenter', kind: 'linked' });
      expect(r.target).toEqual({ kind: 'subcenter', id });
    }
    expect(explain(puyang, { number: '12366', atMs: at('2021-07-31T12:00') }).target).toEqual({
      kind: 'subcenter',
      id: 'tax',
    });
  });
});

describe('the Puyang plan with its optional first-level 12345 menu switched on', () => {
  const puyang = puyangMenu;

  it('sends a caller who presses nothing on 12345 to an agent after one timeout', () => {
    const r = explain(puyang, { number: '12345', atMs: now, digits: 'T' });
    expect(r.menus).toEqual(['main']);
    expect(r.target).toEqual({ kind: 'pool', id: 'general' });
  });

  it('stops inside the menu when the keys run out', () => {
    expect(explain(puyang, { number: '12345', atMs: now }).target).toEqual({ kind: 'menu', id: 'main' });
    expect(explain(puyang, { number: '12345', atMs: now, digits: '0' }).target).toEqual({
      kind: 'menu',
      id: 'emergency',
    });
  });

  it('bridges an emergency report to the chosen emergency line with top priority', () => {
    const r = explain(puyang, { number: '12345', atMs: now, digits: '02' });
    expect(r.menus).toEqual(['main', 'emergency']);
    expect(r.prompts).toEqual([
      'welcome-12345',
      'puyang-main-menu',
      'puyang-emergency-menu',
      'emergency-connecting',
    ]);
    expect(r.target).toEqual({ kind: 'emergency', id: 'fire' });
  });

  it('takes invalid keys twice in the emergency menu, then applies its default action', () => {
    const r = explain(puyang, { number: '12345', atMs: now, digits: '099' });
    expect(r.prompts.slice(2)).toEqual([
      'puyang-emergency-menu',
      'menu-invalid',
      'puyang-emergency-menu',
      'menu-invalid-transfer',
    ]);
    expect(r.target).toEqual({ kind: 'pool', id: 'general' });
    expect(r.reasons).toContainEqual(
      expect.stringMatching(/invalid input after 2 tries \(invalid input allows 1 retry\); default action/),
    );
  });

  it('replays the main menu after a wrong key: "请重新选择" is a promise kept', () => {
    const r = explain(puyang, { number: '12345', atMs: now, digits: '9' });
    expect(r.prompts).toEqual(['welcome-12345', 'puyang-main-menu', 'menu-invalid', 'puyang-main-menu']);
    expect(r.target).toEqual({ kind: 'menu', id: 'main' });
    expect(r.reasons).toContain('menu "main": invalid input, try 2');
  });

  it('transfers on the second wrong key with a prompt that promises no retry', () => {
    const r = explain(puyang, { number: '12345', atMs: now, digits: '99' });
    expect(r.prompts.slice(-2)).toEqual(['puyang-main-menu', 'menu-invalid-transfer']);
    expect(r.prompts).not.toContain('menu-timeout');
    expect(r.target).toEqual({ kind: 'pool', id: 'general' });
  });

  it('sends a wrong key followed by silence to an agent: no input has no retry of its own', () => {
    const r = explain(puyang, { number: '12345', atMs: now, digits: '9T' });
    expect(r.prompts).toEqual(['welcome-12345', 'puyang-main-menu', 'menu-invalid', 'puyang-main-menu']);
    expect(r.target).toEqual({ kind: 'pool', id: 'general' });
    expect(r.reasons).toContainEqual(
      expect.stringMatching(/no input after 2 tries \(no input allows no retry\); default action/),
    );
  });

  it('plays the knowledge-base standard answer, then offers an agent', () => {
    const r = explain(puyang, { number: '12345', atMs: now, digits: '2' });
    expect(r.prompts).toContain('kb-puyang-merged-hotlines');
    expect(r.target).toEqual({ kind: 'pool', id: 'general' });
  });

  it('runs the progress self-query with the ticket number keyed after it', () => {
    const r = explain(puyang, { number: '12345', atMs: now, digits: '1202111240001#' });
    expect(r.prompts).toContain('progress-query-ask');
    expect(r.reasons.some((x) => x.includes('(12 keys)'))).toBe(true);
    expect(r.target).toEqual({ kind: 'pool', id: 'general' });
  });
});

describe('the Jilin plan (吉政办发〔2021〕16号)', () => {
  it('splits the shared number by voice navigation: 1 Changchun, 2 the province', () => {
    expect(explain(jilin, { number: '12345', atMs: now, digits: '1' }).target).toEqual({
      kind: 'pool',
      id: 'changchun',
    });
    const province = explain(jilin, { number: '12345', atMs: now, digits: '2' });
    expect(province.target).toEqual({ kind: 'center', id: 'jilin-province' });
    expect(province.prompts).toEqual(['welcome-12345', 'nav-jilin-level', 'province-connecting']);
  });

  it.each(['110', '119', '120', '122'])(
    'queues a call handed over by %s ahead of ordinary callers (emergency-line linkage)',
    (caller) => {
      const handedOver = explain(jilin, { number: '12345', atMs: now, digits: '1', caller });
      const ordinary = explain(jilin, { number: '12345', atMs: now, digits: '1', caller: '13900000000' });
      expect(handedOver.target).toEqual({ kind: 'pool', id: 'changchun' });
      expect(handedOver.reasons).toContain(
        'caller belongs to "emergency-handover" (紧急热线转来的非紧急诉求): priority 8',
      );
      const queued = (r: typeof ordinary) => r.reasons.find((x) => x.startsWith('queued for'));
      expect(queued(handedOver)).toMatch(/priority 8$/);
      expect(queued(ordinary)).toMatch(/priority 5$/);
    },
  );

  it('lets the city answer first when the caller makes no choice', () => {
    const r = explain(jilin, { number: '12345', atMs: now, digits: 'TTT' });
    expect(r.prompts.filter((p) => p === 'nav-jilin-level')).toHaveLength(3);
    expect(r.target).toEqual({ kind: 'pool', id: 'changchun' });
  });
});

describe('explain input', () => {
  it('rejects an unknown number instead of guessing', () => {
    expect(() => explain(jilin, { number: '12366', atMs: now })).toThrow(UnknownNumberError);
  });
  it('rejects keys that are not DTMF', () => {
    expect(() => explain(jilin, { number: '12345', atMs: now, digits: '1a' })).toThrow(PlanQueryError);
  });
});
