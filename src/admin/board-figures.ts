import { type Agent, type AgentState, countersOn } from '../acd/agent.ts';
import type { QueuedCall, QueuePolicy } from '../acd/queue-policy.ts';
import { hasSkill, servesQueue, skillStage } from '../acd/select-agent.ts';
import type { CallState } from '../calls/core/types.ts';
import type { RoutingPlan } from '../plan/compile.ts';
import { topicName } from '../plan/topic-name.ts';
import { type DayCounts, emptySlot, type SlotCounts, slotFields, slotOf, slotStart } from './day-slots.ts';

/**
 * The wallboard's figures, all from one function so that they agree with each other:
 * - the day (Asia/Shanghai, the agents' daily counters' day): 呼入 ≥ 转人工 ≥ 接通, the rates over
 *   转人工, and the agents' answers, which are the sum of the agents' 今日接听;
 * - the trend: per quarter hour of the day so far, offered, answered, abandoned and service level;
 * - now: one count per thing. Talking is the agents on a call (the agents table's 通话中, and the
 *   sum of the queues' 通话 plus those on a call of no queue); ringing is the calls being offered;
 *   waiting the calls in a queue not being offered (the sum of the queues');
 * - each queue, with why its calls wait while agents are ready (`notes`).
 */
export interface BoardInput {
  now: number;
  plan: RoutingPlan;
  day: DayCounts;
  policies: readonly QueuePolicy[];
  /** The roster's agents, as the ACD store has them. */
  agents: readonly Agent[];
  /** The calls in the ACD queues (every engine's). */
  queued: readonly QueuedCall[];
  /** The live calls of the engines this process holds (for the ones in the IVR and those handed to an outside target). */
  live: readonly CallState[];
}

export interface DayFigures {
  day: string;
  serviceLevelSeconds: number;
  /** 呼入: calls that reached the hotline today. */
  calls: number;
  /** 转人工: calls that entered an agent queue today. */
  offered: number;
  /** 接通: offered calls an agent answered. */
  answered: number;
  abandoned: number;
  /** Every agent answer today (expert consultations included): the sum of the agents' 今日接听. */
  agentAnswers: number;
  answeredWithinServiceLevel: number;
  answeredWithinServiceLevelFromArrival: number;
  /** The rates are over `offered`; null while nothing was offered. */
  answerRate: number | null;
  abandonmentRate: number | null;
  serviceLevel: number | null;
  serviceLevelFromArrival: number | null;
  asaSeconds: number | null;
  asaFromArrivalSeconds: number | null;
  perLine: { line: string; name: string; calls: number }[];
}

export interface TrendSlot {
  slot: number;
  /** Local start, `HH:MM`. */
  start: string;
  offered: number;
  answered: number;
  abandoned: number;
  /** Answered within the service level / offered in the slot; null when nothing was offered. */
  serviceLevel: number | null;
}

export interface LiveFigures {
  /** The sum of the parts below. */
  calls: number;
  ivr: number;
  waiting: number;
  ringing: number;
  /** Agents on a call. */
  talking: number;
  /** With an outside target (sub-center, department line, emergency) and no agent. */
  transferred: number;
}

export interface AgentTotals {
  loggedIn: number;
  /** Ready with a registered softphone (can be offered a call). */
  ready: number;
  /** Ready, softphone not registered. */
  readyNoDevice: number;
  ringing: number;
  onCall: number;
  wrapUp: number;
  notReady: number;
  /** The sum of the agents' 今日接听. */
  answeredToday: number;
}

/** Why calls wait in a queue (the page says it in Chinese). */
export type QueueNote =
  /** Being offered: an agent's phone rings. */
  | { kind: 'ringing'; calls: number }
  /**
   * Waiting for an agent with the call's skill: the queue's ready agents lack it. The call
   * widens to every agent of the queue in `widenInSeconds` (null: this queue never widens).
   */
  | { kind: 'skill'; calls: number; skill: string; skillName: string; widenInSeconds: number | null }
  /** A ready agent can take it: the offer is on its way. */
  | { kind: 'assigning'; calls: number }
  /** No agent of this queue is ready; `readyElsewhere` ready agents serve only other queues. */
  | { kind: 'no-agent'; calls: number; readyElsewhere: number };

export interface BoardQueue {
  id: string;
  kind: QueuePolicy['kind'];
  name: string;
  /** In the queue, not being offered. */
  waiting: number;
  /** Being offered (an agent's phone rings). */
  ringing: number;
  longestWaitSeconds: number;
  /** Agents of this queue that are ready (an agent of several queues counts in each). */
  agentsReady: number;
  /** Agents on a call of this queue (each agent in one queue at most). */
  agentsOnCall: number;
  /** Agents in wrap-up after a call of this queue. */
  agentsWrapUp: number;
  notes: QueueNote[];
}

export interface BoardAgent {
  id: string;
  name: string;
  state: AgentState;
  notReadyReason?: string;
  secondsInState: number;
  deviceAvailable: boolean;
  callsAnsweredToday: number;
  /** The queue of the call the agent holds (ringing, on it, in its wrap-up). */
  queueName?: string;
  /** The call the agent is talking on (on-call only): what a supervisor listens to. */
  callId?: string;
}

export interface BoardFigures {
  today: DayFigures;
  trend: TrendSlot[];
  live: LiveFigures;
  agentTotals: AgentTotals;
  queues: BoardQueue[];
  agents: BoardAgent[];
}

const ratio = (n: number, d: number) => (d === 0 ? null : n / d);

function dayFigures(plan: RoutingPlan, day: DayCounts): DayFigures {
  const t = emptySlot();
  for (const s of day.slots) for (const f of slotFields) t[f] += s[f];
  return {
    day: day.day,
    serviceLevelSeconds: plan.center.serviceLevelSeconds,
    calls: t.arrived,
    offered: t.offered,
    answered: t.answered,
    abandoned: t.abandoned,
    agentAnswers: t.agentAnswers,
    answeredWithinServiceLevel: t.withinServiceLevel,
    answeredWithinServiceLevelFromArrival: t.withinServiceLevelFromArrival,
    answerRate: ratio(t.answered, t.offered),
    abandonmentRate: ratio(t.abandoned, t.offered),
    serviceLevel: ratio(t.withinServiceLevel, t.offered),
    serviceLevelFromArrival: ratio(t.withinServiceLevelFromArrival, t.offered),
    asaSeconds: t.answered === 0 ? null : t.waitMs / t.answered / 1000,
    asaFromArrivalSeconds: t.answered === 0 ? null : t.waitFromArrivalMs / t.answered / 1000,
    perLine: Object.entries(day.lines)
      .filter(([, n]) => n > 0)
      .map(([line, calls]) => ({ line, name: plan.lines.get(line)?.name ?? '其他号码', calls }))
      .sort((a, b) => b.calls - a.calls || a.line.localeCompare(b.line)),
  };
}

/** The slots of the day up to the current one (the whole day for an earlier day). */
function trend(day: DayCounts, now: number): TrendSlot[] {
  const at = slotOf(now);
  const last = at.day === day.day ? at.slot : day.slots.length - 1;
  return day.slots.slice(0, last + 1).map((s: SlotCounts, slot) => ({
    slot,
    start: slotStart(slot),
    offered: s.offered,
    answered: s.answered,
    abandoned: s.abandoned,
    serviceLevel: ratio(s.withinServiceLevel, s.offered),
  }));
}

const offerable = (a: Agent) => a.status.state === 'ready' && a.status.deviceAvailable;

function queueNotes(
  plan: RoutingPlan,
  policy: QueuePolicy,
  calls: readonly QueuedCall[],
  agents: readonly Agent[],
  now: number,
): QueueNote[] {
  const notes: QueueNote[] = [];
  const ringing = calls.filter((c) => c.offer).length;
  if (ringing > 0) notes.push({ kind: 'ringing', calls: ringing });
  const waiting = calls.filter((c) => !c.offer);
  if (waiting.length === 0) return notes;
  const ready = agents.filter((a) => offerable(a) && servesQueue(a, policy));
  if (ready.length === 0) {
    const readyElsewhere = agents.filter(offerable).length;
    notes.push({ kind: 'no-agent', calls: waiting.length, readyElsewhere });
    return notes;
  }
  let assigning = 0;
  const bySkill = new Map<string, { calls: number; widenInSeconds: number | null }>();
  for (const call of waiting) {
    const skill = call.preferredSkill;
    const stage = skillStage(call, policy, now);
    if (skill === undefined || stage === 'widened' || ready.some((a) => hasSkill(a, skill))) {
      assigning++;
      continue;
    }
    const widenIn =
      policy.widenAfterSeconds === undefined
        ? null
        : Math.max(0, (call.enqueuedAt + policy.widenAfterSeconds * 1000 - now) / 1000);
    const group = bySkill.get(skill) ?? { calls: 0, widenInSeconds: widenIn };
    group.calls++;
    if (widenIn !== null && group.widenInSeconds !== null)
      group.widenInSeconds = Math.min(group.widenInSeconds, widenIn);
    bySkill.set(skill, group);
  }
  for (const [skill, g] of bySkill)
    notes.push({ kind: 'skill', skill, skillName: topicName(plan, skill), ...g });
  if (assigning > 0) notes.push({ kind: 'assigning', calls: assigning });
  return notes;
}

/** Everything the wallboard shows, from one reading of the store, the engine and the day's slots. */
export function boardFigures(i: BoardInput): BoardFigures {
  const { now, plan } = i;
  const agents = [...i.agents].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const names = new Map(i.policies.map((p) => [p.id, p.name]));
  const totals: AgentTotals = {
    loggedIn: 0,
    ready: 0,
    readyNoDevice: 0,
    ringing: 0,
    onCall: 0,
    wrapUp: 0,
    notReady: 0,
    answeredToday: 0,
  };
  for (const a of agents) {
    const s = a.status;
    totals.answeredToday += countersOn(s.counters, now).callsAnswered;
    if (s.state === 'logged-out') continue;
    totals.loggedIn++;
    if (s.state === 'ready') {
      if (s.deviceAvailable) totals.ready++;
      else totals.readyNoDevice++;
    } else if (s.state === 'reserved') totals.ringing++;
    else if (s.state === 'on-call') totals.onCall++;
    else if (s.state === 'wrap-up') totals.wrapUp++;
    else if (s.state === 'not-ready') totals.notReady++;
  }

  const queues = i.policies.map((policy): BoardQueue => {
    const calls = i.queued.filter((c) => c.queueId === policy.id);
    const oldest = Math.min(...calls.map((c) => c.enqueuedAt));
    const held = (state: AgentState) =>
      agents.filter((a) => a.status.state === state && a.status.queueId === policy.id).length;
    return {
      id: policy.id,
      kind: policy.kind,
      name: policy.name,
      waiting: calls.filter((c) => !c.offer).length,
      ringing: calls.filter((c) => c.offer).length,
      longestWaitSeconds: calls.length === 0 ? 0 : Math.max(0, (now - oldest) / 1000),
      agentsReady: agents.filter((a) => offerable(a) && servesQueue(a, policy)).length,
      agentsOnCall: held('on-call'),
      agentsWrapUp: held('wrap-up'),
      notes: queueNotes(plan, policy, calls, agents, now),
    };
  });

  const waiting = queues.reduce((n, q) => n + q.waiting, 0);
  const ringing = queues.reduce((n, q) => n + q.ringing, 0);
  const ivr = i.live.filter((c) => c.stage === 'ivr').length;
  const transferred = i.live.filter((c) => c.stage === 'transferred' || c.stage === 'dialing').length;
  const live: LiveFigures = {
    calls: ivr + waiting + ringing + totals.onCall + transferred,
    ivr,
    waiting,
    ringing,
    talking: totals.onCall,
    transferred,
  };

  return {
    today: dayFigures(plan, i.day),
    trend: trend(i.day, now),
    live,
    agentTotals: totals,
    queues,
    agents: agents.map((a) => {
      const queueName = a.status.queueId === undefined ? undefined : names.get(a.status.queueId);
      return {
        id: a.id,
        name: a.name,
        state: a.status.state,
        ...(a.status.notReadyReason !== undefined ? { notReadyReason: a.status.notReadyReason } : {}),
        secondsInState: Math.max(0, Math.round((now - a.status.since) / 1000)),
        deviceAvailable: a.status.deviceAvailable,
        callsAnsweredToday: countersOn(a.status.counters, now).callsAnswered,
        ...(queueName !== undefined ? { queueName } : {}),
        ...(a.status.state === 'on-call' && a.status.callId !== undefined ? { callId: a.status.callId } : {}),
      };
    }),
  };
}
