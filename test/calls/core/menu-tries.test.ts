import { describe, expect, it } from 'vitest';
import type { RoutingPlan } from '../../../src/plan/compile.ts';
import { explain } from '../../../src/plan/explain.ts';
import { Harness, puyang, puyangMenu } from './harness.ts';

/**
 * Drives a call to `number` through the session as `explain --digits` reads keys: each key is
 * pressed once the prompts before it have played, `T` lets the menu's wait run out.
 */
function drive(plan: RoutingPlan, number: string, digits: string): Harness {
  const h = new Harness(plan, number);
  h.playAll();
  for (const key of digits) {
    if (key === 'T') h.fire('menu-input', 3000);
    else h.send({ kind: 'dtmf', channel: 'c1', digit: key }, 500);
    h.playAll();
  }
  return h;
}

/** Where the session stands: a queue, a dialled target, or the menu it waits in. */
function standing(h: Harness): { kind: string; id: string } | undefined {
  const s = h.state;
  if (s.menu) return { kind: 'menu', id: s.menu.id };
  if (s.queue && s.stage === 'queued') return { kind: s.queue.kind, id: s.queue.id };
  if (s.target) return { kind: s.target.kind, id: s.target.id };
  return undefined;
}

describe("Puyang's 12345 with the first-level menu off (the shipped plan)", () => {
  it('welcomes the caller, then queues for the general pool without a menu', () => {
    const h = drive(puyang, '12345', '');
    expect(h.played()).toEqual(['welcome-12345']);
    expect(h.state.stage).toBe('queued');
    expect(h.state.queue).toMatchObject({ kind: 'pool', id: 'general', skill: 'general' });
    expect(h.state.ivrPath).toEqual([]);
  });
});

describe("Puyang's 12345 menu switched on: separate tries for a wrong key and for no key", () => {
  it('replays the menu after a wrong key, and transfers on a second with a prompt that promises no retry', () => {
    const h = drive(puyangMenu, '12345', '9');
    expect(h.played()).toEqual(['welcome-12345', 'puyang-main-menu', 'menu-invalid', 'puyang-main-menu']);
    expect(h.state.menu).toMatchObject({ id: 'main', attempt: 2, failures: { invalid: 1, timeout: 0 } });
    h.send({ kind: 'dtmf', channel: 'c1', digit: '9' });
    h.playAll();
    expect(h.played().slice(4)).toEqual(['menu-invalid-transfer']);
    expect(standing(h)).toEqual({ kind: 'pool', id: 'general' });
    expect(h.state.ivrPath.map((p) => p.outcome)).toEqual(['invalid', 'invalid']);
  });

  it('sends a caller who presses nothing to an agent at the first timeout, with no retry prompt', () => {
    const h = drive(puyangMenu, '12345', 'T');
    expect(h.played()).toEqual(['welcome-12345', 'puyang-main-menu']);
    expect(standing(h)).toEqual({ kind: 'pool', id: 'general' });
  });

  it('counts no input apart from a wrong key: a wrong key, then silence, goes to an agent', () => {
    const h = drive(puyangMenu, '12345', '9T');
    expect(h.played()).toEqual(['welcome-12345', 'puyang-main-menu', 'menu-invalid', 'puyang-main-menu']);
    expect(standing(h)).toEqual({ kind: 'pool', id: 'general' });
  });

  it.each([
    ['T', { kind: 'pool', id: 'general' }],
    ['9', { kind: 'menu', id: 'main' }],
    ['9T', { kind: 'pool', id: 'general' }],
    ['99', { kind: 'pool', id: 'general' }],
    ['92', { kind: 'pool', id: 'general' }],
    ['0T', { kind: 'menu', id: 'emergency' }],
    ['0TT', { kind: 'pool', id: 'general' }],
    ['02', { kind: 'emergency', id: 'fire' }],
    ['099', { kind: 'pool', id: 'general' }],
    ['09T9', { kind: 'pool', id: 'general' }],
  ])('keys %s: the engine plays what explain says and both end at %o', (digits, expected) => {
    const h = drive(puyangMenu, '12345', digits);
    const e = explain(puyangMenu, { number: '12345', atMs: h.state.arrivedAt, digits });
    expect(e.target).toEqual(expected);
    expect(standing(h)).toEqual(expected);
    expect(h.played()).toEqual(e.prompts);
  });
});
