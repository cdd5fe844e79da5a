import { type Agent, countersOn } from './agent.ts';
import type { QueuePolicy, Strategy, WaitingCall } from './queue-policy.ts';

/**
 * Agent selection strategies as orderings of a queue's offerable agents (the first is chosen):
 *   longest-idle  longest time in ready first (`readySince`; kept across a failed offer)
 *   fewest-calls  fewest calls answered today, then least talk time, then earliest last call end
 *   skill-level   best level in the call's preferred skill first, ties by idle time
 *                 (without a preferred skill: longest idle)
 *   round-robin   the agent offered a call least recently first (never offered first, by id),
 *                 which rotates through the pool in a stable order
 */

/** An agent's selection keys, computed once when it enters an index. */
export interface RankedAgent {
  id: string;
  agent: Agent;
  idleSince: number;
  callsToday: number;
  talkToday: number;
  lastCallEnd: number;
  lastOfferAt: number;
}

export function rankAgent(agent: Agent, now: number): RankedAgent {
  const counters = countersOn(agent.status.counters, now);
  return {
    id: agent.id,
    agent,
    idleSince: agent.status.readySince ?? agent.status.since,
    callsToday: counters.callsAnswered,
    talkToday: counters.talkSeconds,
    lastCallEnd: counters.lastCallEndAt ?? Number.NEGATIVE_INFINITY,
    lastOfferAt: agent.status.lastOfferAt ?? Number.NEGATIVE_INFINITY,
  };
}

const byId = (a: RankedAgent, b: RankedAgent) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

export const byLongestIdle = (a: RankedAgent, b: RankedAgent) => a.idleSince - b.idleSince || byId(a, b);

export const byFewestCalls = (a: RankedAgent, b: RankedAgent) =>
  a.callsToday - b.callsToday ||
  a.talkToday - b.talkToday ||
  (a.lastCallEnd === b.lastCallEnd ? 0 : a.lastCallEnd < b.lastCallEnd ? -1 : 1) ||
  byLongestIdle(a, b);

export const byRoundRobin = (a: RankedAgent, b: RankedAgent) =>
  (a.lastOfferAt === b.lastOfferAt ? 0 : a.lastOfferAt < b.lastOfferAt ? -1 : 1) || byId(a, b);

export function bySkillLevel(skill: string) {
  return (a: RankedAgent, b: RankedAgent) =>
    (b.agent.skills[skill] ?? 0) - (a.agent.skills[skill] ?? 0) || byLongestIdle(a, b);
}

/** The ordering of a queue's agents under a strategy (for skill-level: without a preferred skill). */
export function strategyOrder(strategy: Strategy): (a: RankedAgent, b: RankedAgent) => number {
  switch (strategy) {
    case 'longest-idle':
    case 'skill-level':
      return byLongestIdle;
    case 'fewest-calls':
      return byFewestCalls;
    case 'round-robin':
      return byRoundRobin;
  }
}

/** The ordering of a queue's agents having `skill`, for a call preferring that skill. */
export function skillOrder(strategy: Strategy, skill: string): (a: RankedAgent, b: RankedAgent) => number {
  return strategy === 'skill-level' ? bySkillLevel(skill) : strategyOrder(strategy);
}

/** Whether the agent belongs to the queue: listed in the pool / expert group, with a queue skill. */
export function servesQueue(agent: Agent, policy: QueuePolicy): boolean {
  const listed =
    policy.kind === 'pool' ? agent.pools.includes(policy.id) : agent.expertSeats.includes(policy.id);
  if (!listed) return false;
  return policy.skills.length === 0 || policy.skills.some((s) => (agent.skills[s] ?? 0) >= 1);
}

/** Whether the agent has the skill (any level). */
export function hasSkill(agent: Agent, skill: string): boolean {
  return (agent.skills[skill] ?? 0) >= 1;
}

/**
 * Skill widening of a waiting call with a preferred skill: `preferred` (offered only to agents
 * having the skill) until `widenAfterSeconds` after it entered the queue, then `widened` (any
 * agent of the queue; skill-level queues still try the skilled agents first). The boundary is
 * inclusive: at exactly `enqueuedAt + N s` the call is widened. A queue without
 * `widenAfterSeconds` never widens. Overflow and max-wait are not the ACD's: the call's own
 * timers take it out of the queue, and the ACD serves it for as long as it waits there.
 */
export type SkillStage = 'preferred' | 'widened';

export function skillStage(
  call: Pick<WaitingCall, 'enqueuedAt'>,
  policy: QueuePolicy,
  now: number,
): SkillStage {
  const widenAfter = policy.widenAfterSeconds;
  return widenAfter !== undefined && now >= call.enqueuedAt + widenAfter * 1000 ? 'widened' : 'preferred';
}
