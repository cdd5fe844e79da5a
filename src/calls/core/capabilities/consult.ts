import type { QueueStep } from '../../../plan/route-step.ts';
import {
  cancelTimer,
  closeTransfer,
  log,
  nextId,
  notifyAgent,
  queuePolicy,
  RING_GRACE_MS,
  returnAgentFromConsult,
  startTimer,
  TOP_PRIORITY,
  type Turn,
  transferEntry,
  transferLog,
} from '../kernel.ts';
import { type LegFailure, legFailureOf } from '../q850.ts';
import type { TransferTarget } from '../transfer-target.ts';
import type { AgentOutcome, CallState, TransferState } from '../types.ts';

/**
 * A consult with an expert seat. The agent stays on the call: the caller holds with music in the
 * call's bridge, the ACD offers the consult to an agent of the seat (the expert queue, first in
 * line), and the expert's leg joins the agent in a consult bridge. Complete hands the caller to
 * the expert (the agent leaves); cancel, or an expert not answering, or nobody free within the
 * seat's longest wait, puts the agent back with the caller. Meanwhile two agents hold the call
 * in the ACD (the agent on-call, the expert reserved then on-call): every ACD command names its agent.
 */

type ExpertTarget = Extract<TransferTarget, { kind: 'expert' }>;

/** Whether the transfer under way is a consult with an expert seat. */
export function isExpertConsult(x: TransferState | undefined): x is TransferState & { expert: object } {
  return x?.target.kind === 'expert' && x.expert !== undefined;
}

/** Whether the consult waits for the ACD to reserve an expert (no expert's leg yet). */
export function awaitsExpert(s: CallState): boolean {
  return isExpertConsult(s.transfer) && s.transfer.expert.agentId === undefined;
}

export function startExpertConsult(s: CallState, t: Turn, target: ExpertTarget): void {
  const agent = s.agent!;
  const id = nextId(s, 'x');
  transferLog(s).push({
    id,
    mode: 'consult',
    target: { kind: 'expert', id: target.id },
    startedAt: t.now,
    result: 'dialing',
  });
  log(s, t, 'transfer', { id, mode: 'consult', target: `expert:${target.id}` });
  const policy = queuePolicy(t, 'expert', target.id).queue;
  const consult = nextId(s, 'b');
  s.transfer = {
    id,
    mode: 'consult',
    target: { kind: 'expert', id: target.id },
    agentId: agent.agentId,
    channelId: '',
    startedAt: t.now,
    ringMs: policy.ringSeconds * 1000,
    consultBridgeId: consult,
    expert: { skill: target.skill },
  };
  t.out.push({ kind: 'remove-from-bridge', bridgeId: s.bridgeId!, channel: agent.channelId });
  t.out.push({ kind: 'bridge-moh', bridgeId: s.bridgeId!, on: true });
  t.out.push({ kind: 'create-bridge', bridgeId: consult, channels: [agent.channelId], moh: false });
  t.out.push({
    kind: 'enqueue',
    entry: id,
    queue: {
      kind: 'expert',
      id: target.id,
      skill: target.skill,
      priority: TOP_PRIORITY,
      enqueuedAt: s.queue?.enqueuedAt ?? t.now,
    },
  });
  startTimer(s, t, 'expert-wait', policy.maxWaitSeconds * 1000);
  notifyAgent(s, t, agent.agentId, 'transfer-dialing', {
    transferId: id,
    mode: 'consult',
    target: `expert:${target.id}`,
  });
}

/** The ACD reserved an expert for the consult: ring the expert's phone. */
export function offerConsult(s: CallState, t: Turn, agentId: string, endpoint: string): void {
  const x = s.transfer!;
  const expert = x.expert!;
  cancelTimer(s, t, 'expert-wait');
  x.channelId = nextId(s, 'a');
  expert.agentId = agentId;
  expert.endpoint = endpoint;
  log(s, t, 'offer', { agent: agentId, transfer: x.id });
  t.out.push({
    kind: 'originate',
    role: 'agent',
    channelId: x.channelId,
    endpoint,
    callerId: { name: `${s.dialed} ${s.line.topic}`.slice(0, 40), number: s.callerNumber },
    timeoutSeconds: x.ringMs / 1000,
    variables: {
      HOTLINE_CALL_ID: s.id,
      HOTLINE_LINE: s.line.id,
      HOTLINE_DIALED: s.dialed,
      HOTLINE_TOPIC: expert.skill,
      HOTLINE_PHASE: s.phase.kind,
      HOTLINE_TRANSFER: 'consult',
    },
  });
  startTimer(s, t, 'transfer-ring', x.ringMs + RING_GRACE_MS);
  notifyAgent(s, t, agentId, 'offered', {
    dialed: s.dialed,
    line: s.line.name,
    topic: expert.skill,
    queue: `expert:${x.target.id}`,
    transferId: x.id,
    from: x.agentId,
  });
}

/** The expert picked up: on the call, talking with the agent in the consult bridge. */
export function expertAnswered(s: CallState, t: Turn): void {
  const x = s.transfer!;
  const expertId = x.expert!.agentId!;
  x.answeredAt = t.now;
  cancelTimer(s, t, 'transfer-ring');
  const e = transferEntry(s, x.id);
  if (e) {
    e.answeredAt = t.now;
    e.result = 'connected';
  }
  log(s, t, 'transfer-connected', { id: x.id, agent: expertId });
  t.out.push({ kind: 'add-to-bridge', bridgeId: x.consultBridgeId!, channel: x.channelId });
  t.out.push({ kind: 'agent-answered', agentId: expertId, entry: x.id });
  notifyAgent(s, t, expertId, 'connected', { transferId: x.id, from: x.agentId });
  notifyAgent(s, t, x.agentId, 'transfer-connected', { transferId: x.id, agentId: expertId });
}

/**
 * Lets the expert go: hangs up their leg (unless `hungUp`), and tells the ACD — on the call
 * after answering, ringing (released with `outcome`) or not reserved yet (the call leaves the
 * seat's queue).
 */
function releaseExpert(s: CallState, t: Turn, outcome: AgentOutcome, hungUp: boolean): void {
  const x = s.transfer!;
  const expertId = x.expert?.agentId;
  cancelTimer(s, t, 'transfer-ring');
  cancelTimer(s, t, 'expert-wait');
  if (x.channelId && !hungUp) t.out.push({ kind: 'hangup', channel: x.channelId, reason: 'normal' });
  if (expertId === undefined) {
    t.out.push({ kind: 'dequeue', entry: x.id });
  } else if (x.answeredAt !== undefined) {
    t.out.push({
      kind: 'agent-complete',
      agentId: expertId,
      talkSeconds: Math.round((t.now - x.answeredAt) / 1000),
      entry: x.id,
    });
  } else {
    t.out.push({ kind: 'agent-release', agentId: expertId, outcome, entry: x.id });
    // A released offer puts the call back in the seat's queue, unless cancelled.
    if (outcome !== 'cancelled') t.out.push({ kind: 'dequeue', entry: x.id });
  }
}

/** The consult is over without a hand-over: the agent is back with the caller, the consult bridge goes. */
function backToCaller(s: CallState, t: Turn): void {
  returnAgentFromConsult(s, t);
  s.transfer = undefined;
}

/** Consult, then complete: the expert takes the caller, the agent leaves (to wrap-up). */
export function completeExpertConsult(s: CallState, t: Turn): void {
  const x = s.transfer!;
  const expertId = x.expert!.agentId!;
  const consult = x.consultBridgeId!;
  t.out.push({ kind: 'remove-from-bridge', bridgeId: consult, channel: x.channelId });
  t.out.push({ kind: 'add-to-bridge', bridgeId: s.bridgeId!, channel: x.channelId, stopMoh: true });
  const agent = s.agent;
  if (agent) {
    t.out.push({ kind: 'remove-from-bridge', bridgeId: consult, channel: agent.channelId });
    t.out.push({ kind: 'hangup', channel: agent.channelId, reason: 'normal' });
    firstAgentLeaves(s, t);
  }
  t.out.push({ kind: 'destroy-bridge', bridgeId: consult });
  handToExpert(s, t, expertId);
}

/** The agent who consulted leaves the call: to wrap-up, with their talk time. */
function firstAgentLeaves(s: CallState, t: Turn): void {
  const agent = s.agent!;
  t.out.push({
    kind: 'agent-complete',
    agentId: agent.agentId,
    talkSeconds: Math.round((t.now - agent.answeredAt) / 1000),
    ...(agent.entry ? { entry: agent.entry } : {}),
  });
  log(s, t, 'agent-left', { agent: agent.agentId });
  s.agent = undefined;
}

/** The caller is the expert's now: the expert is the call's agent, the transfer completed. */
function handToExpert(s: CallState, t: Turn, expertId: string): void {
  const x = s.transfer!;
  s.agent = { agentId: expertId, channelId: x.channelId, answeredAt: x.answeredAt!, entry: x.id };
  s.stage = 'talking';
  closeTransfer(s, t, x.id, 'completed');
  notifyAgent(s, t, x.agentId, 'transfer-completed', { transferId: x.id, agentId: expertId });
  notifyAgent(s, t, expertId, 'transfer-completed', { transferId: x.id, from: x.agentId });
  s.transfer = undefined;
}

/** Consult, then cancel: the expert is let go and the agent is back with the caller. */
export function cancelExpertConsult(s: CallState, t: Turn): void {
  const x = s.transfer!;
  const expertId = x.expert?.agentId;
  releaseExpert(s, t, 'cancelled', false);
  closeTransfer(s, t, x.id, 'cancelled');
  log(s, t, 'transfer-cancelled', { id: x.id });
  notifyAgent(s, t, x.agentId, 'transfer-cancelled', { transferId: x.id });
  if (expertId !== undefined) notifyAgent(s, t, expertId, 'ended', { by: 'agent', transferId: x.id });
  backToCaller(s, t);
}

/**
 * The expert's leg ended (or could not be made): before answering the offer failed (RONA, busy
 * …); after, the expert hung up. Either way the agent is back with the caller.
 */
export function expertLegEnded(s: CallState, t: Turn, cause: number, outcome: AgentOutcome): void {
  const x = s.transfer!;
  const answered = x.answeredAt !== undefined;
  releaseExpert(s, t, outcome, true);
  consultEnded(s, t, answered ? 'target-left' : legFailureOf(cause), cause);
}

/** Nobody at the expert seat took the consult within the seat's longest wait. */
export function expertWaitDue(s: CallState, t: Turn): void {
  if (!awaitsExpert(s)) return;
  releaseExpert(s, t, 'cancelled', false);
  consultEnded(s, t, 'no-answer');
}

/** The consult failed (`cause` absent: nobody free in time); the agent is back with the caller. */
function consultEnded(s: CallState, t: Turn, result: LegFailure | 'target-left', cause?: number): void {
  const x = s.transfer!;
  const failed = result !== 'target-left';
  closeTransfer(s, t, x.id, result, cause);
  log(s, t, failed ? 'transfer-failed' : 'transfer-target-left', { id: x.id, cause });
  const detail = { transferId: x.id, result, cause };
  notifyAgent(s, t, x.agentId, failed ? 'transfer-failed' : 'target-left', detail);
  backToCaller(s, t);
}

/**
 * The agent left mid-consult (DELETE /calls/:id/agent, or their phone hung up). An expert who
 * answered takes the caller; otherwise the caller waits at the expert seat, first in line (the
 * queue step returned for the router to run), as after a blind transfer there.
 */
export function agentLeavesConsult(s: CallState, t: Turn, hungUp: boolean): QueueStep | undefined {
  const x = s.transfer!;
  const agent = s.agent!;
  const consult = x.consultBridgeId!;
  if (!hungUp) {
    t.out.push({ kind: 'remove-from-bridge', bridgeId: consult, channel: agent.channelId });
    t.out.push({ kind: 'hangup', channel: agent.channelId, reason: 'normal' });
  }
  firstAgentLeaves(s, t);
  if (x.answeredAt !== undefined) {
    t.out.push({ kind: 'remove-from-bridge', bridgeId: consult, channel: x.channelId });
    t.out.push({ kind: 'add-to-bridge', bridgeId: s.bridgeId!, channel: x.channelId, stopMoh: true });
    t.out.push({ kind: 'destroy-bridge', bridgeId: consult });
    handToExpert(s, t, x.expert!.agentId!);
    return undefined;
  }
  releaseExpert(s, t, 'cancelled', false);
  t.out.push({ kind: 'destroy-bridge', bridgeId: consult });
  closeTransfer(s, t, x.id, 'queued');
  notifyAgent(s, t, x.agentId, 'transfer-completed', { transferId: x.id, target: `expert:${x.target.id}` });
  s.transfer = undefined;
  const skill = x.expert!.skill;
  return { kind: 'queue', queue: 'expert', id: x.target.id, skill, priority: TOP_PRIORITY };
}

/** The caller hung up mid-consult (never handed over: cancelled); the expert is let go. */
export function dropExpertConsult(s: CallState, t: Turn): void {
  const x = s.transfer!;
  releaseExpert(s, t, 'cancelled', false);
  t.out.push({ kind: 'destroy-bridge', bridgeId: x.consultBridgeId! });
  closeTransfer(s, t, x.id, 'cancelled');
  s.transfer = undefined;
}
