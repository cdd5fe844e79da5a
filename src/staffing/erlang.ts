import { logInverseErlangB, nextLogInverseB } from './erlang-b.ts';
import { StaffingInputError } from './errors.ts';
import {
  checkAgents,
  checkNonNegative,
  checkTarget,
  checkTraffic,
  offeredErlangs,
  type StaffingTarget,
  type Traffic,
} from './traffic.ts';

/**
 * Queueing formulas for staffing one pool in one interval (pure, no I/O).
 *
 * - Erlang B (M/M/N/N, blocked calls lost): the recursion B(0) = 1, B(n) = A·B(n−1) / (n + A·B(n−1)),
 *   carried in logarithms (L(n) = log 1/B(n)) so that thousands of agents and Erlangs neither
 *   overflow nor underflow. No factorials.
 * - Erlang C (M/M/N, infinite patience): C = N·B / (N − A·(1 − B)); service level
 *   P(wait ≤ t) = 1 − C·e^{−(N−A)·t/AHT}; ASA = C·AHT / (N − A) over all offered calls (all are
 *   answered); occupancy A / N. Only defined for A < N (otherwise the queue grows without end).
 * - Erlang A (M/M/N+M, Palm's model: exponential patience with mean θ, abandonment rate γ = 1/θ per
 *   waiting caller): the exact stationary distribution of the birth–death chain (birth λ; death
 *   min(k, N)·μ + max(k − N, 0)·γ), the part below N taken from Erlang B and the queue part summed
 *   in logarithms until its terms are negligible (no fixed truncation). An arriving call sees the
 *   stationary state (PASTA). With j callers ahead of it (FCFS), it reaches an agent with
 *   probability Nμ / (Nμ + (j+1)γ), after a wait whose time to service has density
 *   ∝ e^{−Nμ·v}(1 − e^{−γv})^j; so "answered within t" is Nμ/(Nμ + (j+1)γ) · I_x(j+1, Nμ/γ + 1),
 *   x = 1 − e^{−γt}, the regularized incomplete beta function, evaluated as the upper tail P(K > j)
 *   of a negative binomial count (the Garnett–Mandelbaum–Reiman / Zeltyn expressions for the
 *   Erlang A waiting time, in this form). The conditional mean wait of an answered call with j ahead
 *   is Σ_{i=0..j} 1/(Nμ + (i+1)γ) (memoryless stages; competing exits do not change stage times).
 *
 * Definitions used everywhere in this module:
 * - `serviceLevel`: calls answered within `withinSeconds` divided by all offered calls (a call that
 *   abandons, before or after t, counts as not answered in time; calls that find a free agent count
 *   as answered at once).
 * - `asaSeconds`: mean wait of the answered calls (zero waits included).
 * - `occupancy`: the mean share of agents busy, which is the carried load (Erlangs of answered calls)
 *   divided by the agents.
 */

export { agentsByErlangA, type ErlangAResult, erlangAMetrics } from './erlang-a.ts';
export { erlangB } from './erlang-b.ts';
export { offeredErlangs, type StaffingTarget, type Traffic } from './traffic.ts';

export interface ErlangCResult {
  model: 'erlang-c';
  agents: number;
  /** Offered load A = λ·AHT in Erlangs. */
  erlangs: number;
  /** False when A ≥ N: the queue grows without end; the figures are then the limit (P(wait) 1, ASA ∞). */
  stable: boolean;
  probWait: number;
  serviceLevel: number;
  withinSeconds: number;
  asaSeconds: number;
  occupancy: number;
}

/** Erlang C from Erlang B: P(wait) = B / (B + (1 − ρ)(1 − B)), ρ = A/N; 1 when A ≥ N. */
function erlangCFromB(agents: number, erlangs: number, b: number): number {
  if (erlangs >= agents) return 1;
  const rho = erlangs / agents;
  return b / (b + (1 - rho) * (1 - b));
}

/** Erlang C: probability that a call waits (M/M/N, callers never give up); 1 when A ≥ N. */
export function erlangC(agents: number, erlangs: number): number {
  checkAgents(agents);
  checkNonNegative(erlangs, 'erlangs');
  if (erlangs >= agents) return 1;
  return erlangCFromB(agents, erlangs, Math.exp(-logInverseErlangB(agents, erlangs)));
}

function erlangCResult(agents: number, traffic: Traffic, withinSeconds: number, b: number): ErlangCResult {
  const erlangs = offeredErlangs(traffic);
  const base = { model: 'erlang-c' as const, agents, erlangs, withinSeconds };
  if (erlangs === 0) {
    return { ...base, stable: true, probWait: 0, serviceLevel: 1, asaSeconds: 0, occupancy: 0 };
  }
  if (erlangs >= agents) {
    return {
      ...base,
      stable: false,
      probWait: 1,
      serviceLevel: 0,
      asaSeconds: Number.POSITIVE_INFINITY,
      occupancy: 1,
    };
  }
  const c = erlangCFromB(agents, erlangs, b);
  const surplus = agents - erlangs;
  return {
    ...base,
    stable: true,
    probWait: c,
    serviceLevel: 1 - c * Math.exp((-surplus * withinSeconds) / traffic.ahtSeconds),
    asaSeconds: (c * traffic.ahtSeconds) / surplus,
    occupancy: erlangs / agents,
  };
}

/** Erlang C figures for N agents: P(wait), service level within t, ASA, occupancy. */
export function erlangCMetrics(agents: number, traffic: Traffic, withinSeconds: number): ErlangCResult {
  checkAgents(agents);
  checkTraffic(traffic);
  checkNonNegative(withinSeconds, 'withinSeconds');
  const b = Math.exp(-logInverseErlangB(agents, offeredErlangs(traffic)));
  return erlangCResult(agents, traffic, withinSeconds, b);
}

/**
 * Agents needed by Erlang C: the smallest N with service level ≥ target and occupancy < 1
 * (N > A). Walks N upwards from ⌊A⌋ + 1 with one Erlang B step per agent.
 */
export function agentsByErlangC(traffic: Traffic, target: StaffingTarget): ErlangCResult {
  checkTraffic(traffic);
  const maxAgents = checkTarget(target);
  const erlangs = offeredErlangs(traffic);
  if (erlangs === 0) return erlangCResult(0, traffic, target.withinSeconds, 0);
  let agents = Math.floor(erlangs) + 1;
  let logInvB = logInverseErlangB(agents, erlangs);
  for (;;) {
    if (agents > maxAgents) {
      throw new StaffingInputError('maxAgents', `no staffing up to ${maxAgents} agents reaches the target`);
    }
    const result = erlangCResult(agents, traffic, target.withinSeconds, Math.exp(-logInvB));
    if (result.serviceLevel >= target.targetServiceLevel && result.occupancy < 1) return result;
    agents += 1;
    logInvB = nextLogInverseB(logInvB, agents, erlangs);
  }
}
