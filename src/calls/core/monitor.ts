import type { CallState } from './types.ts';

/**
 * A supervisor on a live call (监听 / 耳语 / 强插), as plain data. The supervisor's own phone is
 * called first; once it answers it is bridged with a snoop channel on the agent's leg (listen,
 * whisper) or joins the call's own bridge (barge). Pure: the runtime (calls/runtime/monitors.ts)
 * carries out the commands and feeds the events back.
 */
export const monitorModes = ['listen', 'whisper', 'barge'] as const;
export type MonitorMode = (typeof monitorModes)[number];

/** ARI snoop directions, seen from the snooped channel (the agent's leg). */
export type SnoopDirection = 'none' | 'in' | 'out' | 'both';

/**
 * The snoop a mode needs on the agent's leg, or undefined for barge (no snoop: the supervisor is
 * in the call's bridge). Listen hears both directions; whisper hears both and speaks into what
 * goes out to the agent (`out`), so the caller never hears the supervisor.
 */
export function snoopOf(mode: MonitorMode): { spy: SnoopDirection; whisper: SnoopDirection } | undefined {
  if (mode === 'listen') return { spy: 'both', whisper: 'none' };
  if (mode === 'whisper') return { spy: 'both', whisper: 'out' };
  return undefined;
}

export type MonitorStage = 'dialing' | 'live' | 'ended';

export type MonitorEndReason =
  | 'stopped' // asked through the API
  | 'supervisor-hung-up'
  | 'supervisor-unreachable' // the supervisor's phone did not answer
  | 'call-ended' // the call ended or the agent left it
  | 'failed' // the PBX refused a step
  | 'handed-back'; // the engine holding the call left this process (ENGINE_TAKEOVER: its own process is back)

export interface MonitorSession {
  id: string;
  callId: string;
  /** Who started it (token id) and with which role. */
  tokenId: string;
  role: string;
  /** The supervisor's phone (`PJSIP/sup9001`). */
  endpoint: string;
  mode: MonitorMode;
  /** The mode before the last change. */
  previousMode?: MonitorMode;
  stage: MonitorStage;
  /** The agent's leg being listened to, and the call's bridge (barge). */
  agentChannel: string;
  callBridge: string;
  /** The supervisor's leg (originated to `endpoint`). */
  supervisorChannel: string;
  /** The bridge of the supervisor's leg and the snoop (listen, whisper). */
  bridgeId: string;
  /** The snoop channel in use, once it is in the app. */
  snoop?: string;
  /** A snoop asked for and not yet in the app (a new session, or a switch of mode). */
  pendingSnoop?: string;
  /** How many snoops this session has asked for (their ids' counter). */
  snoops: number;
  startedAt: number;
  endedAt?: number;
  endReason?: MonitorEndReason;
}

/** Why a call cannot be monitored now, or undefined when it can. */
export function unmonitorable(call: CallState | undefined): 'no-such-call' | 'not-talking' | undefined {
  if (!call || call.stage === 'ended') return 'no-such-call';
  if (call.stage !== 'talking' || !call.agent || !call.bridgeId) return 'not-talking';
  return undefined;
}

/** A new session for a call that can be monitored (check `unmonitorable` first). */
export function newMonitorSession(o: {
  id: string;
  call: CallState;
  tokenId: string;
  role: string;
  endpoint: string;
  mode: MonitorMode;
  now: number;
}): MonitorSession {
  return {
    id: o.id,
    callId: o.call.id,
    tokenId: o.tokenId,
    role: o.role,
    endpoint: o.endpoint,
    mode: o.mode,
    stage: 'dialing',
    agentChannel: o.call.agent!.channelId,
    callBridge: o.call.bridgeId!,
    supervisorChannel: `${o.id}-sup`,
    bridgeId: `${o.id}-bridge`,
    snoops: 0,
    startedAt: o.now,
  };
}

/** The id of the session's next snoop channel (ids name the call, so several nodes find its node). */
export function nextSnoopId(s: MonitorSession): string {
  return `${s.id}-snoop${s.snoops + 1}`;
}

/**
 * What the supervisor's leg must do to be in `mode` once it is up: join the call's bridge
 * (barge), or get a snoop with the mode's directions and be bridged with it.
 */
export type MonitorStep =
  | { kind: 'join-call'; leaveOwn: boolean }
  | { kind: 'snoop'; spy: SnoopDirection; whisper: SnoopDirection; leaveCall: boolean }
  | { kind: 'none' };

/**
 * The step from the current mode to `to` on a live session (`from` undefined: the supervisor's leg
 * has just answered and is in no bridge yet). Switching between listen and whisper takes a new
 * snoop (a snoop's directions are fixed when it is made); the old one is hung up once the new
 * one is in the bridge, so the supervisor loses no audio.
 */
export function stepTo(from: MonitorMode | undefined, to: MonitorMode): MonitorStep {
  if (from === to) return { kind: 'none' };
  if (to === 'barge') return { kind: 'join-call', leaveOwn: from !== undefined };
  const d = snoopOf(to)!;
  return { kind: 'snoop', spy: d.spy, whisper: d.whisper, leaveCall: from === 'barge' };
}

export interface Who {
  tokenId: string;
  role: string;
}

/** One audited moment of a monitor session: started, mode changed, ended. */
export interface MonitorAuditRecord {
  at: string;
  /** Who did it: the token that started, switched or stopped the session (the starter's otherwise). */
  tokenId: string;
  role: string;
  action: 'monitor-start' | 'monitor-mode' | 'monitor-end';
  monitorId: string;
  callId: string;
  mode: MonitorMode;
  /** The mode before (mode changes). */
  from?: MonitorMode;
  endpoint: string;
  /** Why it ended, and after how many seconds (end). */
  reason?: MonitorEndReason;
  seconds?: number;
}

/** The audit record of one moment of a session (who did it, the session as it is now). */
export function auditRecord(
  s: MonitorSession,
  who: Who,
  action: MonitorAuditRecord['action'],
  now: number,
  reason?: MonitorEndReason,
): MonitorAuditRecord {
  const seconds = Math.max(0, Math.round(((s.endedAt ?? now) - s.startedAt) / 1000));
  return {
    at: new Date(now).toISOString(),
    tokenId: who.tokenId,
    role: who.role,
    action,
    monitorId: s.id,
    callId: s.callId,
    mode: s.mode,
    endpoint: s.endpoint,
    ...(action === 'monitor-mode' && s.previousMode ? { from: s.previousMode } : {}),
    ...(action === 'monitor-end' ? { reason: reason ?? s.endReason ?? 'stopped', seconds } : {}),
  };
}

/** What a client sees of a session. */
export type MonitorView = Pick<
  MonitorSession,
  'id' | 'callId' | 'mode' | 'stage' | 'endpoint' | 'tokenId' | 'startedAt' | 'endedAt' | 'endReason'
>;

export const modeName: Record<MonitorMode, string> = { listen: '监听', whisper: '耳语', barge: '强插' };

export function view(s: MonitorSession): MonitorView {
  return {
    id: s.id,
    callId: s.callId,
    mode: s.mode,
    stage: s.stage,
    endpoint: s.endpoint,
    tokenId: s.tokenId,
    startedAt: s.startedAt,
    ...(s.endedAt !== undefined ? { endedAt: s.endedAt } : {}),
    ...(s.endReason !== undefined ? { endReason: s.endReason } : {}),
  };
}
