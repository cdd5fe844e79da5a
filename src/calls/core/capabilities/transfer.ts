import type { QueueStep } from '../../../plan/route-step.ts';
import {
  cancelTimer,
  closeTransfer as close,
  transferEntry as entry,
  log,
  nextId,
  notifyAgent as notify,
  RING_GRACE_MS,
  returnAgentFromConsult,
  startTimer,
  TOP_PRIORITY,
  type Turn,
  transferLog,
} from '../kernel.ts';
import { legFailureOf } from '../q850.ts';
import type { TransferTarget } from '../transfer-target.ts';
import type { CallState, TransferMode } from '../types.ts';

/**
 * Agent-initiated transfers over the call's mixing bridge, with the engine in control
 * throughout (no ARI redirect): three-way (the target joins the bridge, the agent leaves when
 * ready), consult (the caller holds with music while agent and target talk in a second bridge,
 * then complete or cancel) and blind (the agent is freed, the caller waits for the target).
 * An expert seat is a queue: the transfer returns the queue step, with top priority, for the
 * router to run. Whatever fails, the caller stays with (or returns to) the agent; a caller
 * handed to a target is the dial capability's from then on (failing, back to the queue).
 */

/** Starts a transfer; to an expert seat it returns the queue step the caller goes on to. */
export function startTransfer(
  s: CallState,
  t: Turn,
  target: TransferTarget,
  mode: TransferMode,
): QueueStep | undefined {
  const agent = s.agent!;
  const id = nextId(s, 'x');
  transferLog(s).push({
    id,
    mode,
    target: { kind: target.kind, id: target.id },
    startedAt: t.now,
    result: 'dialing',
  });
  log(s, t, 'transfer', { id, mode, target: `${target.kind}:${target.id}` });
  if (target.kind === 'expert') {
    // An expert seat is a queue: the caller waits there with top priority; the agent is freed.
    agentGone(s, t, true);
    close(s, t, id, 'queued');
    notify(s, t, agent.agentId, 'transfer-completed', { transferId: id, target: `expert:${target.id}` });
    return { kind: 'queue', queue: 'expert', id: target.id, skill: target.skill, priority: TOP_PRIORITY };
  }
  const channelId = nextId(s, 't');
  s.transfer = {
    id,
    mode,
    target: { kind: target.kind, id: target.id },
    agentId: agent.agentId,
    channelId,
    startedAt: t.now,
    ringMs: target.ringSeconds * 1000,
  };
  t.out.push({
    kind: 'originate',
    role: 'target',
    channelId,
    endpoint: target.dial,
    callerId: { name: `12345 ${s.line.topic}`.slice(0, 40), number: s.callerNumber },
    timeoutSeconds: target.ringSeconds,
    variables: { HOTLINE_CALL_ID: s.id, HOTLINE_TRANSFER: mode, HOTLINE_DIALED: s.dialed },
  });
  startTimer(s, t, 'transfer-ring', s.transfer.ringMs + RING_GRACE_MS);
  notify(s, t, agent.agentId, 'transfer-dialing', {
    transferId: id,
    mode,
    target: `${target.kind}:${target.id}`,
  });
  if (mode === 'consult') {
    const consult = nextId(s, 'b');
    s.transfer.consultBridgeId = consult;
    t.out.push({ kind: 'remove-from-bridge', bridgeId: s.bridgeId!, channel: agent.channelId });
    t.out.push({ kind: 'bridge-moh', bridgeId: s.bridgeId!, on: true });
    t.out.push({ kind: 'create-bridge', bridgeId: consult, channels: [agent.channelId], moh: false });
  } else if (mode === 'blind') {
    handToTarget(s, t);
  }
  return undefined;
}

/** The agent leaves: released to wrap-up; `hangup` also ends their channel. */
function agentGone(s: CallState, t: Turn, hangup: boolean): void {
  const agent = s.agent!;
  if (hangup) {
    if (s.bridgeId)
      t.out.push({ kind: 'remove-from-bridge', bridgeId: s.bridgeId, channel: agent.channelId });
    t.out.push({ kind: 'hangup', channel: agent.channelId, reason: 'normal' });
  }
  t.out.push({
    kind: 'agent-complete',
    agentId: agent.agentId,
    talkSeconds: Math.round((t.now - agent.answeredAt) / 1000),
    ...(agent.entry ? { entry: agent.entry } : {}),
  });
  log(s, t, 'agent-left', { agent: agent.agentId });
  s.agent = undefined;
}

/**
 * The caller goes on with the target alone: the ringing transfer becomes the call's target
 * (answered or still ringing), handled like a transfer from the IVR from then on.
 */
function handToTarget(s: CallState, t: Turn): void {
  const x = s.transfer!;
  const kind = x.target.kind;
  // An expert seat is never dialled: its consult is the consult capability's.
  if (kind === 'expert') throw new Error(`transfer ${x.id} to an expert seat has no number to hand to`);
  if (s.agent) agentGone(s, t, true);
  s.target = {
    kind: kind === 'directory' ? 'center' : kind,
    id: x.target.id,
    channelId: x.channelId,
    startedAt: x.startedAt,
  };
  s.targetLogId = x.id;
  cancelTimer(s, t, 'transfer-ring');
  if (x.answeredAt !== undefined) {
    s.target.answeredAt = x.answeredAt;
    s.stage = 'transferred';
    s.disposition = 'transferred';
    const e = entry(s, x.id);
    if (e) e.result = 'completed';
  } else {
    // Still ringing: the caller waits with music; answer → bridged, failure → back to the queue.
    s.stage = 'dialing';
    if (s.bridgeId) t.out.push({ kind: 'bridge-moh', bridgeId: s.bridgeId, on: true });
    startTimer(s, t, 'dial', Math.max(0, x.startedAt + x.ringMs + RING_GRACE_MS - t.now));
  }
  s.transfer = undefined;
}

export function transferAnswered(s: CallState, t: Turn): void {
  const x = s.transfer!;
  x.answeredAt = t.now;
  cancelTimer(s, t, 'transfer-ring');
  const e = entry(s, x.id);
  if (e) {
    e.answeredAt = t.now;
    e.result = 'connected';
  }
  log(s, t, 'transfer-connected', { id: x.id });
  if (x.mode === 'consult') {
    t.out.push({ kind: 'add-to-bridge', bridgeId: x.consultBridgeId!, channel: x.channelId });
  } else {
    t.out.push({ kind: 'add-to-bridge', bridgeId: s.bridgeId!, channel: x.channelId, stopMoh: true });
  }
  notify(s, t, x.agentId, 'transfer-connected', { transferId: x.id });
}

/** The target's leg ended: before answering it failed; after, the target hung up. */
export function transferLegEnded(s: CallState, t: Turn, cause: number): void {
  const x = s.transfer!;
  cancelTimer(s, t, 'transfer-ring');
  const answered = x.answeredAt !== undefined;
  const result = answered ? 'target-left' : legFailureOf(cause);
  close(s, t, x.id, result, cause);
  log(s, t, answered ? 'transfer-target-left' : 'transfer-failed', { id: x.id, cause });
  if (x.consultBridgeId) returnAgentFromConsult(s, t);
  s.transfer = undefined;
  notify(s, t, x.agentId, answered ? 'target-left' : 'transfer-failed', { transferId: x.id, result, cause });
}

/** Consult, then complete: the caller joins the target and the agent leaves. */
export function completeConsult(s: CallState, t: Turn): void {
  const x = s.transfer!;
  t.out.push({ kind: 'remove-from-bridge', bridgeId: x.consultBridgeId!, channel: x.channelId });
  t.out.push({ kind: 'add-to-bridge', bridgeId: s.bridgeId!, channel: x.channelId, stopMoh: true });
  if (s.agent)
    t.out.push({ kind: 'remove-from-bridge', bridgeId: x.consultBridgeId!, channel: s.agent.channelId });
  t.out.push({ kind: 'destroy-bridge', bridgeId: x.consultBridgeId! });
  x.consultBridgeId = undefined;
  notify(s, t, x.agentId, 'transfer-completed', { transferId: x.id });
  if (s.agent) {
    t.out.push({ kind: 'hangup', channel: s.agent.channelId, reason: 'normal' });
    agentGone(s, t, false);
  }
  handToTarget(s, t);
}

/** Consult, then cancel: the target is hung up and the agent is back with the caller. */
export function cancelConsult(s: CallState, t: Turn): void {
  const x = s.transfer!;
  cancelTimer(s, t, 'transfer-ring');
  t.out.push({ kind: 'hangup', channel: x.channelId, reason: 'normal' });
  returnAgentFromConsult(s, t);
  close(s, t, x.id, 'cancelled');
  log(s, t, 'transfer-cancelled', { id: x.id });
  notify(s, t, x.agentId, 'transfer-cancelled', { transferId: x.id });
  s.transfer = undefined;
}

/**
 * The agent leaves (DELETE /calls/:id/agent, or their phone hung up). With a transfer under way
 * the caller stays with the target (or waits for it); without one, the call ends as usual.
 * Returns false when there is no transfer, so the caller's own handling applies.
 */
export function agentLeaves(s: CallState, t: Turn, hungUp: boolean): boolean {
  const x = s.transfer;
  if (!x || !s.agent) return false;
  if (x.consultBridgeId) {
    if (!hungUp) {
      t.out.push({ kind: 'remove-from-bridge', bridgeId: x.consultBridgeId, channel: s.agent.channelId });
      t.out.push({ kind: 'hangup', channel: s.agent.channelId, reason: 'normal' });
    }
    agentGone(s, t, false);
    // The target (answered or ringing) moves to the caller's bridge.
    if (x.answeredAt !== undefined) {
      t.out.push({ kind: 'remove-from-bridge', bridgeId: x.consultBridgeId, channel: x.channelId });
      t.out.push({ kind: 'add-to-bridge', bridgeId: s.bridgeId!, channel: x.channelId, stopMoh: true });
    }
    t.out.push({ kind: 'destroy-bridge', bridgeId: x.consultBridgeId });
    x.consultBridgeId = undefined;
    handToTarget(s, t);
    return true;
  }
  if (hungUp) agentGone(s, t, false);
  handToTarget(s, t);
  return true;
}

/** The caller hung up mid-transfer: the target's leg and the consult bridge go too. */
export function dropTransfer(s: CallState, t: Turn): void {
  const x = s.transfer;
  if (!x) return;
  cancelTimer(s, t, 'transfer-ring');
  t.out.push({ kind: 'hangup', channel: x.channelId, reason: 'normal' });
  if (x.consultBridgeId) t.out.push({ kind: 'destroy-bridge', bridgeId: x.consultBridgeId });
  close(s, t, x.id, x.answeredAt !== undefined ? 'completed' : 'cancelled');
  s.transfer = undefined;
}

/** 派发工单: the matter goes to a sub-center (or other target) as a ticket; the call goes on. */
export function dispatchTicket(s: CallState, t: Turn, target: TransferTarget, reason: string): void {
  const id = nextId(s, 'k');
  transferLog(s).push({
    id,
    mode: 'ticket',
    target: { kind: target.kind, id: target.id },
    startedAt: t.now,
    endedAt: t.now,
    result: 'ticket',
    reason,
  });
  log(s, t, 'ticket-dispatched', { id, target: `${target.kind}:${target.id}` });
  if (s.agent)
    notify(s, t, s.agent.agentId, 'ticket-dispatched', {
      ticketId: id,
      target: `${target.kind}:${target.id}`,
    });
}

/** The engine's own backstop when the target's originate outlives its ring timeout. */
export function transferRingTimeout(s: CallState, t: Turn): void {
  if (s.transfer && s.transfer.answeredAt === undefined)
    t.out.push({ kind: 'hangup', channel: s.transfer.channelId, reason: 'no_answer' });
}
