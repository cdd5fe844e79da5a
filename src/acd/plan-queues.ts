import type { RoutingPlan } from '../plan/compile.ts';
import type { QueuePolicyInput } from './queue-policy.ts';

/** The ACD queue id of a plan's pool or expert seat: `pool:general`, `expert:legal`. */
export const acdQueueId = (kind: 'pool' | 'expert', id: string) => `${kind}:${id}`;

/**
 * The plan's pools and expert seats as the ACD's queue policies: what the engine declares to the
 * store at start and on every publish, and what the what-if replays with.
 */
export function queuePolicies(plan: RoutingPlan): QueuePolicyInput[] {
  const out: QueuePolicyInput[] = [];
  for (const [kind, table] of [
    ['pool', plan.pools],
    ['expert', plan.experts],
  ] as const) {
    for (const q of table.values()) {
      out.push({
        id: acdQueueId(kind, q.id),
        kind,
        name: q.name,
        skills: q.skills,
        strategy: q.queue.strategy,
        wrapUpSeconds: q.queue.wrapUpSeconds,
        maxWaitSeconds: q.queue.maxWaitSeconds,
        ...(q.queue.widenAfterSeconds !== undefined ? { widenAfterSeconds: q.queue.widenAfterSeconds } : {}),
        ...(q.queue.overflowAfterSeconds !== undefined && q.queue.overflowTo !== undefined
          ? { overflowAfterSeconds: q.queue.overflowAfterSeconds, overflowTo: q.queue.overflowTo }
          : {}),
      });
    }
  }
  return out;
}
