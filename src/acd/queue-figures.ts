import type { Agent } from './agent.ts';
import type { QueuedCall, QueuePolicy } from './queue-policy.ts';
import { servesQueue } from './select-agent.ts';

/** Live figures of one queue, for supervisors and the wallboard. */
export interface QueueFigures {
  id: string;
  kind: QueuePolicy['kind'];
  name: string;
  strategy: QueuePolicy['strategy'];
  /** Calls waiting and not being offered. */
  waiting: number;
  /** Calls being offered to (ringing) an agent. */
  offered: number;
  /** Seconds the oldest call in the queue has waited (0 if none). */
  longestWaitSeconds: number;
  agentsLoggedIn: number;
  /** Ready with a registered softphone. */
  agentsReady: number;
  agentsNotReady: number;
  agentsOnCall: number;
  agentsWrapUp: number;
}

export function queueFigures(
  policies: readonly QueuePolicy[],
  agents: readonly Agent[],
  calls: readonly QueuedCall[],
  now: number,
): QueueFigures[] {
  return policies.map((policy) => {
    const figures: QueueFigures = {
      id: policy.id,
      kind: policy.kind,
      name: policy.name,
      strategy: policy.strategy,
      waiting: 0,
      offered: 0,
      longestWaitSeconds: 0,
      agentsLoggedIn: 0,
      agentsReady: 0,
      agentsNotReady: 0,
      agentsOnCall: 0,
      agentsWrapUp: 0,
    };
    let oldest = Number.POSITIVE_INFINITY;
    for (const call of calls) {
      if (call.queueId !== policy.id) continue;
      if (call.offer) figures.offered++;
      else figures.waiting++;
      oldest = Math.min(oldest, call.enqueuedAt);
    }
    if (oldest !== Number.POSITIVE_INFINITY) figures.longestWaitSeconds = Math.max(0, (now - oldest) / 1000);
    for (const agent of agents) {
      const { state, deviceAvailable } = agent.status;
      if (state === 'logged-out' || !servesQueue(agent, policy)) continue;
      figures.agentsLoggedIn++;
      if (state === 'ready' && deviceAvailable) figures.agentsReady++;
      else if (state === 'not-ready') figures.agentsNotReady++;
      else if (state === 'on-call' || state === 'reserved') figures.agentsOnCall++;
      else if (state === 'wrap-up') figures.agentsWrapUp++;
    }
    return figures;
  });
}
