import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  agentsByErlangA,
  agentsByErlangC,
  erlangAMetrics,
  erlangB,
  erlangC,
  erlangCMetrics,
  offeredErlangs,
} from '../../src/staffing/erlang.ts';
import { StaffingInputError } from '../../src/staffing/errors.ts';

/**
 * Independent reference: the stationary distribution of the M/M/N+M birth–death chain (γ = 0 gives
 * M/M/N), built by plain products over a truncated state space (fine for the small cases here).
 */
function chain(agents: number, lambda: number, mu: number, gamma: number, states = 4000): number[] {
  const weights = [1];
  for (let k = 1; k < states; k++) {
    const death = Math.min(k, agents) * mu + Math.max(k - agents, 0) * gamma;
    weights.push((weights[k - 1]! * lambda) / death);
  }
  const total = weights.reduce((a, b) => a + b, 0);
  return weights.map((w) => w / total);
}

/** Poisson probabilities e^{-m} m^n / n! for n = 0..count−1. */
function poisson(mean: number, count: number): number[] {
  const out = [Math.exp(-mean)];
  for (let n = 1; n < count; n++) out.push((out[n - 1]! * mean) / n);
  return out;
}

/** M/M/N reference: P(wait), P(wait ≤ t) and mean wait, from the chain and Erlang-k waiting times. */
function referenceC(agents: number, callsPerHour: number, aht: number, t: number) {
  const lambda = callsPerHour / 3600;
  const mu = 1 / aht;
  const pi = chain(agents, lambda, mu, 0);
  const rate = agents * mu;
  const pois = poisson(rate * t, pi.length + 1);
  let probWait = 0;
  let late = 0;
  let meanWait = 0;
  for (let k = agents; k < pi.length; k++) {
    const ahead = k - agents + 1; // stages to wait through
    probWait += pi[k]!;
    meanWait += (pi[k]! * ahead) / rate;
    // P(Erlang(ahead, rate) > t) = P(Poisson(rate·t) < ahead)
    let below = 0;
    for (let n = 0; n < ahead; n++) below += pois[n]!;
    late += pi[k]! * below;
  }
  return { probWait, serviceLevel: 1 - late, asaSeconds: meanWait };
}

/**
 * M/M/N+M reference for "answered within t": the tagged caller's absorbing chain (j callers ahead,
 * moves up at Nμ + jγ, abandons at γ) solved by uniformization, weighted by what arrivals see.
 */
function referenceA(agents: number, callsPerHour: number, aht: number, patience: number, t: number) {
  const lambda = callsPerHour / 3600;
  const mu = 1 / aht;
  const gamma = 1 / patience;
  const pi = chain(agents, lambda, mu, gamma, 600);
  let probWait = 0;
  let queue = 0;
  const ahead: number[] = [];
  for (let k = agents; k < pi.length; k++) {
    probWait += pi[k]!;
    queue += (k - agents) * pi[k]!;
    ahead.push(pi[k]!);
  }
  const size = ahead.length;
  const uniform = agents * mu + (size + 1) * gamma;
  let state = ahead.slice();
  let served = 0;
  let servedByT = 0;
  const steps = Math.ceil(uniform * t + 12 * Math.sqrt(uniform * t) + 20);
  const pois = poisson(uniform * t, steps + 1);
  for (let n = 0; n <= steps; n++) {
    servedByT += pois[n]! * served;
    const next = new Array<number>(size).fill(0);
    for (let j = 0; j < size; j++) {
      const p = state[j]!;
      const forward = (agents * mu + j * gamma) / uniform;
      const leave = gamma / uniform;
      next[j]! += p * (1 - forward - leave);
      if (j === 0) served += p * forward;
      else next[j - 1]! += p * forward;
    }
    state = next;
  }
  return {
    probWait,
    probAbandon: (gamma * queue) / lambda,
    serviceLevel: 1 - probWait + servedByT,
    meanQueueLength: queue,
  };
}

/** Seeded M/M/N+M simulation, FCFS: a caller abandons if no agent frees up within their patience. */
function simulateA(agents: number, callsPerHour: number, aht: number, patience: number, calls: number) {
  let seed = 12345;
  const uniform = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let z = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    z = (z + Math.imul(z ^ (z >>> 7), 61 | z)) ^ z;
    return ((z ^ (z >>> 14)) >>> 0) / 4294967296;
  };
  const exp = (mean: number) => -mean * Math.log(1 - uniform());
  const free = new Array<number>(agents).fill(0);
  let now = 0;
  let answered = 0;
  let waitAnswered = 0;
  for (let i = 0; i < calls; i++) {
    now += exp(3600 / callsPerHour);
    let idx = 0;
    for (let a = 1; a < agents; a++) if (free[a]! < free[idx]!) idx = a;
    const start = Math.max(now, free[idx]!);
    if (start - now > exp(patience)) continue;
    answered += 1;
    waitAnswered += start - now;
    free[idx] = start + exp(aht);
  }
  return { probAbandon: 1 - answered / calls, asaSeconds: waitAnswered / answered };
}

describe('Erlang B', () => {
  it('matches the published table value B(10 lines, 5 Erlangs) = 0.01838', () => {
    expect(erlangB(10, 5)).toBeCloseTo(0.018385, 5);
  });

  it('is A/(1+A) for one line and 1 for no lines', () => {
    expect(erlangB(1, 3)).toBeCloseTo(0.75, 12);
    expect(erlangB(0, 3)).toBe(1);
  });

  it('equals the blocking probability of the truncated birth–death chain', () => {
    for (const [n, a] of [
      [5, 2],
      [30, 25],
      [60, 70],
    ] as const) {
      const lambda = a;
      const weights = [1];
      for (let k = 1; k <= n; k++) weights.push((weights[k - 1]! * lambda) / k);
      const total = weights.reduce((x, y) => x + y, 0);
      expect(erlangB(n, a)).toBeCloseTo(weights[n]! / total, 10);
    }
  });

  it('stays finite and in [0, 1] for thousands of lines and Erlangs', () => {
    const b = erlangB(5000, 4800);
    expect(b).toBeGreaterThan(0);
    expect(b).toBeLessThan(0.01);
    expect(erlangB(3000, 100)).toBe(0);
    expect(erlangB(100, 5000)).toBeCloseTo(1 - 100 / 5000, 3);
  });
});

describe('Erlang C', () => {
  it('reduces to the M/M/1 formulas for one agent: P(wait) = ρ, P(wait ≤ t) = 1 − ρ·e^{−(1−ρ)t/AHT}', () => {
    const r = erlangCMetrics(1, { callsPerHour: 42, ahtSeconds: 60 }, 30); // ρ = 0.7
    expect(r.probWait).toBeCloseTo(0.7, 12);
    expect(r.serviceLevel).toBeCloseTo(1 - 0.7 * Math.exp((-0.3 * 30) / 60), 12);
    expect(r.asaSeconds).toBeCloseTo((0.7 * 60) / 0.3, 9);
  });

  it('gives P(wait) = 1/3 for two agents at one Erlang (M/M/2 at ρ = 0.5)', () => {
    expect(erlangC(2, 1)).toBeCloseTo(1 / 3, 12);
  });

  it('matches the birth–death chain on textbook cases (P(wait), service level, ASA)', () => {
    const cases = [
      { agents: 14, calls: 200, aht: 180, t: 20 }, // 100 calls per half hour, 3 min AHT: 10 Erlangs
      { agents: 4, calls: 100, aht: 120, t: 15 }, // 3.33 Erlangs
      { agents: 55, calls: 600, aht: 300, t: 15 }, // 50 Erlangs
    ];
    for (const c of cases) {
      const got = erlangCMetrics(c.agents, { callsPerHour: c.calls, ahtSeconds: c.aht }, c.t);
      const want = referenceC(c.agents, c.calls, c.aht, c.t);
      expect(got.probWait).toBeCloseTo(want.probWait, 8);
      expect(got.serviceLevel).toBeCloseTo(want.serviceLevel, 8);
      expect(got.asaSeconds).toBeCloseTo(want.asaSeconds, 6);
      expect(got.occupancy).toBeCloseTo((c.calls * c.aht) / 3600 / c.agents, 12);
      expect(got.stable).toBe(true);
    }
  });

  it('needs 14 agents for 80 % within 20 s at 10 Erlangs, and 13 would miss it', () => {
    const traffic = { callsPerHour: 200, ahtSeconds: 180 };
    const result = agentsByErlangC(traffic, { targetServiceLevel: 0.8, withinSeconds: 20 });
    expect(result.agents).toBe(14);
    expect(result.serviceLevel).toBeGreaterThanOrEqual(0.8);
    expect(erlangCMetrics(13, traffic, 20).serviceLevel).toBeLessThan(0.8);
  });

  it('reports an overloaded pool as unstable: P(wait) 1, service level 0, ASA infinite', () => {
    const result = erlangCMetrics(9, { callsPerHour: 200, ahtSeconds: 180 }, 20);
    expect(result).toMatchObject({ stable: false, probWait: 1, serviceLevel: 0, occupancy: 1 });
    expect(result.asaSeconds).toBe(Number.POSITIVE_INFINITY);
  });

  it('staffs thousands of Erlangs without overflow (20,000 calls per hour at 10 min AHT)', () => {
    const traffic = { callsPerHour: 20_000, ahtSeconds: 600 };
    expect(offeredErlangs(traffic)).toBeCloseTo(3333.33, 2);
    const result = agentsByErlangC(traffic, { targetServiceLevel: 0.8, withinSeconds: 15 });
    expect(result.agents).toBeGreaterThan(3334);
    expect(result.agents).toBeLessThan(3450);
    expect(erlangCMetrics(result.agents - 1, traffic, 15).serviceLevel).toBeLessThan(0.8);
  });

  it('takes the smallest staffing meeting the target (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3000 }),
        fc.integer({ min: 30, max: 900 }),
        fc.double({ min: 0.05, max: 0.99, noNaN: true }),
        fc.integer({ min: 0, max: 120 }),
        (calls, aht, sl, t) => {
          const traffic = { callsPerHour: calls, ahtSeconds: aht };
          const r = agentsByErlangC(traffic, { targetServiceLevel: sl, withinSeconds: t });
          expect(r.serviceLevel).toBeGreaterThanOrEqual(sl);
          expect(r.occupancy).toBeLessThan(1);
          const fewer = erlangCMetrics(r.agents - 1, traffic, t);
          expect(fewer.serviceLevel < sl || fewer.occupancy >= 1).toBe(true);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('gets better with every agent added and worse with more traffic (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 400 }),
        fc.double({ min: 0.1, max: 400, noNaN: true }),
        (n, a) => {
          expect(erlangB(n + 1, a)).toBeLessThanOrEqual(erlangB(n, a));
          expect(erlangC(n + 1, a)).toBeLessThanOrEqual(erlangC(n, a));
          expect(erlangB(n, a * 1.1)).toBeGreaterThanOrEqual(erlangB(n, a));
          expect(erlangC(n, a * 1.1)).toBeGreaterThanOrEqual(erlangC(n, a));
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('Erlang A', () => {
  it('matches the birth–death chain: P(wait), P(abandon) = γ·E[queue]/λ, answered within t', () => {
    const cases = [
      { agents: 10, calls: 200, aht: 180, patience: 60, t: 20 }, // 10 Erlangs on 10 agents
      { agents: 8, calls: 240, aht: 180, patience: 120, t: 15 }, // overloaded: 12 Erlangs
      { agents: 25, calls: 400, aht: 200, patience: 30, t: 30 },
    ];
    for (const c of cases) {
      const traffic = { callsPerHour: c.calls, ahtSeconds: c.aht, patienceSeconds: c.patience };
      const got = erlangAMetrics(c.agents, traffic, c.t);
      const want = referenceA(c.agents, c.calls, c.aht, c.patience, c.t);
      expect(got.probWait).toBeCloseTo(want.probWait, 8);
      expect(got.probAbandon).toBeCloseTo(want.probAbandon, 8);
      expect(got.meanQueueLength).toBeCloseTo(want.meanQueueLength, 6);
      expect(got.serviceLevel).toBeCloseTo(want.serviceLevel, 6);
      expect(got.occupancy).toBeCloseTo((offeredErlangs(traffic) * (1 - want.probAbandon)) / c.agents, 8);
    }
  });

  it('agrees with a seeded simulation of 400,000 calls on abandonment and ASA (within 3 %)', () => {
    const got = erlangAMetrics(10, { callsPerHour: 200, ahtSeconds: 180, patienceSeconds: 90 }, 20);
    const sim = simulateA(10, 200, 180, 90, 400_000);
    expect(Math.abs(got.probAbandon - sim.probAbandon) / got.probAbandon).toBeLessThan(0.03);
    expect(Math.abs(got.asaSeconds - sim.asaSeconds) / got.asaSeconds).toBeLessThan(0.03);
  });

  it('answers within 0 s exactly those who find a free agent, and eventually all who do not abandon', () => {
    const traffic = { callsPerHour: 300, ahtSeconds: 240, patienceSeconds: 100 };
    const now = erlangAMetrics(20, traffic, 0);
    expect(now.serviceLevel).toBeCloseTo(1 - now.probWait, 12);
    const later = erlangAMetrics(20, traffic, 100_000);
    expect(later.serviceLevel).toBeCloseTo(1 - later.probAbandon, 9);
  });

  it('tends to Erlang C as patience grows without bound', () => {
    const traffic = { callsPerHour: 200, ahtSeconds: 180 };
    const c = erlangCMetrics(12, traffic, 20);
    const a = erlangAMetrics(12, { ...traffic, patienceSeconds: 1e8 }, 20);
    expect(a.probAbandon).toBeLessThan(1e-5);
    expect(a.probWait).toBeCloseTo(c.probWait, 5);
    expect(a.serviceLevel).toBeCloseTo(c.serviceLevel, 5);
    // ASA over answered calls equals Erlang C's ASA when nobody abandons
    expect(a.asaSeconds).toBeCloseTo(c.asaSeconds, 2);
  });

  it('serves an overloaded pool of thousands at its capacity: P(abandon) ≈ 1 − N/A', () => {
    const traffic = { callsPerHour: 30_000, ahtSeconds: 600, patienceSeconds: 120 }; // 5000 Erlangs
    const r = erlangAMetrics(3000, traffic, 15);
    expect(Number.isFinite(r.probAbandon)).toBe(true);
    expect(r.probAbandon).toBeCloseTo(1 - 3000 / 5000, 2);
    expect(r.occupancy).toBeGreaterThan(0.99);
    expect(r.occupancy).toBeLessThanOrEqual(1);
  });

  it('needs fewer agents than Erlang C when callers give up, and the smallest that meets the target', () => {
    const traffic = { callsPerHour: 1200, ahtSeconds: 300 }; // 100 Erlangs
    const target = { targetServiceLevel: 0.8, withinSeconds: 15 };
    const c = agentsByErlangC(traffic, target);
    const a = agentsByErlangA({ ...traffic, patienceSeconds: 60 }, target);
    expect(a.agents).toBeLessThanOrEqual(c.agents);
    expect(a.serviceLevel).toBeGreaterThanOrEqual(0.8);
    const fewer = erlangAMetrics(a.agents - 1, { ...traffic, patienceSeconds: 60 }, 15);
    expect(fewer.serviceLevel).toBeLessThan(0.8);
  });

  it('gets better with every agent and with more patient callers (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 200 }),
        fc.integer({ min: 10, max: 4000 }),
        fc.integer({ min: 30, max: 600 }),
        fc.integer({ min: 5, max: 600 }),
        fc.integer({ min: 0, max: 60 }),
        (n, calls, aht, patience, t) => {
          const traffic = { callsPerHour: calls, ahtSeconds: aht, patienceSeconds: patience };
          const here = erlangAMetrics(n, traffic, t);
          const more = erlangAMetrics(n + 1, traffic, t);
          const calmer = erlangAMetrics(n, { ...traffic, patienceSeconds: patience * 2 }, t);
          const eps = 1e-9;
          expect(more.serviceLevel).toBeGreaterThanOrEqual(here.serviceLevel - eps);
          expect(more.probAbandon).toBeLessThanOrEqual(here.probAbandon + eps);
          expect(calmer.probAbandon).toBeLessThanOrEqual(here.probAbandon + eps);
          for (const r of [here, more, calmer]) {
            expect(r.probAbandon).toBeGreaterThanOrEqual(-eps);
            expect(r.probAbandon).toBeLessThanOrEqual(r.probWait + eps);
            expect(r.serviceLevel).toBeLessThanOrEqual(1 - r.probAbandon + eps);
            expect(r.occupancy).toBeLessThanOrEqual(1); // below 1, up to rounding in deep overload
            expect(r.occupancy).toBeGreaterThan(0);
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('refuses inputs it cannot compute with, naming the field', () => {
    expect(() => erlangAMetrics(0, { callsPerHour: 1, ahtSeconds: 1, patienceSeconds: 1 }, 1)).toThrow(
      StaffingInputError,
    );
    expect(() => erlangCMetrics(3, { callsPerHour: 10, ahtSeconds: 0 }, 1)).toThrow(/ahtSeconds/);
    expect(() =>
      agentsByErlangC({ callsPerHour: 10, ahtSeconds: 60 }, { targetServiceLevel: 1, withinSeconds: 1 }),
    ).toThrow(/targetServiceLevel/);
    expect(() =>
      erlangAMetrics(3, { callsPerHour: 10, ahtSeconds: 60, patienceSeconds: Number.POSITIVE_INFINITY }, 1),
    ).toThrow(/patienceSeconds/);
  });

  it('needs no agents and reports a perfect service level when no calls are offered', () => {
    const target = { targetServiceLevel: 0.8, withinSeconds: 15 };
    expect(agentsByErlangC({ callsPerHour: 0, ahtSeconds: 60 }, target).agents).toBe(0);
    const a = agentsByErlangA({ callsPerHour: 0, ahtSeconds: 60, patienceSeconds: 30 }, target);
    expect(a).toMatchObject({ agents: 0, serviceLevel: 1, probAbandon: 0 });
  });
});
