import {
  agentsByErlangA,
  agentsByErlangC,
  type ErlangAResult,
  type ErlangCResult,
  type StaffingTarget,
} from './erlang.ts';

/** The traffic of one pool in one interval (an hour), as staffing needs it. */
export interface IntervalLoad {
  callsPerHour: number;
  ahtSeconds: number;
  /** Callers' mean patience in the queue, seconds; without it only Erlang C is computed. */
  patienceSeconds?: number;
}

/** Agents needed for one interval: by Erlang C always, by Erlang A when the patience is known. */
export interface IntervalStaffing {
  erlangC: ErlangCResult;
  erlangA?: ErlangAResult;
}

export function staffInterval(load: IntervalLoad, target: StaffingTarget): IntervalStaffing {
  const traffic = { callsPerHour: load.callsPerHour, ahtSeconds: load.ahtSeconds };
  const out: IntervalStaffing = { erlangC: agentsByErlangC(traffic, target) };
  if (load.patienceSeconds !== undefined) {
    out.erlangA = agentsByErlangA({ ...traffic, patienceSeconds: load.patienceSeconds }, target);
  }
  return out;
}
