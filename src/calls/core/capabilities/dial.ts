import type { DialStep } from '../../../plan/route-step.ts';
import {
  cancelTimer,
  holdInBridge,
  log,
  nextId,
  RING_GRACE_MS,
  startTimer,
  TOP_PRIORITY,
  type Turn,
  targetLog,
  transferLog,
} from '../kernel.ts';
import { legFailureOf } from '../q850.ts';
import type { CallState, NewCall, Next } from '../types.ts';
import { followFrom } from './playlist.ts';

/**
 * The call's target: a sub-center, emergency line or other center the IVR puts the caller
 * through to (or that an agent's blind or completed transfer handed the caller to). The caller
 * holds with music while it rings, then talks with it in the call's bridge.
 */

export function dialTarget(s: CallState, t: Turn, step: DialStep): void {
  s.stage = 'dialing';
  holdInBridge(s, t);
  const channelId = nextId(s, 't');
  s.target = { kind: step.target, id: step.id, channelId, startedAt: t.now };
  s.targetLogId = nextId(s, 'x');
  transferLog(s).push({
    id: s.targetLogId,
    mode: 'ivr',
    target: { kind: step.target, id: step.id },
    startedAt: t.now,
    result: 'dialing',
  });
  log(s, t, 'dial', { target: `${step.target}:${step.id}` });
  t.out.push({
    kind: 'originate',
    role: 'target',
    channelId,
    endpoint: step.dial,
    callerId: { name: `12345 ${s.line.topic}`.slice(0, 40), number: s.callerNumber },
    timeoutSeconds: step.ringSeconds,
    variables: { HOTLINE_CALL_ID: s.id, HOTLINE_LINE: s.line.id, HOTLINE_DIALED: s.dialed },
  });
  startTimer(s, t, 'dial', step.ringSeconds * 1000 + RING_GRACE_MS);
}

/** The engine's own backstop when the target's originate outlives its ring timeout. */
export function dialTimeout(s: CallState, t: Turn): void {
  if (s.target && s.stage === 'dialing')
    t.out.push({ kind: 'hangup', channel: s.target.channelId, reason: 'no_answer' });
}

export function targetAnswered(s: CallState, t: Turn): void {
  cancelTimer(s, t, 'dial');
  s.target!.answeredAt = t.now;
  const entry = targetLog(s);
  if (entry) {
    entry.answeredAt = t.now;
    entry.result = entry.mode === 'ivr' ? 'connected' : 'completed';
  }
  s.stage = 'transferred';
  s.disposition = 'transferred';
  log(s, t, 'target-connected', { target: `${s.target!.kind}:${s.target!.id}` });
  t.out.push({ kind: 'add-to-bridge', bridgeId: s.bridgeId!, channel: s.target!.channelId, stopMoh: true });
}

/**
 * The target never answered: the caller hears why and goes where the plan sends failed
 * transfers; a caller an agent passed on goes back to their queue, first in line.
 */
export function targetFailed(s: CallState, t: Turn, cause: number): Next | undefined {
  cancelTimer(s, t, 'dial');
  log(s, t, 'target-failed', { target: `${s.target!.kind}:${s.target!.id}`, cause });
  const entry = targetLog(s);
  if (entry) Object.assign(entry, { result: legFailureOf(cause), endedAt: t.now, cause });
  const fromAgent = entry !== undefined && entry.mode !== 'ivr';
  s.target = undefined;
  s.targetLogId = undefined;
  s.stage = 'ivr';
  if (s.bridgeId) t.out.push({ kind: 'bridge-moh', bridgeId: s.bridgeId, on: false });
  if (fromAgent && s.queue) {
    s.playlist.push('transfer-failed');
    const { kind, id, skill } = s.queue;
    return followFrom(s, t, { prompts: [], target: { kind, id }, skill, priority: TOP_PRIORITY });
  }
  return followFrom(s, t, t.plan.fallback);
}

/** The target hung up after answering: the call ends with it. */
export function targetLeft(s: CallState, t: Turn, cause: number): void {
  log(s, t, 'target-left', { cause });
  const entry = targetLog(s);
  if (entry) Object.assign(entry, { endedAt: t.now, cause });
  t.out.push({ kind: 'hangup', channel: s.callerChannel, reason: 'normal' });
}

/**
 * The PBX put the call straight through to its sub-center (src/plan/pbx-direct.ts) and that dial
 * failed: the attempt goes into the record, and the call goes where failed transfers go (the
 * center's fallback), as when the engine itself dialled the sub-center.
 */
export function pbxDialFailed(
  s: CallState,
  t: Turn,
  dial: NonNullable<NewCall['pbxDial']>,
): Next | undefined {
  const startedAt = dial.startedAt !== undefined && dial.startedAt <= t.now ? dial.startedAt : t.now;
  if (startedAt < s.arrivedAt && s.arrivedAt - startedAt <= 10 * 60_000) s.arrivedAt = startedAt;
  transferLog(s).push({
    id: nextId(s, 'x'),
    mode: 'ivr',
    target: { ...dial.target },
    startedAt,
    endedAt: t.now,
    result: dial.result,
    reason: `dialled by the PBX before 12345 answered (DIALSTATUS ${dial.status})`,
  });
  log(s, t, 'target-failed', {
    target: `${dial.target.kind}:${dial.target.id}`,
    status: dial.status,
    pbx: true,
  });
  return followFrom(s, t, t.plan.fallback);
}
