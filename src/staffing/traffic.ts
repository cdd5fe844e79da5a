import { StaffingInputError } from './errors.ts';

/** What staffing is computed for: the offered traffic of an interval and the target to reach. */

/** The offered traffic of one interval. */
export interface Traffic {
  /** Calls offered per hour (Poisson arrivals). */
  callsPerHour: number;
  /** Average handling time in seconds (exponential service). */
  ahtSeconds: number;
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

const DEFAULT_MAX_AGENTS = 1_000_000;

/** Offered load in Erlangs: calls per second × AHT. */
export function offeredErlangs(traffic: Traffic): number {
  return (traffic.callsPerHour * traffic.ahtSeconds) / 3600;
}

export function checkAgents(agents: number, field = 'agents', min = 0): void {
  if (!Number.isInteger(agents) || agents < min) {
    throw new StaffingInputError(field, `must be an integer ≥ ${min}, got ${agents}`);
  }
}

export function checkNonNegative(value: number, field: string): void {
  if (!Number.isFinite(value) || value < 0) {
    throw new StaffingInputError(field, `must be a finite number ≥ 0, got ${value}`);
  }
}

export function checkTraffic(traffic: Traffic): void {
  checkNonNegative(traffic.callsPerHour, 'callsPerHour');
  if (!Number.isFinite(traffic.ahtSeconds) || traffic.ahtSeconds <= 0) {
    throw new StaffingInputError('ahtSeconds', `must be a finite number > 0, got ${traffic.ahtSeconds}`);
  }
}

export function checkTarget(target: StaffingTarget): number {
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
