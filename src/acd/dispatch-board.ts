import { type Agent, isOfferable, memberships } from './agent.ts';
import { compareCalls, type QueuedCall, type QueuePolicy } from './queue-policy.ts';
import {
  hasSkill,
  type RankedAgent,
  rankAgent,
  type SkillStage,
  servesQueue,
  skillOrder,
  skillStage,
  strategyOrder,
} from './select-agent.ts';
import { SortedList } from './sorted-list.ts';

/**
 * The in-memory index that makes a dispatch decision cheap: per queue, the offerable agents
 * sorted by the queue's strategy, and per (queue, skill) the offerable agents having that skill,
 * so choosing the agent for a call is a look at the head of one list; and per queue its
 * offerable waiting calls in queue order. No I/O, no clock: `now` is an argument.
 */

export interface OfferDecision {
  callId: string;
  queueId: string;
  agentId: string;
  /** Where to ring the agent: the endpoint of their login, else their default one. */
  endpoint: string | undefined;
  /** The engine holding the call's channel. */
  engineId: string;
  stage: SkillStage;
}

export interface DispatchDecision {
  offers: OfferDecision[];
}

/**
 * Several Asterisk nodes: an agent whose phone is registered on the call's own node is reached
 * without the inter-node trunk (one node carries the call, no second media hop). Such an agent
 * is preferred when one is among the first `depth` agents of the queue's order; further down,
 * the strategy's own choice stands, so fairness bends by at most `depth - 1` places.
 */
export interface NodeAffinity {
  depth: number;
  /** Whether the agent's phone is registered on the node that holds the call. */
  near(callId: string, agent: Agent): boolean;
}

interface QueueIndex {
  policy: QueuePolicy;
  agents: SortedList<RankedAgent>;
  bySkill: Map<string, SortedList<RankedAgent>>;
  calls: SortedList<QueuedCall>;
}

const DAY_MS = 86_400_000;
const SHANGHAI_OFFSET_MS = 8 * 3_600_000;
const dayStart = (now: number) =>
  Math.floor((now + SHANGHAI_OFFSET_MS) / DAY_MS) * DAY_MS - SHANGHAI_OFFSET_MS;

export class DispatchBoard {
  private readonly queues = new Map<string, QueueIndex>();
  private readonly ranked = new Map<string, RankedAgent>();
  private readonly members = new Map<string, QueueIndex[]>();
  private readonly calls = new Map<string, QueuedCall>();
  private dayFrom: number;

  constructor(
    policies: readonly QueuePolicy[],
    now: number,
    private readonly affinity?: NodeAffinity,
  ) {
    this.dayFrom = dayStart(now);
    for (const policy of policies) {
      this.queues.set(policy.id, {
        policy,
        agents: new SortedList(strategyOrder(policy.strategy)),
        bySkill: new Map(),
        calls: new SortedList(compareCalls),
      });
    }
  }

  /** Builds a board from a snapshot with one sort per list (faster than inserting one by one). */
  static from(
    policies: readonly QueuePolicy[],
    agents: readonly Agent[],
    calls: readonly QueuedCall[],
    now: number,
    affinity?: NodeAffinity,
  ) {
    const board = new DispatchBoard(policies, now, affinity);
    board.load(agents, calls, now);
    return board;
  }

  private load(agents: readonly Agent[], calls: readonly QueuedCall[], now: number): void {
    const lists = new Map<SortedList<RankedAgent>, RankedAgent[]>();
    const add = (list: SortedList<RankedAgent>, r: RankedAgent) => {
      const bucket = lists.get(list);
      if (bucket) bucket.push(r);
      else lists.set(list, [r]);
    };
    for (const agent of agents) {
      if (!isOfferable(agent)) continue;
      const r = rankAgent(agent, now);
      const queues = this.queuesOf(agent);
      if (queues.length === 0) continue;
      this.ranked.set(agent.id, r);
      this.members.set(agent.id, queues);
      for (const q of queues) {
        add(q.agents, r);
        for (const skill of Object.keys(agent.skills)) add(this.skillList(q, skill), r);
      }
    }
    for (const [list, items] of lists) list.reset(items);
    const byQueue = new Map<QueueIndex, QueuedCall[]>();
    for (const call of calls) {
      const q = this.queues.get(call.queueId);
      if (!q || call.offer) continue;
      this.calls.set(call.callId, call);
      const bucket = byQueue.get(q);
      if (bucket) bucket.push(call);
      else byQueue.set(q, [call]);
    }
    for (const [q, items] of byQueue) q.calls.reset(items);
  }

  private queuesOf(agent: Agent): QueueIndex[] {
    const out: QueueIndex[] = [];
    for (const id of memberships(agent)) {
      const q = this.queues.get(id);
      if (q && servesQueue(agent, q.policy) && !out.includes(q)) out.push(q);
    }
    return out;
  }

  private skillList(q: QueueIndex, skill: string): SortedList<RankedAgent> {
    let list = q.bySkill.get(skill);
    if (!list) {
      list = new SortedList(skillOrder(q.policy.strategy, skill));
      q.bySkill.set(skill, list);
    }
    return list;
  }

  /** Daily counters restart at midnight (Asia/Shanghai): re-rank everyone when the day turns. */
  private roll(now: number): void {
    if (now < this.dayFrom + DAY_MS) return;
    this.dayFrom = dayStart(now);
    const agents = [...this.ranked.values()].map((r) => r.agent);
    for (const agent of agents) this.removeAgent(agent.id);
    for (const agent of agents) this.putAgent(agent, now);
  }

  /** Adds, updates or drops an agent according to its new status. */
  putAgent(agent: Agent, now: number): void {
    this.removeAgent(agent.id);
    if (!isOfferable(agent)) return;
    const queues = this.queuesOf(agent);
    if (queues.length === 0) return;
    const r = rankAgent(agent, now);
    this.ranked.set(agent.id, r);
    this.members.set(agent.id, queues);
    for (const q of queues) {
      q.agents.insert(r);
      for (const skill of Object.keys(agent.skills)) this.skillList(q, skill).insert(r);
    }
  }

  removeAgent(agentId: string): void {
    const r = this.ranked.get(agentId);
    if (!r) return;
    for (const q of this.members.get(agentId) ?? []) {
      q.agents.remove(r);
      for (const skill of Object.keys(r.agent.skills)) q.bySkill.get(skill)?.remove(r);
    }
    this.ranked.delete(agentId);
    this.members.delete(agentId);
  }

  /** Adds or updates a waiting call; an offered call (or one of an unknown queue) is dropped. */
  putCall(call: QueuedCall): void {
    this.removeCall(call.callId);
    const q = this.queues.get(call.queueId);
    if (!q || call.offer) return;
    this.calls.set(call.callId, call);
    q.calls.insert(call);
  }

  removeCall(callId: string): void {
    const call = this.calls.get(callId);
    if (!call) return;
    this.queues.get(call.queueId)?.calls.remove(call);
    this.calls.delete(callId);
  }

  /** An offerable agent on the board. */
  agent(agentId: string): Agent | undefined {
    return this.ranked.get(agentId)?.agent;
  }

  /** A waiting (not offered) call on the board. */
  call(callId: string): QueuedCall | undefined {
    return this.calls.get(callId);
  }

  get offerableAgents(): number {
    return this.ranked.size;
  }

  get waitingCalls(): number {
    return this.calls.size;
  }

  /** The best offerable agent for a waiting call at its current stage, if any. */
  bestAgentFor(call: QueuedCall, now: number): { agentId: string; stage: SkillStage } | undefined {
    this.roll(now);
    const q = this.queues.get(call.queueId);
    if (!q) return undefined;
    const stage = skillStage(call, q.policy, now);
    const skill = call.preferredSkill;
    let pick: RankedAgent | undefined;
    if (skill === undefined) pick = this.head(q.agents, call);
    else if (stage === 'preferred') pick = this.head(q.bySkill.get(skill), call);
    else if (q.policy.strategy === 'skill-level')
      pick = this.head(q.bySkill.get(skill), call) ?? this.head(q.agents, call);
    else pick = this.head(q.agents, call);
    return pick ? { agentId: pick.id, stage } : undefined;
  }

  /** The list's first agent, or with node affinity the first on the call's node near the head. */
  private head(list: SortedList<RankedAgent> | undefined, call: QueuedCall): RankedAgent | undefined {
    if (!list) return undefined;
    const a = this.affinity;
    if (a && a.depth > 1) {
      const n = Math.min(a.depth, list.size);
      for (let i = 0; i < n; i++) {
        const r = list.items[i] as RankedAgent;
        if (a.near(call.callId, r.agent)) return r;
      }
    }
    return list.first();
  }

  /** The best waiting call across the agent's queues (highest priority, then longest waiting). */
  bestCallFor(agentId: string, now: number): { call: QueuedCall; stage: SkillStage } | undefined {
    this.roll(now);
    const r = this.ranked.get(agentId);
    if (!r) return undefined;
    let best: { call: QueuedCall; stage: SkillStage } | undefined;
    for (const q of this.members.get(agentId) ?? []) {
      for (const call of q.calls.items) {
        if (best && compareCalls(best.call, call) < 0) break;
        const stage = skillStage(call, q.policy, now);
        if (
          stage === 'preferred' &&
          call.preferredSkill !== undefined &&
          !hasSkill(r.agent, call.preferredSkill)
        ) {
          continue;
        }
        best = { call, stage };
        break;
      }
    }
    return best;
  }

  /**
   * Matches waiting calls to offerable agents: calls are taken in global order (priority, then
   * arrival, then call id) and each gets the best agent of its queue at its skill stage. Offered
   * agents and calls leave the board.
   */
  decide(now: number): DispatchDecision {
    this.roll(now);
    const all: QueuedCall[] = [...this.calls.values()].sort(compareCalls);
    const offers: OfferDecision[] = [];
    for (const call of all) {
      if (this.ranked.size === 0) break;
      const pick = this.bestAgentFor(call, now);
      if (!pick) continue;
      const agent = this.agent(pick.agentId);
      offers.push({
        callId: call.callId,
        queueId: call.queueId,
        agentId: pick.agentId,
        endpoint: agent?.status.endpoint ?? agent?.endpoint,
        engineId: call.engineId,
        stage: pick.stage,
      });
      this.removeAgent(pick.agentId);
      this.removeCall(call.callId);
    }
    return { offers };
  }
}
