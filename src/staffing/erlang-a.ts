import { logAddExp, logExpm1, logInverseErlangB } from './erlang-b.ts';
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

/** Erlang A (M/M/N+M): the formulas and definitions are described in erlang.ts. */

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

const LOG_NEGLIGIBLE = 46; // e^-46 ≈ 1e-20: a queue term this far below the largest adds nothing
const MAX_QUEUE_TERMS = 20_000_000;

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
