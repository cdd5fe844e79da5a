import { cancelAllTimers, log, type Turn, targetLog } from '../kernel.ts';
import type { CallState } from '../types.ts';

/** The end of a call's parts: the agent leaves, the caller hangs up, a bridge could not be made. */

/**
 * The agent left (no transfer under way): released to wrap-up, and the call's bridge goes.
 * `hangup`: the agent asked to leave, so their channel is hung up too.
 */
export function agentLeft(s: CallState, t: Turn, hangup: boolean): void {
  const agent = s.agent!;
  if (hangup) t.out.push({ kind: 'hangup', channel: agent.channelId, reason: 'normal' });
  log(s, t, 'agent-left', { agent: agent.agentId });
  t.out.push({
    kind: 'notify',
    agentId: agent.agentId,
    event: 'ended',
    detail: { callId: s.id, by: 'agent' },
  });
  t.out.push({
    kind: 'agent-complete',
    agentId: agent.agentId,
    talkSeconds: Math.round((t.now - agent.answeredAt) / 1000),
    ...(agent.entry ? { entry: agent.entry } : {}),
  });
  if (s.bridgeId) {
    t.out.push({ kind: 'destroy-bridge', bridgeId: s.bridgeId });
    s.bridgeId = undefined;
  }
}

const abandonedAt: Partial<Record<CallState['stage'], CallState['disposition']>> = {
  ivr: 'abandoned-ivr',
  queued: 'abandoned-queue',
  ringing: 'abandoned-ringing',
  dialing: 'abandoned-queue',
};

/**
 * The caller's channel is gone: release everything the call holds, and end it (a transfer
 * under way is dropped by the transfer capability first).
 */
export function callerGone(s: CallState, t: Turn, cause: number): void {
  s.hangupCause = cause;
  s.endedAt = t.now;
  const entry = targetLog(s);
  if (entry && entry.endedAt === undefined) {
    entry.endedAt = t.now;
    if (entry.result === 'dialing') entry.result = 'cancelled';
  }
  const agentId = s.agent?.agentId ?? s.offer?.agentId;
  if (agentId)
    t.out.push({ kind: 'notify', agentId, event: 'ended', detail: { callId: s.id, by: 'caller' } });
  if (s.stage === 'ivr' && s.phase.kind === 'deregistered' && !s.disposition)
    s.disposition = 'deregistered-notice';
  if (!s.disposition) s.disposition = abandonedAt[s.stage] ?? 'abandoned-ivr';
  if (s.stage === 'queued') t.out.push({ kind: 'dequeue' });
  // Releasing a cancelled offer also takes the call out of the ACD.
  if (s.offer) {
    t.out.push({ kind: 'hangup', channel: s.offer.channelId, reason: 'normal' });
    t.out.push({ kind: 'agent-release', agentId: s.offer.agentId, outcome: 'cancelled' });
  }
  if (s.stage === 'talking' && s.agent) {
    t.out.push({ kind: 'hangup', channel: s.agent.channelId, reason: 'normal' });
    t.out.push({
      kind: 'agent-complete',
      agentId: s.agent.agentId,
      talkSeconds: Math.round((t.now - s.agent.answeredAt) / 1000),
      ...(s.agent.entry ? { entry: s.agent.entry } : {}),
    });
  }
  if (s.target && (s.stage === 'dialing' || s.stage === 'transferred'))
    t.out.push({ kind: 'hangup', channel: s.target.channelId, reason: 'normal' });
  if (s.bridgeId) t.out.push({ kind: 'destroy-bridge', bridgeId: s.bridgeId });
  cancelAllTimers(s, t);
  s.playback = undefined;
  s.playlist = [];
  s.next = undefined;
  log(s, t, 'ended', { cause, disposition: s.disposition });
  s.stage = 'ended';
  t.out.push({ kind: 'ended' });
}

/** A bridge that could not be made may exist with a member missing: remove it rather than leave it. */
export function bridgeRefused(s: CallState, t: Turn, bridgeId: string): void {
  t.out.push({ kind: 'destroy-bridge', bridgeId });
  if (s.bridgeId === bridgeId) s.bridgeId = undefined;
}
