import { describe, expect, it } from 'vitest';
import { erlangAMetrics, erlangCMetrics } from '../../src/staffing/erlang.ts';
import { simulateDay } from '../../src/whatif/simulate-day.ts';
import { agents, onePoolPlan, poissonDays } from './one-pool.ts';

/**
 * The simulator against the queueing formulas where their assumptions hold: Poisson arrivals,
 * exponential talk times, one pool served first come first served, no IVR, no wrap-up.
 *
 * Tolerances: over 8 seeds, 14 days at 140 calls/h (≈ 47,000 calls) gave service levels within
 * 0.017 of Erlang C (standard deviation ≈ 0.009), so ±0.03 is more than 3 standard deviations;
 * with patience (10 days at 200 calls/h) the abandonment stayed within 0.004 of Erlang A and the
 * service level within 0.01. The seeds are fixed: the runs repeat exactly.
 */
const plan = onePoolPlan();

describe('the what-if simulator agrees with Erlang C and Erlang A', () => {
  it('measures the service level Erlang C predicts for 10 agents at 70 % load, within ±0.03', () => {
    const traffic = { callsPerHour: 140, ahtSeconds: 180 };
    const predicted = erlangCMetrics(10, traffic, 15);
    const day = poissonDays({ ...traffic, days: 14, seed: 7 });
    const run = simulateDay(plan, day, agents(10), { serviceLevelSeconds: 15 });

    expect(run.totals.abandoned).toBe(0);
    expect(run.totals.answered).toBe(day.calls.length);
    expect(run.totals.serviceLevel).toBeGreaterThan(predicted.serviceLevel - 0.03);
    expect(run.totals.serviceLevel).toBeLessThan(predicted.serviceLevel + 0.03);
    expect(Math.abs((run.totals.asaSeconds as number) - predicted.asaSeconds)).toBeLessThan(3);
    const occupancy = run.queues.get('pool:general')!.figures.occupancy as number;
    expect(Math.abs(occupancy - predicted.occupancy)).toBeLessThan(0.02);
  });

  it('measures the abandonment and service level Erlang A predicts with exponential patience, within ±0.02 and ±0.03', () => {
    const traffic = { callsPerHour: 200, ahtSeconds: 180, patienceSeconds: 120 };
    const predicted = erlangAMetrics(10, traffic, 15);
    const day = poissonDays({ ...traffic, days: 10, seed: 11 });
    const run = simulateDay(plan, day, agents(10), { serviceLevelSeconds: 15 });

    expect(run.totals.abandoned).toBeGreaterThan(0);
    expect(Math.abs((run.totals.abandonRate as number) - predicted.probAbandon)).toBeLessThan(0.02);
    expect(Math.abs((run.totals.serviceLevel as number) - predicted.serviceLevel)).toBeLessThan(0.03);
    expect(Math.abs((run.totals.asaSeconds as number) - predicted.asaSeconds)).toBeLessThan(2);
  });

  it('gives the same figures for the same seed, and others for another', () => {
    const traffic = { callsPerHour: 140, ahtSeconds: 180, days: 1 };
    const a = simulateDay(plan, poissonDays({ ...traffic, seed: 3 }), agents(10));
    const b = simulateDay(plan, poissonDays({ ...traffic, seed: 3 }), agents(10));
    const c = simulateDay(plan, poissonDays({ ...traffic, seed: 4 }), agents(10));
    expect(b.totals).toEqual(a.totals);
    expect(c.totals).not.toEqual(a.totals);
  });
});
