import type { CallState, NewCall } from '../calls/core/types.ts';
import type { RoutingPlan } from '../plan/compile.ts';
import { enterCall } from '../plan/route-step.ts';
import type { ShedReason } from './admission.ts';

/** How many log entries a shed call's state has (arrived, shed, ended): the next one is the safety net's. */
export const SHED_CALL_EVENTS = 3;

/**
 * The session of a new call that admission control sheds: it ends at once (disposition `shed`,
 * with the reason), so it goes through the engine's ordinary end — final state kept, exactly one
 * record, tombstone — while the caller continues in the dialplan's safety net. Line and phase are
 * the plan's for the dialed number (the main line for a number no line answers), as for any call.
 * Pure: the caller's channel is handed over by the runtime.
 */
export function shedCall(call: NewCall, plan: RoutingPlan, now: number, reason: ShedReason): CallState {
  const { entry, unknown } = enterCall(plan, call.dialed, now, call.callerNumber);
  return {
    ...call,
    line: { id: entry.line.id, name: entry.line.name, mode: entry.line.mode, topic: entry.line.topic },
    phase: { id: entry.phase.id, kind: entry.phase.kind },
    ...(entry.callerClass ? { callerClass: entry.callerClass.id } : {}),
    arrivedAt: now,
    stage: 'ended',
    seq: 0,
    playlist: [],
    timers: {},
    ivrPath: [],
    prompts: [],
    events: [
      {
        at: now,
        what: 'arrived',
        detail: { line: entry.line.id, phase: entry.phase.id, unknownNumber: unknown || undefined },
      },
      { at: now, what: 'shed', detail: { reason } },
      { at: now, what: 'ended', detail: { disposition: 'shed' } },
    ],
    disposition: 'shed',
    shedReason: reason,
    endedAt: now,
  };
}
