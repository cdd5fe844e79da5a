import { type Agent, initialStatus } from '../acd/agent.ts';
import { transition } from '../acd/agent-state.ts';
import { DispatchBoard } from '../acd/dispatch-board.ts';
import { AcdError } from '../acd/errors.ts';
import { acdQueueId, queuePolicies } from '../acd/plan-queues.ts';
import { type QueuedCall, type QueuePolicy, queuePolicySchema } from '../acd/queue-policy.ts';
import type { RoutingPlan } from '../plan/compile.ts';
import { parseRef } from '../plan/ref.ts';
import type { QueueStep } from '../plan/route-step.ts';
import type { RosterEntry } from '../roster.ts';
import { type CallerPath, callerPath, type PathEnd, routeOnward } from './caller-path.ts';
import type { DayResult, TrafficCall, TrafficDay } from './comparison.ts';
import { EventHeap } from './event-heap.ts';
import { DayTally } from './tally.ts';

/**
 * One plan's day on virtual time: a discrete-event simulation (time jumps from event to event).
 *
 * Why not the engine itself: `hotline simulate` drives the real engine (src/app.ts) over a real
 * ARI websocket against the simulator with a scaled clock; two runs of 20,000 calls would take
 * hours, and the what-if must answer in seconds. So this replays the day with the project's own
 * decision functions and nothing re-written by hand:
 *  - the caller's path: the plan's enterCall, followRoute, matchDigits and afterFailure (what the
 *    call session and `hotline explain` decide with) — which line and phase the number and date
 *    give, prompts, menus, opening hours, the target queue, sub-center or department line;
 *  - which agent takes which call: the ACD's DispatchBoard (queue order by priority then arrival,
 *    the queue's selection strategy, preferred skill and widening after `widenAfterSeconds`);
 *  - the agents' states: the ACD's `transition` (reserve, answer, complete with the queue's
 *    wrap-up, end of wrap-up); longest-idle and fewest-calls keys come from it;
 *  - overflow after `overflowAfterSeconds` follows `overflowTo` with followRoute again, as the
 *    session's overflowDue does; `maxWaitSeconds` turns the call into a ticket (maxWaitDue).
 *
 * Simplifications (the same for both runs, so a comparison stays fair): every agent of the roster
 * is logged in and ready all day; an offered agent answers at once (no ringing, no RONA); a call
 * put through to a sub-center, department line, emergency line or another center counts as
 * reaching a person when the IVR dials it (their own queues are not modelled); call-backs,
 * position announcements and the survey after the call are not modelled; callers do not hang up
 * in the IVR (patience runs from the first entry into a queue, as in src/synthetic/traffic.ts).
 */
export interface SimulateOptions {
  /** Service-level threshold, seconds (default: the plan's center.serviceLevelSeconds). */
  serviceLevelSeconds?: number;
}

/** The ACD queue id of a plan's pool or expert seat (as the engine names them: `pool:general`). */
export const acdQueueKey = acdQueueId;

/** The plan's pools and expert seats as ACD queue policies, exactly as the engine declares them. */
export function planQueuePolicies(plan: RoutingPlan): QueuePolicy[] {
  return queuePolicies(plan).map((p) => queuePolicySchema.parse(p));
}

/** Roster entries as the ACD's agents (pools and expert seats by their ACD queue ids), logged in and ready. */
export function rosterAgents(roster: readonly RosterEntry[], centerId: string, now: number): Agent[] {
  return roster.map((r) => {
    const endpoint = r.endpoint ?? r.endpoints?.[0] ?? `PJSIP/${r.id}`;
    const agent: Agent = {
      id: r.id,
      name: r.name,
      centerId,
      endpoint,
      skills: r.skills ?? {},
      pools: (r.pools ?? []).map((p) => acdQueueKey('pool', p)),
      expertSeats: (r.expertSeats ?? []).map((e) => acdQueueKey('expert', e)),
      ...(r.department ? { department: r.department } : {}),
      status: initialStatus(now),
    };
    return must(transition(agent, { type: 'login', endpoint }, now));
  });
}

function must(a: Agent | AcdError): Agent {
  if (a instanceof AcdError) throw a;
  return a;
}

/** A call of the day as the simulation holds it. */
interface SimCall {
  n: number;
  id: string;
  traffic: TrafficCall;
  path: CallerPath;
  /** First entry into a queue, ms (patience and the caller's wait run from here). */
  firstQueuedAt?: number;
  /** The queue the call is in now (or heading to) and since when. */
  queue?: QueueStep & { key: string; enteredAt: number };
  /** Bumped at each queue entry: timers of an earlier entry find it changed and do nothing. */
  entry: number;
  state: 'ivr' | 'waiting' | 'talking' | 'done';
}

type SimEvent =
  | { kind: 'arrive'; call: SimCall }
  | { kind: 'reach'; call: SimCall; end: PathEnd }
  | { kind: 'abandon'; call: SimCall }
  | { kind: 'overflow' | 'max-wait' | 'widen'; call: SimCall; entry: number }
  | { kind: 'talk-end'; call: SimCall; agentId: string }
  | { kind: 'wrap-end'; agentId: string };

const ENGINE = 'whatif';

/** Replays `traffic` through `plan` with the agents of `roster`; the figures of the day. */
export function simulateDay(
  plan: RoutingPlan,
  traffic: TrafficDay,
  roster: readonly RosterEntry[],
  options: SimulateOptions = {},
): DayResult {
  const slMs = (options.serviceLevelSeconds ?? plan.center.serviceLevelSeconds) * 1000;
  const policies = new Map(planQueuePolicies(plan).map((p) => [p.id, p]));
  const agents = new Map(rosterAgents(roster, plan.center.id, traffic.fromMs).map((a) => [a.id, a]));
  const board = DispatchBoard.from([...policies.values()], [...agents.values()], [], traffic.fromMs);
  const tally = new DayTally(plan, [...policies.values()], [...agents.values()], traffic, slMs);
  const heap = new EventHeap<SimEvent>();
  const waiting = new Map<string, SimCall>();
  let events = 0;

  traffic.calls.forEach((t, n) => {
    heap.push(t.atMs, {
      kind: 'arrive',
      call: { n, id: `w${n}`, traffic: t, path: undefined as unknown as CallerPath, entry: 0, state: 'ivr' },
    });
  });

  const connect = (call: SimCall, agentId: string, now: number) => {
    const q = call.queue!;
    board.removeCall(call.id);
    board.removeAgent(agentId);
    waiting.delete(call.id);
    let agent = agents.get(agentId)!;
    agent = must(
      transition(
        agent,
        { type: 'reserve', callId: call.id, queueId: q.key, engineId: ENGINE, until: now },
        now,
      ),
    );
    agent = must(transition(agent, { type: 'answer' }, now));
    agents.set(agentId, agent);
    call.state = 'talking';
    tally.answered(call.path, q.key, call.traffic.atMs, call.firstQueuedAt!, q.enteredAt, now);
    heap.push(now + call.traffic.talkSeconds * 1000, { kind: 'talk-end', call, agentId });
  };

  const offerCall = (call: SimCall, now: number) => {
    const qc = waitingEntry(call);
    const pick = board.bestAgentFor(qc, now);
    if (pick) connect(call, pick.agentId, now);
  };

  const agentReady = (agentId: string, now: number) => {
    const agent = agents.get(agentId)!;
    board.putAgent(agent, now);
    const best = board.bestCallFor(agentId, now);
    if (best) connect(waiting.get(best.call.callId)!, agentId, now);
  };

  const waitingEntry = (call: SimCall): QueuedCall => {
    const q = call.queue!;
    return {
      callId: call.id,
      queueId: q.key,
      priority: q.priority,
      enqueuedAt: call.firstQueuedAt!,
      preferredSkill: q.skill,
      engineId: ENGINE,
    };
  };

  /** The call reaches the end of a path (after its prompts): a queue, a dialled target, a ticket, an announcement. */
  const reach = (call: SimCall, end: PathEnd, now: number) => {
    if (call.state === 'done') return;
    if (end.kind !== 'queue') {
      call.state = 'done';
      tally.ended(call.path, end, call.traffic.atMs, now);
      return;
    }
    const key = acdQueueKey(end.queue, end.id);
    const policy = policies.get(key)!;
    const first = call.firstQueuedAt === undefined;
    call.firstQueuedAt ??= now;
    call.entry++;
    call.queue = { ...end, key, enteredAt: now };
    call.state = 'waiting';
    waiting.set(call.id, call);
    tally.queued(key, first);
    board.putCall(waitingEntry(call));
    if (policy.overflowAfterSeconds !== undefined)
      heap.push(now + policy.overflowAfterSeconds * 1000, { kind: 'overflow', call, entry: call.entry });
    heap.push(now + policy.maxWaitSeconds * 1000, { kind: 'max-wait', call, entry: call.entry });
    if (policy.widenAfterSeconds !== undefined) {
      const at = call.firstQueuedAt + policy.widenAfterSeconds * 1000;
      if (at > now) heap.push(at, { kind: 'widen', call, entry: call.entry });
    }
    if (call.entry === 1 && Number.isFinite(call.traffic.patienceSeconds))
      heap.push(call.firstQueuedAt + call.traffic.patienceSeconds * 1000, { kind: 'abandon', call });
    offerCall(call, now);
  };

  /** The call leaves its queue unanswered (abandon, overflow, max wait). */
  const leaveQueue = (call: SimCall) => {
    board.removeCall(call.id);
    waiting.delete(call.id);
  };

  for (let ev = heap.pop(); ev; ev = heap.pop()) {
    events++;
    const now = ev.atMs;
    const e = ev.item;
    switch (e.kind) {
      case 'arrive': {
        const call = e.call;
        call.path = callerPath(plan, call.traffic.dialed, now, call.traffic.keys);
        tally.arrived(call.path);
        if (call.path.ivrMs > 0)
          heap.push(now + call.path.ivrMs, { kind: 'reach', call, end: call.path.end });
        else reach(call, call.path.end, now);
        break;
      }
      case 'reach':
        reach(e.call, e.end, now);
        break;
      case 'abandon': {
        const call = e.call;
        if (call.state === 'waiting') {
          leaveQueue(call);
          tally.abandoned(call.path, call.queue!.key);
          call.state = 'done';
        } else if (call.state === 'ivr') {
          // Between two queues (hearing an overflow's prompts).
          tally.abandoned(call.path, undefined);
          call.state = 'done';
        }
        break;
      }
      case 'overflow': {
        const call = e.call;
        if (call.state !== 'waiting' || call.entry !== e.entry) break;
        const q = call.queue!;
        const ref = parseRef(policies.get(q.key)!.overflowTo ?? '');
        if (typeof ref === 'string') break;
        leaveQueue(call);
        tally.overflowed(q.key);
        call.state = 'ivr';
        const onward = routeOnward(
          plan,
          { prompts: [], target: ref, skill: q.skill, priority: q.priority },
          call.path,
          now,
        );
        if (onward.ms > 0) heap.push(now + onward.ms, { kind: 'reach', call, end: onward.end });
        else reach(call, onward.end, now);
        break;
      }
      case 'max-wait': {
        const call = e.call;
        if (call.state !== 'waiting' || call.entry !== e.entry) break;
        leaveQueue(call);
        tally.ticketedInQueue(call.path, call.queue!.key);
        call.state = 'done';
        break;
      }
      case 'widen':
        if (e.call.state === 'waiting' && e.call.entry === e.entry) offerCall(e.call, now);
        break;
      case 'talk-end': {
        const call = e.call;
        call.state = 'done';
        const policy = policies.get(call.queue!.key)!;
        const agent = must(
          transition(
            agents.get(e.agentId)!,
            { type: 'complete', talkSeconds: call.traffic.talkSeconds, wrapUpSeconds: policy.wrapUpSeconds },
            now,
          ),
        );
        agents.set(e.agentId, agent);
        tally.busy(e.agentId, now - call.traffic.talkSeconds * 1000, now + policy.wrapUpSeconds * 1000);
        if (agent.status.state === 'wrap-up')
          heap.push(agent.status.until!, { kind: 'wrap-end', agentId: e.agentId });
        else agentReady(e.agentId, now);
        break;
      }
      case 'wrap-end': {
        agents.set(e.agentId, must(transition(agents.get(e.agentId)!, { type: 'wrap-up-expired' }, now)));
        agentReady(e.agentId, now);
        break;
      }
    }
  }
  return tally.result(events);
}
