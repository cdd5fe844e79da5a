import type { RoutingPlan } from '../../plan/compile.ts';
import { UnknownNumberError } from '../../plan/problems.ts';
import { type CallEntry, enterLine } from '../../plan/route-step.ts';
import {
  enterMenu,
  enterQuery,
  followFrom,
  menuKey,
  menuListen,
  menuTimeout,
  queryAnswered,
  queryKey,
  queryListen,
  queryTimeout,
} from './capabilities/ivr.ts';
import { playNext, say, silence } from './capabilities/playlist.ts';
import {
  agentAnswered,
  announceDue,
  announcePosition,
  enterQueue,
  holdInBridge,
  maxWaitDue,
  offerFailed,
  offerToAgent,
  overflowDue,
  RING_GRACE_MS,
} from './capabilities/queue.ts';
import {
  agentLeaves,
  cancelConsult,
  completeConsult,
  dispatchTicket,
  dropTransfer,
  startTransfer,
  transferAnswered,
  transferLegEnded,
  transferLog,
} from './capabilities/transfer.ts';
import { cancelAllTimers, cancelTimer, log, nextId, startTimer, type Turn } from './kernel.ts';
import { agentOutcomeOf, legFailureOf } from './q850.ts';
import { checkTransfer, isRefusal, resolveTarget } from './transfer-target.ts';
import type { CallEvent, CallState, Command, Next } from './types.ts';

export interface NewCall {
  id: string;
  app: string;
  callerChannel: string;
  dialed: string;
  callerNumber: string;
  callerName: string;
}

/**
 * Starts a call session: finds the line and phase of the dialed number, answers, and sets off
 * along the phase's route. A number no line answers is served as the main line (never dropped).
 */
export function startCall(
  call: NewCall,
  plan: RoutingPlan,
  now: number,
): { state: CallState; commands: Command[] } {
  let entry: CallEntry;
  let unknown = false;
  try {
    entry = enterLine(plan, call.dialed, now, call.callerNumber);
  } catch (err) {
    if (!(err instanceof UnknownNumberError)) throw err;
    unknown = true;
    const main = [...plan.lines.values()].find((l) => l.mode === 'main') ?? [...plan.lines.values()][0]!;
    entry = enterLine(plan, main.number, now, call.callerNumber);
  }
  const s: CallState = {
    ...call,
    line: { id: entry.line.id, name: entry.line.name, mode: entry.line.mode, topic: entry.line.topic },
    phase: { id: entry.phase.id, kind: entry.phase.kind },
    ...(entry.callerClass ? { callerClass: entry.callerClass.id } : {}),
    arrivedAt: now,
    answeredAt: now,
    stage: 'ivr',
    seq: 0,
    playlist: [],
    timers: {},
    ivrPath: [],
    prompts: [],
    events: [],
  };
  const t: Turn = { plan, now, out: [] };
  log(s, t, 'arrived', { line: s.line.id, phase: s.phase.id, unknownNumber: unknown || undefined });
  t.out.push({ kind: 'answer', channel: s.callerChannel });
  s.playlist.push(...entry.prompts);
  followFrom(s, t, entry.phase.route, runNext);
  return { state: s, commands: t.out };
}

/** Applies one event to a call. Deterministic and free of I/O: mutates `s`, returns the commands to run. */
export function handleEvent(s: CallState, event: CallEvent, plan: RoutingPlan, now: number): Command[] {
  const t: Turn = { plan, now, out: [] };
  if (s.stage === 'ended') return t.out;
  switch (event.kind) {
    case 'arrived':
      break;
    case 'playback-finished':
      if (s.playback?.id === event.playbackId) {
        s.playback = undefined;
        if (!event.failed) playNext(s, t, runNext);
      }
      break;
    case 'dtmf':
      if (event.channel === s.callerChannel) onKey(s, t, event.digit);
      break;
    case 'timer':
      if (s.timers[event.name] === event.token) {
        delete s.timers[event.name];
        if (s.timerDue) delete s.timerDue[event.name];
        onTimer(s, t, event.name);
      }
      break;
    case 'channel-answered':
      if (s.offer?.channelId === event.channel && s.stage === 'ringing') agentAnswered(s, t);
      else if (s.transfer?.channelId === event.channel && s.transfer.answeredAt === undefined)
        transferAnswered(s, t);
      else if (s.target?.channelId === event.channel && s.stage === 'dialing') targetAnswered(s, t);
      break;
    case 'channel-ended':
      onChannelEnded(s, t, event.channel, event.cause, event.lost === true);
      break;
    case 'agent-reserved':
      offerToAgent(s, t, event.agentId, event.endpoint);
      break;
    case 'ticket-status':
      queryAnswered(s, t, event.prompts, runNext);
      break;
    case 'position':
      announcePosition(s, t, event.ahead, event.expectedWaitSeconds, runNext);
      break;
    case 'command-failed':
      onCommandFailed(s, t, event.command, event.status);
      break;
    case 'transfer-request': {
      const target = checkTransfer(s, plan, event.target);
      if (!isRefusal(target)) startTransfer(s, t, target, event.mode);
      break;
    }
    case 'transfer-complete':
      if (s.transfer?.consultBridgeId && s.transfer.answeredAt !== undefined) completeConsult(s, t);
      break;
    case 'transfer-cancel':
      if (s.transfer?.consultBridgeId) cancelConsult(s, t);
      break;
    case 'agent-leave':
      if (s.stage === 'talking' && s.agent && !agentLeaves(s, t, false)) {
        t.out.push({ kind: 'hangup', channel: s.agent.channelId, reason: 'normal' });
        agentLeft(s, t);
      }
      break;
    case 'ticket-dispatch': {
      const target = resolveTarget(plan, event.target);
      if (!isRefusal(target)) dispatchTicket(s, t, target, event.reason);
      break;
    }
  }
  return t.out;
}

function runNext(s: CallState, t: Turn, next: Next): void {
  switch (next.kind) {
    case 'menu':
      return enterMenu(s, t, next.id, runNext);
    case 'menu-listen':
      return menuListen(s, t);
    case 'progress-query':
      return enterQuery(s, t, next.id, runNext);
    case 'query-listen':
      return queryListen(s, t);
    case 'queue':
      return enterQueue(s, t, next);
    case 'dial':
      return dialTarget(s, t, next);
    case 'survey-listen': {
      const survey = surveyOf(t);
      if (survey) startTimer(s, t, 'survey-input', survey.timeoutSeconds * 1000);
      return;
    }
    case 'hangup':
      t.out.push({ kind: 'hangup', channel: s.callerChannel, reason: 'normal' });
      return;
    case 'resume-queue':
      return;
  }
}

function onKey(s: CallState, t: Turn, digit: string): void {
  log(s, t, 'key', { digit: s.query ? '*' : digit });
  if (s.menu?.listening) return menuKey(s, t, digit, runNext);
  if (s.query?.listening) return queryKey(s, t, digit, runNext);
  if (s.surveyListening) return surveyKey(s, t, digit);
}

function onTimer(s: CallState, t: Turn, name: string): void {
  switch (name) {
    case 'menu-input':
      return menuTimeout(s, t, false, runNext);
    case 'menu-interdigit':
      return menuTimeout(s, t, true, runNext);
    case 'query-input':
      return queryTimeout(s, t, runNext);
    case 'announce':
      return announceDue(s, t);
    case 'overflow':
      return overflowDue(s, t, runNext);
    case 'max-wait':
      return maxWaitDue(s, t, runNext);
    case 'ring':
      // Asterisk ends an unanswered originate at its timeout; this is the engine's own backstop.
      if (s.offer) t.out.push({ kind: 'hangup', channel: s.offer.channelId, reason: 'no_answer' });
      return;
    case 'dial':
      if (s.target && s.stage === 'dialing')
        t.out.push({ kind: 'hangup', channel: s.target.channelId, reason: 'no_answer' });
      return;
    case 'transfer-ring':
      if (s.transfer && s.transfer.answeredAt === undefined)
        t.out.push({ kind: 'hangup', channel: s.transfer.channelId, reason: 'no_answer' });
      return;
    case 'survey-input':
      s.surveyListening = false;
      t.out.push({ kind: 'hangup', channel: s.callerChannel, reason: 'normal' });
      return;
  }
}

function dialTarget(s: CallState, t: Turn, next: Extract<Next, { kind: 'dial' }>): void {
  s.stage = 'dialing';
  holdInBridge(s, t);
  const channelId = nextId(s, 't');
  s.target = { kind: next.target, id: next.id, channelId, startedAt: t.now };
  s.targetLogId = nextId(s, 'x');
  transferLog(s).push({
    id: s.targetLogId,
    mode: 'ivr',
    target: { kind: next.target, id: next.id },
    startedAt: t.now,
    result: 'dialing',
  });
  log(s, t, 'dial', { target: `${next.target}:${next.id}` });
  t.out.push({
    kind: 'originate',
    role: 'target',
    channelId,
    endpoint: next.dial,
    callerId: { name: `12345 ${s.line.topic}`.slice(0, 40), number: s.callerNumber },
    timeoutSeconds: next.ringSeconds,
    variables: { HOTLINE_CALL_ID: s.id, HOTLINE_LINE: s.line.id, HOTLINE_DIALED: s.dialed },
  });
  startTimer(s, t, 'dial', next.ringSeconds * 1000 + RING_GRACE_MS);
}

function targetLog(s: CallState) {
  return s.targetLogId ? s.transfers?.find((x) => x.id === s.targetLogId) : undefined;
}

function targetAnswered(s: CallState, t: Turn): void {
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

/** The IVR-level transfer failed: the caller hears why and goes where the plan sends failed transfers. */
function targetFailed(s: CallState, t: Turn, cause: number): void {
  cancelTimer(s, t, 'dial');
  log(s, t, 'target-failed', { target: `${s.target!.kind}:${s.target!.id}`, cause });
  const entry = targetLog(s);
  if (entry) Object.assign(entry, { result: legFailureOf(cause), endedAt: t.now, cause });
  const fromAgent = entry !== undefined && entry.mode !== 'ivr';
  s.target = undefined;
  s.targetLogId = undefined;
  s.stage = 'ivr';
  if (s.bridgeId) t.out.push({ kind: 'bridge-moh', bridgeId: s.bridgeId, on: false });
  // A caller an agent passed on returns to their queue, first in line; otherwise the plan's fallback.
  if (fromAgent && s.queue) {
    s.playlist.push('transfer-failed');
    followFrom(
      s,
      t,
      { prompts: [], target: { kind: s.queue.kind, id: s.queue.id }, skill: s.queue.skill, priority: 9 },
      runNext,
    );
    return;
  }
  followFrom(s, t, t.plan.fallback, runNext);
}

function surveyOf(t: Turn) {
  const id = t.plan.center.survey;
  const survey = id ? t.plan.selfService.get(id) : undefined;
  return survey?.kind === 'survey' ? survey : undefined;
}

function surveyKey(s: CallState, t: Turn, digit: string): void {
  const survey = surveyOf(t)!;
  if (s.playback) silence(s, t);
  s.next = undefined;
  cancelTimer(s, t, 'survey-input');
  s.surveyListening = false;
  const score = Number(digit);
  if (Number.isInteger(score) && score >= 1 && score <= survey.maxScore) {
    s.surveyScore = score;
    log(s, t, 'survey', { score });
  }
  say(s, t, [survey.thanksPrompt], { kind: 'hangup' }, runNext);
}

function onChannelEnded(s: CallState, t: Turn, channel: string, cause: number, lost: boolean): void {
  if (channel === s.callerChannel) return callerGone(s, t, cause);
  // A ringing leg lost to an outage is not the agent's doing: released as ready, not RONA.
  if (s.offer?.channelId === channel)
    return offerFailed(s, t, cause, lost ? 'failed' : agentOutcomeOf(cause));
  if (s.transfer?.channelId === channel) return transferLegEnded(s, t, cause);
  if (s.agent?.channelId === channel && s.stage === 'talking') {
    if (agentLeaves(s, t, true)) return;
    return agentLeft(s, t);
  }
  if (s.target?.channelId === channel) {
    if (s.stage === 'dialing') return targetFailed(s, t, cause);
    if (s.stage === 'transferred') {
      log(s, t, 'target-left', { cause });
      const entry = targetLog(s);
      if (entry) Object.assign(entry, { endedAt: t.now, cause });
      t.out.push({ kind: 'hangup', channel: s.callerChannel, reason: 'normal' });
    }
  }
}

/** The agent hung up: the caller is offered the satisfaction survey, or the call ends. */
function agentLeft(s: CallState, t: Turn): void {
  const agent = s.agent!;
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
  });
  const survey = surveyOf(t);
  if (s.bridgeId) {
    t.out.push({ kind: 'destroy-bridge', bridgeId: s.bridgeId });
    s.bridgeId = undefined;
  }
  if (!survey) {
    s.stage = 'closing';
    t.out.push({ kind: 'hangup', channel: s.callerChannel, reason: 'normal' });
    return;
  }
  s.stage = 'survey';
  s.surveyListening = true;
  say(s, t, [survey.prompt], { kind: 'survey-listen' }, runNext);
}

const abandonedAt: Partial<Record<CallState['stage'], CallState['disposition']>> = {
  ivr: 'abandoned-ivr',
  queued: 'abandoned-queue',
  ringing: 'abandoned-ringing',
  dialing: 'abandoned-queue',
};

/** The caller's channel is gone: release everything the call holds, and end it. */
function callerGone(s: CallState, t: Turn, cause: number): void {
  s.hangupCause = cause;
  s.endedAt = t.now;
  dropTransfer(s, t);
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

function onCommandFailed(s: CallState, t: Turn, command: Command, status?: number): void {
  switch (command.kind) {
    case 'play':
      // A prompt that cannot play must not stall the call: go on as if it had played.
      if (s.playback?.id === command.playbackId) {
        const i = s.prompts.lastIndexOf(command.prompt);
        if (i >= 0) s.prompts.splice(i, 1);
        log(s, t, 'prompt-refused', { prompt: command.prompt, status });
        s.playback = undefined;
        playNext(s, t, runNext);
      }
      return;
    case 'originate':
      if (command.role === 'agent' && s.offer?.channelId === command.channelId)
        return offerFailed(s, t, status ?? 0, 'failed');
      if (command.role === 'target' && s.target?.channelId === command.channelId && s.stage === 'dialing')
        return targetFailed(s, t, status ?? 0);
      return;
    case 'create-bridge':
      // The bridge may exist with a member missing: remove it rather than leave it behind.
      t.out.push({ kind: 'destroy-bridge', bridgeId: command.bridgeId });
      if (s.bridgeId === command.bridgeId) s.bridgeId = undefined;
      return;
    default:
      return;
  }
}
