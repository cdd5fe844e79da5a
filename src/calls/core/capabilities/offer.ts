import { cancelTimer, log, nextId, queuePolicy, RING_GRACE_MS, startTimer, type Turn } from '../kernel.ts';
import type { CallState } from '../types.ts';
import { silence } from './playlist.ts';

/** Offering a queued call to the agent the ACD reserved: ringing, answered, or failed. */

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

/** Asterisk ends an unanswered originate at its timeout; this is the engine's own backstop. */
export function ringTimeout(s: CallState, t: Turn): void {
  if (s.offer) t.out.push({ kind: 'hangup', channel: s.offer.channelId, reason: 'no_answer' });
}

/** The agent picked up (the queue's timers are already stopped): caller and agent talk in the bridge. */
export function agentAnswered(s: CallState, t: Turn): void {
  const offer = s.offer!;
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
