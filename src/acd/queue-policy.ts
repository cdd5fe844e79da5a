import { z } from 'zod';

/** How a queue picks among its ready agents. */
export const strategySchema = z.enum(['longest-idle', 'fewest-calls', 'skill-level', 'round-robin']);
export type Strategy = z.infer<typeof strategySchema>;

/**
 * One queue per agent pool or expert seat group. The routing plan is mapped onto this shape.
 * Escalation thresholds are in seconds from the call's arrival in the queue.
 */
export const queuePolicySchema = z
  .object({
    id: z.string().min(1).max(64),
    kind: z.enum(['pool', 'expert']),
    name: z.string().min(1),
    /** Agents need at least one of these skills; empty = any agent listed in the pool. */
    skills: z.array(z.string().min(1)).default([]),
    strategy: strategySchema.default('longest-idle'),
    wrapUpSeconds: z.number().min(0).max(3600),
    widenAfterSeconds: z.number().min(0).optional(),
    overflowAfterSeconds: z.number().min(0).optional(),
    overflowTo: z.string().min(1).optional(),
    maxWaitSeconds: z.number().positive(),
  })
  .refine((p) => (p.overflowAfterSeconds === undefined) === (p.overflowTo === undefined), {
    message: 'overflowAfterSeconds and overflowTo go together',
    path: ['overflowTo'],
  });
export type QueuePolicy = z.infer<typeof queuePolicySchema>;
export type QueuePolicyInput = z.input<typeof queuePolicySchema>;

/** A call waiting in a queue, as the engine enqueues it. */
export const waitingCallSchema = z.object({
  callId: z.string().min(1),
  queueId: z.string().min(1),
  /** Higher first. */
  priority: z.number().int().min(-1000).max(1000).default(0),
  /** When it entered the queue (ms). */
  enqueuedAt: z.number(),
  preferredSkill: z.string().min(1).optional(),
  /** The engine process that holds the call's channel. */
  engineId: z.string().min(1),
  /**
   * A call-back (virtual hold): the caller asked to be called back and hung up; the entry keeps
   * its place (its `enqueuedAt`) and has no channel until the engine calls the agent, then the caller.
   */
  callback: z.object({ requestedAt: z.number() }).optional(),
});
export type WaitingCall = z.infer<typeof waitingCallSchema>;
export type WaitingCallInput = z.input<typeof waitingCallSchema>;

/** The agent a waiting call is currently offered to (reserved for), if any. */
export interface CallOffer {
  agentId: string;
  engineId: string;
  until: number;
}

/** A waiting call as stored: the call plus its current offer. */
export interface QueuedCall extends WaitingCall {
  offer?: CallOffer;
}

/** The keys of the queue order. */
export type QueueOrderKeys = Pick<WaitingCall, 'callId' | 'priority' | 'enqueuedAt'>;

/**
 * Queue order: priority (higher first), then arrival (earlier first), then call id. The dispatch
 * board offers calls in this order, and a caller's announced place (`queuePosition`) counts by it.
 */
export function compareCalls<T extends QueueOrderKeys>(a: T, b: T): number {
  return b.priority - a.priority || a.enqueuedAt - b.enqueuedAt || (a.callId < b.callId ? -1 : 1);
}
