import { StaffingInputError } from './errors.ts';

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

/** The offered traffic of one interval. */
export interface Traffic {
  /** Calls offered per hour (Poisson arrivals). */
  callsPerHour: number;
  /** Average handling time in seconds (exponential service). */
  ahtSeconds: number;
}

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

export interface ErlangAResult {
  model: 'erlang-a';
  agents: number;
  erlangs: number;
  patienceSeconds: number;
  /** Always true: with patience the queue is stable at any load. */
  stable: true;
  probWait: number;
  probAbandon: number;
  serviceLevel: number;
  withinSeconds: number;
  asaSeconds: number;
  occupancy: number;
  /** Mean number of callers waiting. */
  meanQueueLength: number;
}

export interface StaffingTarget {
  /** Service level to reach, strictly between 0 and 1 (0.8 for 80 %). */
  targetServiceLevel: number;
  /** The t of the service level, seconds (15 for "80 % within 15 s"). */
  withinSeconds: number;
  /** Give up above this many agents (default 1,000,000). */
  maxAgents?: number;
  /** Erlang A only: also keep P(abandon) at or below this share (0.05 for 5 %). */
  maxAbandon?: number;
}

const LOG_NEGLIGIBLE = 46; // e^-46 ≈ 1e-20: a queue term this far below the largest adds nothing
const MAX_QUEUE_TERMS = 20_000_000;
const DEFAULT_MAX_AGENTS = 1_000_000;

/** Offered load in Erlangs: calls per second × AHT. */
export function offeredErlangs(traffic: Traffic): number {
  return (traffic.callsPerHour * traffic.ahtSeconds) / 3600;
}

/** log(1 + e^x) without overflow. */
function softplus(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

/** log(e^a + e^b). */
function logAddExp(a: number, b: number): number {
  if (a === Number.NEGATIVE_INFINITY) return b;
  if (b === Number.NEGATIVE_INFINITY) return a;
  const m = Math.max(a, b);
  return m + Math.log(Math.exp(a - m) + Math.exp(b - m));
}

/** log(e^x − 1) for x ≥ 0. */
function logExpm1(x: number): number {
  if (x === 0) return Number.NEGATIVE_INFINITY;
  return x > 30 ? x + Math.log1p(-Math.exp(-x)) : Math.log(Math.expm1(x));
}

/** One step of the Erlang B recursion in logarithms: log 1/B(n) from log 1/B(n−1). */
function nextLogInverseB(previous: number, n: number, erlangs: number): number {
  if (erlangs === 0) return Number.POSITIVE_INFINITY;
  return softplus(Math.log(n / erlangs) + previous);
}

/** log 1/B(N, A), the Erlang B recursion carried in logarithms. */
function logInverseErlangB(agents: number, erlangs: number): number {
  let l = 0;
  for (let n = 1; n <= agents; n++) l = nextLogInverseB(l, n, erlangs);
  return l;
}

function checkAgents(agents: number, field = 'agents', min = 0): void {
  if (!Number.isInteger(agents) || agents < min) {
    throw new StaffingInputError(field, `must be an integer ≥ ${min}, got ${agents}`);
  }
}

function checkNonNegative(value: number, field: string): void {
  if (!Number.isFinite(value) || value < 0) {
    throw new StaffingInputError(field, `must be a finite number ≥ 0, got ${value}`);
  }
}

function checkTraffic(traffic: Traffic): void {
  checkNonNegative(traffic.callsPerHour, 'callsPerHour');
  if (!Number.isFinite(traffic.ahtSeconds) || traffic.ahtSeconds <= 0) {
    throw new StaffingInputError('ahtSeconds', `must be a finite number > 0, got ${traffic.ahtSeconds}`);
  }
}

function checkTarget(target: StaffingTarget): number {
  const sl = target.targetServiceLevel;
  if (!(sl > 0 && sl < 1)) {
    throw new StaffingInputError('targetServiceLevel', `must be strictly between 0 and 1, got ${sl}`);
  }
  checkNonNegative(target.withinSeconds, 'withinSeconds');
  if (target.maxAbandon !== undefined && !(target.maxAbandon > 0 && target.maxAbandon < 1)) {
    throw new StaffingInputError('maxAbandon', `must be strictly between 0 and 1, got ${target.maxAbandon}`);
  }
  const max = target.maxAgents ?? DEFAULT_MAX_AGENTS;
  checkAgents(max, 'maxAgents', 1);
  return max;
}

/** Erlang B: probability that a call finds all N agents busy and is lost (M/M/N/N). */
export function erlangB(agents: number, erlangs: number): number {
  checkAgents(agents);
  checkNonNegative(erlangs, 'erlangs');
  return Math.exp(-logInverseErlangB(agents, erlangs));
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

/** Erlang A (M/M/N+M) figures for N ≥ 1 agents and exponential patience with mean `patienceSeconds`. */
export function erlangAMetrics(
  agents: number,
  traffic: Traffic & { patienceSeconds: number },
  withinSeconds: number,
): ErlangAResult {
  checkAgents(agents, 'agents', 1);
  checkTraffic(traffic);
  checkNonNegative(withinSeconds, 'withinSeconds');
  const theta = traffic.patienceSeconds;
  if (!Number.isFinite(theta) || theta <= 0) {
    throw new StaffingInputError('patienceSeconds', `must be a finite number > 0, got ${theta}`);
  }
  const erlangs = offeredErlangs(traffic);
  const base = {
    model: 'erlang-a' as const,
    agents,
    erlangs,
    patienceSeconds: theta,
    stable: true as const,
    withinSeconds,
  };
  if (erlangs === 0) {
    return {
      ...base,
      probWait: 0,
      probAbandon: 0,
      serviceLevel: 1,
      asaSeconds: 0,
      occupancy: 0,
      meanQueueLength: 0,
    };
  }
  const lambda = traffic.callsPerHour / 3600;
  const service = agents / traffic.ahtSeconds; // Nμ
  const gamma = 1 / theta;
  // Negative binomial K with size s = Nμ/γ + 1 and p = x = 1 − e^{−γt}: P(K > j) = I_x(j+1, s).
  const size = service / gamma + 1;
  const logX = withinSeconds > 0 ? Math.log(-Math.expm1(-gamma * withinSeconds)) : Number.NEGATIVE_INFINITY;
  let logQ = -(service + gamma) * withinSeconds; // log P(K = 0) = s·log(1 − x)
  let cdf = Math.exp(logQ);

  // Queue terms r_j = π_{N+j} / π_N, summed with a running scale e^{top} (log-sum-exp, streamed).
  let top = 0;
  let logR = 0;
  let sumR = 0; // Σ r_j
  let sumJR = 0; // Σ j·r_j (callers waiting)
  let sumAbandon = 0; // Σ r_j·(j+1)γ/(Nμ+(j+1)γ)
  let sumWithin = 0; // Σ r_j·Nμ/(Nμ+(j+1)γ)·P(K > j)
  let sumAnsweredWait = 0; // Σ r_j·Nμ/(Nμ+(j+1)γ)·H_j
  let stages = 0; // H_j = Σ_{i=0..j} 1/(Nμ+(i+1)γ)
  for (let j = 0; ; j++) {
    if (j > 0) {
      logR += Math.log(lambda / (service + j * gamma));
      if (withinSeconds > 0) {
        logQ += Math.log((j - 1 + size) / j) + logX;
        cdf += Math.exp(logQ);
      }
    }
    if (logR > top) {
      const rescale = Math.exp(top - logR);
      sumR *= rescale;
      sumJR *= rescale;
      sumAbandon *= rescale;
      sumWithin *= rescale;
      sumAnsweredWait *= rescale;
      top = logR;
    }
    const r = Math.exp(logR - top);
    const exit = service + (j + 1) * gamma;
    stages += 1 / exit;
    const answered = service / exit;
    sumR += r;
    sumJR += j * r;
    sumAbandon += r * (1 - answered);
    sumWithin += r * answered * Math.max(0, 1 - cdf);
    sumAnsweredWait += r * answered * stages;
    const pastPeak = lambda <= service + (j + 1) * gamma;
    if (pastPeak && logR < top - LOG_NEGLIGIBLE) break;
    if (j >= MAX_QUEUE_TERMS) {
      throw new StaffingInputError('patienceSeconds', `too long for this load (queue beyond ${j} callers)`);
    }
  }
  // Normaliser T = Σ_{k<N} π_k/π_N + Σ_j r_j = (1/B − 1) + Σ_j r_j; everything divided by it.
  const logInvB = logInverseErlangB(agents, erlangs);
  const logTotal = logAddExp(logExpm1(logInvB), top + Math.log(sumR));
  const scale = Math.exp(top - logTotal);
  const probWait = sumR * scale;
  const probAbandon = sumAbandon * scale;
  const probAnswered = 1 - probAbandon;
  const answeredWait = sumAnsweredWait * scale;
  // Occupancy from the idle agents, not from 1 − P(abandon), so that it stays below 1 in overload:
  // below N the chain is Erlang B's loss system scaled by π_N/B, whose idle agents are N − A(1 − B).
  const lossIdle = Math.max(0, agents - erlangs * (1 - Math.exp(-logInvB)));
  const idleAgents = lossIdle * Math.exp(logInvB - logTotal);
  return {
    ...base,
    probWait,
    probAbandon,
    serviceLevel: 1 - probWait + sumWithin * scale,
    asaSeconds: probAnswered > 0 ? answeredWait / probAnswered : Number.POSITIVE_INFINITY,
    occupancy: 1 - idleAgents / agents,
    meanQueueLength: sumJR * scale,
  };
}

/**
 * Agents needed by Erlang A: the smallest N ≥ 1 with service level ≥ target and, when asked,
 * P(abandon) ≤ `maxAbandon` (occupancy is below 1 by construction). Both improve with N; found by
 * doubling, then bisection.
 */
export function agentsByErlangA(
  traffic: Traffic & { patienceSeconds: number },
  target: StaffingTarget,
): ErlangAResult {
  const maxAgents = checkTarget(target);
  if (traffic.callsPerHour === 0) {
    const idle = erlangAMetrics(1, traffic, target.withinSeconds);
    return { ...idle, agents: 0 };
  }
  const at = (n: number) => erlangAMetrics(n, traffic, target.withinSeconds);
  const meets = (r: ErlangAResult) =>
    r.serviceLevel >= target.targetServiceLevel &&
    (target.maxAbandon === undefined || r.probAbandon <= target.maxAbandon);
  let low = 0; // fails (or nothing below 1)
  let high = Math.max(1, Math.ceil(offeredErlangs(traffic)));
  let best = at(high);
  while (!meets(best)) {
    if (high >= maxAgents) {
      throw new StaffingInputError('maxAgents', `no staffing up to ${maxAgents} agents reaches the target`);
    }
    low = high;
    high = Math.min(maxAgents, high * 2);
    best = at(high);
  }
  while (high - low > 1) {
    const mid = Math.floor((low + high) / 2);
    const result = at(mid);
    if (meets(result)) {
      high = mid;
      best = result;
    } else {
      low = mid;
    }
  }
  return best;
}
