import type { Agent } from './agent.ts';
import { DispatchBoard, type DispatchDecision } from './dispatch-board.ts';
import type { QueuedCall, QueuePolicy } from './queue-policy.ts';

export type { DispatchDecision, OfferDecision } from './dispatch-board.ts';

/** What the dispatch decision looks at: queue policies, agents and waiting calls. */
export interface DispatchSnapshot {
  queues: readonly QueuePolicy[];
  agents: readonly Agent[];
  calls: readonly QueuedCall[];
}

/**
 * The dispatch decision as a pure function of (snapshot, now): which waiting calls go to which
 * ready agents. Calls already offered
 * are left alone; agents not ready or without a registered softphone are never chosen.
 */
export function decideDispatch(snapshot: DispatchSnapshot, now: number): DispatchDecision {
  return DispatchBoard.from(snapshot.queues, snapshot.agents, snapshot.calls, now).decide(now);
}
