import type { PbxDial } from '../../plan/pbx-direct.ts';
import type { DialStep, QueueStep } from '../../plan/route-step.ts';
import type { MergeModeName, PhaseKindName } from '../../plan/schema.ts';
import type { CallbackState } from './callback-state.ts';

/** A call session as plain data (JSON): all the engine needs to carry on with a call after a restart. */
export type Stage =
  | 'ivr' // prompts, menus, self-service
  | 'queued' // waiting for an agent (caller in a bridge with music on hold)
  | 'ringing' // an agent is being offered the call
  | 'talking' // caller and agent in the bridge
  | 'dialing' // an IVR-level transfer to a sub-center, emergency line or other center is ringing
  | 'transferred' // caller bridged with that target
  | 'survey'
  | 'closing' // playing a last announcement, then hanging up
  | 'ended';

export type Disposition =
  | 'answered'
  | 'abandoned-ivr'
  | 'abandoned-queue'
  | 'abandoned-ringing'
  | 'transferred'
  | 'ticketed'
  | 'deregistered-notice'
  | 'self-service'
  | 'safety-net-answered'
  | 'safety-net-message'
  /** Admission control handed the new call to the dialplan's safety net (see src/admission). */
  | 'shed'
  /** The Asterisk node the call was on died (or stayed unreachable): the call was lost with it. */
  | 'pbx-lost'
  /** The caller asked for a call-back and answered none of its attempts (capabilities/callback.ts). */
  | 'callback-unanswered';

/** What to do once the prompts queued before it have played; queue and dial are the plan's own steps. */
export type Next =
  | { kind: 'menu'; id: string }
  | { kind: 'menu-listen' }
  | { kind: 'progress-query'; id: string }
  | { kind: 'query-listen' }
  | QueueStep
  | DialStep
  | { kind: 'survey-listen' }
  | { kind: 'hangup' }
  | { kind: 'resume-queue' };

export interface QueuePosition {
  kind: 'pool' | 'expert';
  id: string;
  skill: string;
  priority: number;
  /** When the caller first entered a queue: keeps its place through overflow and retries. */
  enqueuedAt: number;
}

export interface OfferState {
  agentId: string;
  endpoint: string;
  channelId: string;
  offeredAt: number;
}

export interface TargetState {
  kind: 'subcenter' | 'department' | 'emergency' | 'center';
  id: string;
  channelId: string;
  startedAt: number;
  answeredAt?: number;
}

export type TransferMode = 'three-way' | 'consult' | 'blind';
export type TransferTargetKind = 'subcenter' | 'department' | 'emergency' | 'center' | 'directory' | 'expert';

/** A transfer the agent started, while it is under way. */
export interface TransferState {
  id: string;
  mode: TransferMode;
  target: { kind: TransferTargetKind; id: string };
  /** The agent who started it (the call's agent until the transfer completes). */
  agentId: string;
  /** The target's leg (an expert consult's: `''` until the ACD reserved an expert, then the expert's). */
  channelId: string;
  startedAt: number;
  /** The originate's ring timeout. */
  ringMs: number;
  answeredAt?: number;
  /** Consult: the bridge where agent and target talk while the caller holds. */
  consultBridgeId?: string;
  /** Consult to an expert seat: the seat's skill, and the expert the ACD reserved (once it has). */
  expert?: { skill: string; agentId?: string; endpoint?: string };
}

/** Every transfer attempt and its outcome, for the call record. */
export interface TransferLog {
  id: string;
  mode: TransferMode | 'ivr' | 'ticket';
  target: { kind: string; id: string };
  startedAt: number;
  answeredAt?: number;
  endedAt?: number;
  result:
    | 'dialing'
    | 'connected'
    | 'completed'
    | 'queued'
    | 'busy'
    | 'no-answer'
    | 'unreachable'
    | 'failed'
    | 'cancelled'
    | 'target-left'
    | 'ticket';
  cause?: number;
  reason?: string;
}

import type { CallEventLog } from './event-names.ts';

export type { CallEventLog, EventName } from './event-names.ts';

/** A caller's channel that entered the application: what a call session starts from. */
export interface NewCall {
  id: string;
  app: string;
  callerChannel: string;
  dialed: string;
  callerNumber: string;
  callerName: string;
  /** The PBX dialled the line's sub-center itself and that failed: 12345 serves the call. */
  pbxDial?: PbxDial;
  /** Recording is on (RECORDING): the call's bridges are recorded once someone answers the caller. */
  record?: boolean;
}

export interface CallState extends NewCall {
  line: { id: string; name: string; mode: MergeModeName; topic: string };
  phase: { id: string; kind: PhaseKindName };
  callerClass?: string;
  arrivedAt: number;
  answeredAt?: number;
  stage: Stage;
  /** Counter for the ids of playbacks, channels and bridges this call creates. */
  seq: number;
  playlist: string[];
  playback?: { id: string; prompt: string; bargeIn: boolean };
  next?: Next;
  /**
   * The menu the caller is in: `attempt` counts tries from 1; `failures` counts failed tries by
   * kind (each kind has its own budget; absent in sessions saved before it was kept).
   */
  menu?: {
    id: string;
    attempt: number;
    collected: string;
    listening: boolean;
    failures?: { invalid: number; timeout: number };
  };
  query?: { id: string; collected: string; listening: boolean; waiting: boolean };
  surveyListening?: boolean;
  queue?: QueuePosition;
  queuedAt?: number;
  bridgeId?: string;
  offer?: OfferState;
  /** `entry`: the ACD entry the agent took the call under, when not the call's own (a consult's expert). */
  agent?: { agentId: string; channelId: string; answeredAt: number; entry?: string };
  target?: TargetState;
  transfer?: TransferState;
  transfers?: TransferLog[];
  /** Log id of the IVR-level or completed transfer `target` belongs to. */
  targetLogId?: string;
  /** Live timers: name → token; an expired token is ignored. */
  timers: Record<string, number>;
  /** When each live timer falls due (epoch ms), so a restarted engine can arm it again. */
  timerDue?: Record<string, number>;
  ivrPath: { menu: string; keys: string; outcome: string }[];
  prompts: string[];
  events: CallEventLog[];
  disposition?: Disposition;
  surveyScore?: number;
  endedAt?: number;
  hangupCause?: number;
  ticketReason?: string;
  /** Why admission control shed the call (with disposition `shed`): the signal over its limit. */
  shedReason?: string;
  /** A call-back the caller was offered or asked for (virtual hold: capabilities/callback.ts). */
  callback?: CallbackState;
  /** The recordings of the call's bridges: stored name (the recording's id), bridge, start; refused? */
  recordings?: { name: string; bridgeId: string; startedAt: number; failed?: boolean }[];
  /** The agent's holds (count, time so far, the open one's start) and mute (capabilities/hold.ts). */
  hold?: { count: number; totalMs: number; since?: number };
  muted?: boolean;
}

export type CallEvent =
  | { kind: 'arrived' }
  | { kind: 'playback-finished'; playbackId: string; failed: boolean }
  | { kind: 'dtmf'; channel: string; digit: string }
  | { kind: 'timer'; name: string; token: number }
  | { kind: 'channel-answered'; channel: string }
  /** `lost`: found gone after an event outage (cause unknown; nobody's fault). */
  | { kind: 'channel-ended'; channel: string; cause: number; causeText?: string; lost?: boolean }
  | { kind: 'agent-reserved'; agentId: string; endpoint: string }
  /** The call's Asterisk node is lost (legs gone with it): the call ends `pbx-lost`, agent released. */
  | { kind: 'pbx-lost'; node: string }
  | { kind: 'ticket-status'; prompts: string[] | null }
  | { kind: 'position'; ahead: number; expectedWaitSeconds: number | null }
  | { kind: 'command-failed'; command: Command; status?: number; message?: string }
  | { kind: 'transfer-request'; target: string; mode: TransferMode }
  | { kind: 'transfer-complete' }
  | { kind: 'transfer-cancel' }
  | { kind: 'agent-leave' }
  | { kind: 'ticket-dispatch'; target: string; reason: string }
  | DeskEvent;

/** The agent puts the citizen on hold or takes them back, mutes or unmutes (capabilities/hold.ts). */
export type DeskEvent = { kind: 'hold' | 'unhold' } | { kind: 'mute'; on: boolean };

export type AgentOutcome = 'rona' | 'busy' | 'failed' | 'cancelled';

export type Command =
  | { kind: 'answer'; channel: string }
  | { kind: 'play'; channel: string; playbackId: string; prompt: string }
  | { kind: 'stop-playback'; playbackId: string }
  | { kind: 'start-timer'; name: string; token: number; ms: number }
  | { kind: 'cancel-timer'; name: string }
  | { kind: 'create-bridge'; bridgeId: string; channels: string[]; moh: boolean }
  | { kind: 'bridge-moh'; bridgeId: string; on: boolean }
  /** `stopMoh`: the music stops as the channel joins (both requests at once). */
  | { kind: 'add-to-bridge'; bridgeId: string; channel: string; stopMoh?: boolean }
  | { kind: 'destroy-bridge'; bridgeId: string }
  | { kind: 'remove-from-bridge'; bridgeId: string; channel: string }
  | { kind: 'record-bridge'; bridgeId: string; name: string }
  /** Music on hold on a channel (the default class); a channel's direction muted (`in`: what its phone sends). */
  | { kind: 'channel-moh'; channel: string; on: boolean }
  | { kind: 'channel-mute'; channel: string; direction: 'in' | 'out' | 'both'; on: boolean }
  /**
   * ACD commands name the ACD entry they are about: the call's own id unless `entry` says
   * otherwise — a consult to an expert seat waits under its transfer's id, so the agent already
   * on the call keeps the call's own entry.
   */
  | { kind: 'enqueue'; queue: QueuePosition; entry?: string }
  | { kind: 'dequeue'; entry?: string }
  | { kind: 'ask-position' }
  /** The caller asked for a call-back: their ACD entry keeps its place, marked a call-back. */
  | { kind: 'mark-callback'; requestedAt: number }
  | {
      kind: 'originate';
      role: 'agent' | 'target';
      channelId: string;
      endpoint: string;
      callerId: { name: string; number: string };
      timeoutSeconds: number;
      variables: Record<string, string>;
    }
  | { kind: 'hangup'; channel: string; reason: 'normal' | 'busy' | 'no_answer' }
  /** The agent answered: on-call, and the call leaves its queue. */
  | { kind: 'agent-answered'; agentId: string; entry?: string }
  /** The offer failed: the agent is released and the call waits again (cancelled: the call is gone). */
  | { kind: 'agent-release'; agentId: string; outcome: AgentOutcome; entry?: string }
  | { kind: 'agent-complete'; agentId: string; talkSeconds: number; entry?: string }
  | { kind: 'lookup-ticket'; ticketNumber: string }
  /** Tells an agent's desktop what happened (offered, connected, transfer progress, ended). */
  | {
      kind: 'notify';
      agentId: string;
      event: AgentNotice;
      detail?: Record<string, string | number | undefined>;
    }
  | { kind: 'ended' };

export type AgentNotice =
  | 'offered'
  | 'connected'
  | 'ended'
  | 'transfer-dialing'
  | 'transfer-connected'
  | 'transfer-failed'
  | 'transfer-completed'
  | 'transfer-cancelled'
  | 'target-left'
  | 'ticket-dispatched';
