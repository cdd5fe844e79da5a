import type { CompiledExpert, CompiledPool } from '../../../plan/compile.ts';
import { parseRef } from '../../../plan/ref.ts';
import { sayNumber } from '../../../prompts/say-number.ts';
import { cancelTimer, log, nextId, startTimer, type Turn } from '../kernel.ts';
import type { AgentOutcome, CallState, Next } from '../types.ts';
import { followFrom } from './ivr.ts';
import { type RunNext, say, silence } from './playlist.ts';

/** Extra time after the originate timeout before the engine gives up on a ringing channel itself. */
export const RING_GRACE_MS = 3_000;

export function queuePolicy(t: Turn, kind: 'pool' | 'expert', id: string): CompiledPool | CompiledExpert {
  return kind === 'pool' ? t.plan.pools.get(id)! : t.plan.experts.get(id)!;
}

/** The caller joins a queue: into a bridge with music on hold, the ACD is told, escalation timers start. */
export function enterQueue(s: CallState, t: Turn, next: Extract<Next, { kind: 'queue' }>): void {
  const policy = queuePolicy(t, next.queue, next.id).queue;
  s.stage = 'queued';
  s.queue = {
    kind: next.queue,
    id: next.id,
    skill: next.skill,
    priority: next.priority,
    enqueuedAt: s.queue?.enqueuedAt ?? t.now,
  };
  s.queuedAt = t.now;
  holdInBridge(s, t);
  t.out.push({ kind: 'enqueue', queue: { ...s.queue } });
  log(s, t, 'queued', { queue: `${next.queue}:${next.id}`, priority: next.priority });
  if (policy.announceEverySeconds > 0) startTimer(s, t, 'announce', policy.announceEverySeconds * 1000);
  if (policy.overflowAfterSeconds !== undefined)
    startTimer(s, t, 'overflow', policy.overflowAfterSeconds * 1000);
  startTimer(s, t, 'max-wait', policy.maxWaitSeconds * 1000);
}

/** Puts the caller in the call's bridge with music on hold (creating the bridge the first time). */
export function holdInBridge(s: CallState, t: Turn): void {
  if (!s.bridgeId) {
    s.bridgeId = nextId(s, 'b');
    t.out.push({ kind: 'create-bridge', bridgeId: s.bridgeId, channels: [s.callerChannel], moh: true });
  } else {
    t.out.push({ kind: 'bridge-moh', bridgeId: s.bridgeId, on: true });
  }
}

/** Stops the queue timers; `dequeue` also takes the call out of the ACD (not needed once an agent answered). */
function leaveQueue(s: CallState, t: Turn, dequeue: boolean): void {
  for (const name of ['announce', 'overflow', 'max-wait', 'ring']) cancelTimer(s, t, name);
  if (dequeue) t.out.push({ kind: 'dequeue' });
}

export function announceDue(s: CallState, t: Turn): void {
  if (s.stage !== 'queued' || s.playback) return rearmAnnounce(s, t);
  t.out.push({ kind: 'ask-position' });
}

function rearmAnnounce(s: CallState, t: Turn): void {
  if (s.stage !== 'queued' || !s.queue) return;
  const policy = queuePolicy(t, s.queue.kind, s.queue.id).queue;
  if (policy.announceEverySeconds > 0) startTimer(s, t, 'announce', policy.announceEverySeconds * 1000);
}

/** Reads out the caller's place in the queue and the expected wait, between spells of music. */
export function announcePosition(
  s: CallState,
  t: Turn,
  ahead: number,
  expectedWaitSeconds: number | null,
  run: RunNext,
): void {
  if (s.stage !== 'queued' || s.playback) return rearmAnnounce(s, t);
  const prompts: string[] = [];
  if (ahead <= 0 || ahead > 9999) prompts.push('queue-hold');
  else prompts.push('queue-position', ...sayNumber(ahead, { quantity: true }), 'queue-position-unit');
  if (expectedWaitSeconds !== null && ahead > 0) {
    const minutes = Math.max(1, Math.min(9999, Math.round(expectedWaitSeconds / 60)));
    prompts.push('queue-wait', ...sayNumber(minutes, { quantity: true }), 'queue-wait-unit');
  }
  say(s, t, prompts, { kind: 'resume-queue' }, run);
  rearmAnnounce(s, t);
}

/** The overflow wait passed: on to the queue or center the policy names. */
export function overflowDue(s: CallState, t: Turn, run: RunNext): void {
  if (!s.queue) return;
  if (s.stage === 'ringing') return startTimer(s, t, 'overflow', RING_GRACE_MS);
  if (s.stage !== 'queued') return;
  const policy = queuePolicy(t, s.queue.kind, s.queue.id).queue;
  const ref = parseRef(policy.overflowTo ?? '');
  if (typeof ref === 'string') return;
  leaveQueue(s, t, true);
  if (s.playback) silence(s, t);
  log(s, t, 'overflow', { from: `${s.queue.kind}:${s.queue.id}`, to: `${ref.kind}:${ref.id}` });
  followFrom(s, t, { prompts: [], target: ref, skill: s.queue.skill, priority: s.queue.priority }, run);
}

/** The longest wait passed: the caller is told a ticket is made for a call-back. */
export function maxWaitDue(s: CallState, t: Turn, run: RunNext): void {
  if (s.stage === 'ringing') return startTimer(s, t, 'max-wait', RING_GRACE_MS);
  if (s.stage !== 'queued') return;
  leaveQueue(s, t, true);
  if (s.playback) silence(s, t);
  if (s.bridgeId) t.out.push({ kind: 'bridge-moh', bridgeId: s.bridgeId, on: false });
  s.stage = 'closing';
  s.disposition = 'ticketed';
  s.ticketReason = 'max-wait';
  log(s, t, 'max-wait');
  say(s, t, ['ticket-created'], { kind: 'hangup' }, run);
}

/** The ACD reserved an agent for this call: ring the agent's softphone. */
export function offerToAgent(s: CallState, t: Turn, agentId: string, endpoint: string): void {
  if (s.stage !== 'queued' || !s.queue) {
    t.out.push({ kind: 'agent-release', agentId, outcome: 'cancelled' });
    return;
  }
  const policy = queuePolicy(t, s.queue.kind, s.queue.id).queue;
  if (s.playback) silence(s, t);
  s.next = undefined;
  cancelTimer(s, t, 'announce');
  const channelId = nextId(s, 'a');
  s.stage = 'ringing';
  s.offer = { agentId, endpoint, channelId, offeredAt: t.now };
  log(s, t, 'offer', { agent: agentId });
  t.out.push({
    kind: 'originate',
    role: 'agent',
    channelId,
    endpoint,
    callerId: { name: `${s.dialed} ${s.line.topic}`.slice(0, 40), number: s.callerNumber },
    timeoutSeconds: policy.ringSeconds,
    variables: {
      HOTLINE_CALL_ID: s.id,
      HOTLINE_LINE: s.line.id,
      HOTLINE_DIALED: s.dialed,
      HOTLINE_TOPIC: s.queue.skill,
      HOTLINE_PHASE: s.phase.kind,
    },
  });
  startTimer(s, t, 'ring', policy.ringSeconds * 1000 + RING_GRACE_MS);
  t.out.push({
    kind: 'notify',
    agentId,
    event: 'offered',
    detail: {
      callId: s.id,
      dialed: s.dialed,
      line: s.line.name,
      topic: s.queue.skill,
      queue: `${s.queue.kind}:${s.queue.id}`,
    },
  });
}

/** The agent picked up: caller and agent talk in the bridge. */
export function agentAnswered(s: CallState, t: Turn): void {
  const offer = s.offer!;
  leaveQueue(s, t, false);
  s.stage = 'talking';
  s.agent = { agentId: offer.agentId, channelId: offer.channelId, answeredAt: t.now };
  s.offer = undefined;
  s.disposition = 'answered';
  log(s, t, 'connected', { agent: offer.agentId });
  if (s.bridgeId) {
    t.out.push({ kind: 'add-to-bridge', bridgeId: s.bridgeId, channel: offer.channelId, stopMoh: true });
  } else {
    s.bridgeId = nextId(s, 'b');
    t.out.push({
      kind: 'create-bridge',
      bridgeId: s.bridgeId,
      channels: [s.callerChannel, offer.channelId],
      moh: false,
    });
  }
  t.out.push({ kind: 'agent-answered', agentId: offer.agentId });
  t.out.push({ kind: 'notify', agentId: offer.agentId, event: 'connected', detail: { callId: s.id } });
}

/** The offer failed (no answer, busy, unreachable): the ACD releases the agent and the call waits again. */
export function offerFailed(s: CallState, t: Turn, cause: number, outcome: AgentOutcome): void {
  const offer = s.offer!;
  cancelTimer(s, t, 'ring');
  s.offer = undefined;
  s.stage = 'queued';
  log(s, t, 'offer-failed', { agent: offer.agentId, cause, outcome });
  t.out.push({ kind: 'agent-release', agentId: offer.agentId, outcome });
  rearmAnnounce(s, t);
}
