import { describe, expect, it } from 'vitest';
import { escalate } from '../../src/acd/escalation.ts';
import { ManualClock } from '../../src/clock.ts';
import { call, policy, T0 } from './helpers.ts';

const full = policy('general', {
  widenAfterSeconds: 30,
  overflowAfterSeconds: 90,
  overflowTo: 'center-provincial',
  maxWaitSeconds: 180,
});

describe('escalation of a waiting call', () => {
  it('moves through preferred, widened, overflow and max-wait exactly at each boundary', () => {
    const clock = new ManualClock(T0);
    const c = call('c1', { enqueuedAt: T0, preferredSkill: 'tax' });
    const stageAt = () => escalate(c, full, clock.now()).stage;
    expect(escalate(c, full, clock.now())).toEqual({ stage: 'preferred', since: T0, nextAt: T0 + 30_000 });
    clock.advance(29_999);
    expect(stageAt()).toBe('preferred');
    clock.advance(1);
    expect(escalate(c, full, clock.now())).toEqual({
      stage: 'widened',
      since: T0 + 30_000,
      nextAt: T0 + 90_000,
    });
    clock.advance(59_999);
    expect(stageAt()).toBe('widened');
    clock.advance(1);
    expect(escalate(c, full, clock.now())).toEqual({
      stage: 'overflow',
      since: T0 + 90_000,
      nextAt: T0 + 180_000,
      overflowTo: 'center-provincial',
    });
    clock.advance(89_999);
    expect(stageAt()).toBe('overflow');
    clock.advance(1);
    expect(escalate(c, full, clock.now())).toEqual({ stage: 'max-wait', since: T0 + 180_000 });
  });

  it('stays preferred until overflow when the policy never widens', () => {
    const p = policy('general', { overflowAfterSeconds: 60, overflowTo: 'x', maxWaitSeconds: 120 });
    const c = call('c1', { preferredSkill: 'tax' });
    expect(escalate(c, p, T0 + 59_999)).toMatchObject({ stage: 'preferred', nextAt: T0 + 60_000 });
    expect(escalate(c, p, T0 + 60_000).stage).toBe('overflow');
  });

  it('goes from widened straight to max-wait when there is no overflow target', () => {
    const p = policy('general', { widenAfterSeconds: 10, maxWaitSeconds: 50 });
    const c = call('c1');
    expect(escalate(c, p, T0 + 10_000)).toEqual({
      stage: 'widened',
      since: T0 + 10_000,
      nextAt: T0 + 50_000,
    });
    expect(escalate(c, p, T0 + 50_000).stage).toBe('max-wait');
  });

  it('lets max-wait win when it comes before the overflow threshold', () => {
    const p = policy('general', { overflowAfterSeconds: 100, overflowTo: 'x', maxWaitSeconds: 60 });
    const c = call('c1');
    expect(escalate(c, p, T0)).toMatchObject({ stage: 'preferred', nextAt: T0 + 60_000 });
    expect(escalate(c, p, T0 + 60_000).stage).toBe('max-wait');
  });

  it('counts from the time the call entered the queue, not from now', () => {
    const c = call('c1', { enqueuedAt: T0 + 5000 });
    expect(escalate(c, full, T0 + 34_999).stage).toBe('preferred');
    expect(escalate(c, full, T0 + 35_000).stage).toBe('widened');
  });
});
