import { describe, expect, it } from 'vitest';
import { HealthTable, initialHealth, nextHealth } from '../../src/edge/node-health.ts';

describe('health by SIP OPTIONS', () => {
  it('starts down until a first answer', () => {
    expect(initialHealth.up).toBe(false);
    expect(new HealthTable(['a']).isUp('a')).toBe(false);
  });

  it('is up after one answered OPTIONS, with its round trip', () => {
    const h = nextHealth(initialHealth, { kind: 'answered', status: 200, rttMs: 3 }, 1000);
    expect(h).toMatchObject({ up: true, rttMs: 3, lastStatus: 200, checkedAt: 1000 });
  });

  it('counts a 4xx as alive and a 5xx as failed', () => {
    expect(nextHealth(initialHealth, { kind: 'answered', status: 404, rttMs: 1 }, 1).up).toBe(true);
    const h = nextHealth(initialHealth, { kind: 'answered', status: 503, rttMs: 1 }, 1);
    expect(h).toMatchObject({ up: false, reason: 'answered 503' });
  });

  it('is down after one unanswered or failed OPTIONS, and up again after one answered', () => {
    const t = new HealthTable(['a']);
    expect(t.settle('a', t.begin('a'), { kind: 'answered', status: 200, rttMs: 1 }, 1)).toBe('up');
    expect(t.settle('a', t.begin('a'), { kind: 'unanswered' }, 2)).toBe('down');
    expect(t.get('a')).toMatchObject({ up: false, reason: 'no answer', rttMs: 1 });
    expect(t.settle('a', t.begin('a'), { kind: 'answered', status: 200, rttMs: 2 }, 3)).toBe('up');
    expect(t.settle('a', t.begin('a'), { kind: 'failed', reason: 'ECONNREFUSED' }, 4)).toBe('down');
    expect(t.settle('a', t.begin('a'), { kind: 'failed', reason: 'again' }, 5)).toBeUndefined();
  });

  it('calls a node suspect when one OPTIONS went unanswered right after it was up, and no longer at the next miss', () => {
    const t = new HealthTable(['a']);
    t.settle('a', t.begin('a'), { kind: 'unanswered' }, 1);
    expect(t.get('a').suspect).toBe(false); // never up: not suspect, down
    t.settle('a', t.begin('a'), { kind: 'answered', status: 200, rttMs: 1 }, 2);
    t.settle('a', t.begin('a'), { kind: 'unanswered' }, 3);
    expect(t.get('a')).toMatchObject({ up: false, suspect: true, reason: 'no answer' });
    t.settle('a', t.begin('a'), { kind: 'unanswered' }, 4);
    expect(t.get('a').suspect).toBe(false);
    t.settle('a', t.begin('a'), { kind: 'answered', status: 200, rttMs: 1 }, 5);
    t.settle('a', t.begin('a'), { kind: 'failed', reason: 'ECONNREFUSED' }, 6);
    expect(t.get('a').suspect).toBe(false); // a failure is not a busy node
  });

  it('ignores the late answer of a probe that already timed out', () => {
    const t = new HealthTable(['a']);
    const old = t.begin('a');
    t.settle('a', old, { kind: 'unanswered' }, 1);
    const current = t.begin('a');
    expect(t.settle('a', old, { kind: 'answered', status: 200, rttMs: 900 }, 2)).toBeUndefined();
    expect(t.isUp('a')).toBe(false);
    expect(t.settle('a', current, { kind: 'answered', status: 200, rttMs: 1 }, 3)).toBe('up');
  });
});
