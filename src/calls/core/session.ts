import type { RoutingPlan } from '../../plan/compile.ts';
import { enterCall } from '../../plan/route-step.ts';
import * as callback from './capabilities/callback.ts';
import * as consult from './capabilities/consult.ts';
import {
  dialTarget,
  dialTimeout,
  pbxDialFailed,
  targetAnswered,
  targetFailed,
  targetLeft,
} from './capabilities/dial.ts';
import { deskTurn, isDeskEvent } from './capabilities/hold.ts';
import * as ivr from './capabilities/ivr.ts';
import { agentAnswered, offerToAgent, ringTimeout } from './capabilities/offer.ts';
import { followFrom, playbackFinished, promptRefused } from './capabilities/playlist.ts';
import {
  announceDue,
  announcePosition,
  enterQueue,
  leaveQueue,
  maxWaitDue,
  overflowDue,
  rearmAnnounce,
} from './capabilities/queue.ts';
import { recordBridges } from './capabilities/recording.ts';
import { startSurvey, surveyKey, surveyListen, surveyTimeout } from './capabilities/survey.ts';
import { agentLeft, bridgeRefused, callerGone } from './capabilities/teardown.ts';
import * as transfer from './capabilities/transfer.ts';
import { log, offerFailed, type Turn } from './kernel.ts';
import { agentOutcomeOf } from './q850.ts';
import { checkTransfer, isRefusal, resolveTarget } from './transfer-target.ts';
import type { AgentOutcome, CallEvent, CallState, Command, DeskEvent, NewCall, Next } from './types.ts';

/**
 * The router of a call session: hands each event to the capability it concerns, and runs the
 * step a capability returns. Capabilities never call each other; what runs next is decided here.
 */

/**
 * Starts a call session: finds the line and phase of the dialed number, answers, and sets off
 * along the phase's route. A number no line answers is served as the main line (never dropped).
 */
export function startCall(
  call: NewCall,
  plan: RoutingPlan,
  now: number,
): { state: CallState; commands: Command[] } {
  const { entry, unknown } = enterCall(plan, call.dialed, now, call.callerNumber);
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
  if (call.pbxDial) {
    drive(s, t, pbxDialFailed(s, t, call.pbxDial));
    return { state: s, commands: t.out };
  }
  drive(s, t, followFrom(s, t, entry.phase.route));
  return { state: s, commands: t.out };
}

/** Applies one event to a call. Deterministic and free of I/O: mutates `s`, returns the commands to run. */
export function handleEvent(s: CallState, event: CallEvent, plan: RoutingPlan, now: number): Command[] {
  const t: Turn = { plan, now, out: [] };
  if (s.stage !== 'ended' && !isDeskEvent(event)) drive(s, t, route(s, t, event));
  recordBridges(s, t, event); // capabilities/recording.ts: the bridges where someone answered the caller
  return deskTurn(s, t, event); // capabilities/hold.ts: the agent's hold and mute close the turn
}

/** Runs the step a capability returned, and the steps those lead to, until one waits for an event. */
function drive(s: CallState, t: Turn, next: Next | undefined): void {
  while (next) next = run(s, t, next);
}

function run(s: CallState, t: Turn, next: Next): Next | undefined {
  switch (next.kind) {
    case 'menu':
      return ivr.enterMenu(s, t, next.id);
    case 'progress-query':
      return ivr.enterQuery(s, t, next.id);
    case 'menu-listen':
      ivr.menuListen(s, t);
      break;
    case 'query-listen':
      ivr.queryListen(s, t);
      break;
    case 'queue':
      enterQueue(s, t, next);
      callback.armOffer(s, t);
      break;
    case 'dial':
      dialTarget(s, t, next);
      break;
    case 'survey-listen':
      surveyListen(s, t);
      break;
    case 'hangup':
      t.out.push({ kind: 'hangup', channel: s.callerChannel, reason: 'normal' });
      break;
    case 'resume-queue':
      break;
  }
  return undefined;
}

/** Hands an event to the capability it concerns; returns the step to run next, if any. */
function route(s: CallState, t: Turn, event: Exclude<CallEvent, DeskEvent>): Next | undefined {
  // A call-back (capabilities/callback.ts) answers the events that concern it first.
  const answered = callback.route(s, t, event);
  if (answered) return answered.next;
  switch (event.kind) {
    case 'arrived':
      return undefined;
    case 'playback-finished':
      return playbackFinished(s, t, event.playbackId, event.failed);
    case 'dtmf':
      return event.channel === s.callerChannel ? onKey(s, t, event.digit) : undefined;
    case 'timer':
      if (s.timers[event.name] !== event.token) return undefined;
      delete s.timers[event.name];
      if (s.timerDue) delete s.timerDue[event.name];
      return onTimer(s, t, event.name);
    case 'channel-answered':
      if (s.offer?.channelId === event.channel && s.stage === 'ringing') {
        leaveQueue(s, t, false);
        agentAnswered(s, t);
      } else if (s.transfer?.channelId === event.channel && s.transfer.answeredAt === undefined) {
        if (consult.isExpertConsult(s.transfer)) consult.expertAnswered(s, t);
        else transfer.transferAnswered(s, t);
      } else if (s.target?.channelId === event.channel && s.stage === 'dialing') {
        targetAnswered(s, t);
      }
      return undefined;
    case 'channel-ended':
      return onChannelEnded(s, t, event.channel, event.cause, event.lost === true);
    case 'pbx-lost':
      // Every leg went with the node: the call ends as its caller's channel would, recorded as lost.
      log(s, t, 'pbx-lost', { node: event.node });
      s.disposition = 'pbx-lost';
      return onChannelEnded(s, t, s.callerChannel, 0, true);
    case 'agent-reserved':
      if (consult.awaitsExpert(s)) consult.offerConsult(s, t, event.agentId, event.endpoint);
      else offerToAgent(s, t, event.agentId, event.endpoint);
      return undefined;
    case 'ticket-status':
      return ivr.queryAnswered(s, t, event.prompts);
    case 'position':
      return announcePosition(s, t, event.ahead, event.expectedWaitSeconds);
    case 'command-failed':
      return onCommandFailed(s, t, event.command, event.status);
    case 'transfer-request': {
      const target = checkTransfer(s, t.plan, event.target);
      if (isRefusal(target)) return undefined;
      if (target.kind !== 'expert' || event.mode !== 'consult')
        return transfer.startTransfer(s, t, target, event.mode);
      consult.startExpertConsult(s, t, target);
      return undefined;
    }
    case 'transfer-complete':
      if (!s.transfer?.consultBridgeId || s.transfer.answeredAt === undefined) return undefined;
      if (consult.isExpertConsult(s.transfer)) consult.completeExpertConsult(s, t);
      else transfer.completeConsult(s, t);
      return undefined;
    case 'transfer-cancel':
      if (consult.isExpertConsult(s.transfer)) consult.cancelExpertConsult(s, t);
      else if (s.transfer?.consultBridgeId) transfer.cancelConsult(s, t);
      return undefined;
    case 'agent-leave':
      if (s.stage !== 'talking' || !s.agent) return undefined;
      if (consult.isExpertConsult(s.transfer)) return consult.agentLeavesConsult(s, t, false);
      return transfer.agentLeaves(s, t, false) ? undefined : agentGone(s, t, true);
    case 'ticket-dispatch': {
      const target = resolveTarget(t.plan, event.target);
      if (!isRefusal(target)) transfer.dispatchTicket(s, t, target, event.reason);
      return undefined;
    }
  }
}

function onKey(s: CallState, t: Turn, digit: string): Next | undefined {
  log(s, t, 'key', { digit: s.query ? '*' : digit });
  if (s.menu?.listening) return ivr.menuKey(s, t, digit);
  if (s.query?.listening) return ivr.queryKey(s, t, digit);
  if (s.surveyListening) return surveyKey(s, t, digit);
  return undefined;
}

function onTimer(s: CallState, t: Turn, name: string): Next | undefined {
  switch (name) {
    case 'menu-input':
      return ivr.menuTimeout(s, t, false);
    case 'menu-interdigit':
      return ivr.menuTimeout(s, t, true);
    case 'query-input':
      return ivr.queryTimeout(s, t);
    case 'overflow':
      return overflowDue(s, t);
    case 'max-wait':
      return maxWaitDue(s, t);
    case 'announce':
      announceDue(s, t);
      break;
    case 'ring':
      ringTimeout(s, t);
      break;
    case 'dial':
      dialTimeout(s, t);
      break;
    case 'transfer-ring':
      transfer.transferRingTimeout(s, t);
      break;
    case 'expert-wait':
      consult.expertWaitDue(s, t);
      break;
    case 'survey-input':
      surveyTimeout(s, t);
      break;
  }
  return undefined;
}

function onChannelEnded(
  s: CallState,
  t: Turn,
  channel: string,
  cause: number,
  lost: boolean,
): Next | undefined {
  const expert = consult.isExpertConsult(s.transfer);
  if (channel === s.callerChannel) {
    if (expert) consult.dropExpertConsult(s, t);
    else transfer.dropTransfer(s, t);
    callerGone(s, t, cause);
  } else if (s.offer?.channelId === channel) {
    // A ringing leg lost to an outage is not the agent's doing: released as ready, not RONA.
    offerLost(s, t, cause, lost ? 'failed' : agentOutcomeOf(cause));
  } else if (s.transfer?.channelId === channel) {
    if (expert) consult.expertLegEnded(s, t, cause, lost ? 'failed' : agentOutcomeOf(cause));
    else transfer.transferLegEnded(s, t, cause);
  } else if (s.agent?.channelId === channel && s.stage === 'talking') {
    if (expert) return consult.agentLeavesConsult(s, t, true);
    if (!transfer.agentLeaves(s, t, true)) return agentGone(s, t, false);
  } else if (s.target?.channelId === channel) {
    if (s.stage === 'dialing') return targetFailed(s, t, cause);
    if (s.stage === 'transferred') targetLeft(s, t, cause);
  }
  return undefined;
}

/** The agent left a call with no transfer under way: the survey, or the end of the call. */
function agentGone(s: CallState, t: Turn, hangup: boolean): Next | undefined {
  agentLeft(s, t, hangup);
  return startSurvey(s, t);
}

/** The offer failed: the agent is released and the caller waits on in the queue. */
function offerLost(s: CallState, t: Turn, cause: number, outcome: AgentOutcome): void {
  offerFailed(s, t, cause, outcome);
  rearmAnnounce(s, t);
}

function onCommandFailed(s: CallState, t: Turn, command: Command, status?: number): Next | undefined {
  switch (command.kind) {
    case 'play':
      return promptRefused(s, t, command.playbackId, command.prompt, status);
    case 'originate':
      if (command.role === 'agent' && s.offer?.channelId === command.channelId)
        offerLost(s, t, status ?? 0, 'failed');
      else if (command.role === 'agent' && s.transfer?.channelId === command.channelId)
        consult.expertLegEnded(s, t, status ?? 0, 'failed');
      else if (
        command.role === 'target' &&
        s.target?.channelId === command.channelId &&
        s.stage === 'dialing'
      )
        return targetFailed(s, t, status ?? 0);
      break;
    case 'create-bridge':
      bridgeRefused(s, t, command.bridgeId);
      break;
  }
  return undefined;
}
