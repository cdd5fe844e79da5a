import type { CompiledExpert, CompiledPool, RoutingPlan } from '../../plan/compile.ts';
import type { AgentNotice, AgentOutcome, CallState, Command, EventName, TransferLog } from './types.ts';

/** What one transition works with: the plan the call started on, the time, and the commands it emits. */
export interface Turn {
  plan: RoutingPlan;
  now: number;
  out: Command[];
}

/** Extra time after the originate timeout before the engine gives up on a ringing channel itself. */
export const RING_GRACE_MS = 3_000;

/** The priority of a caller an agent passed on: first in line in the queue they go to. */
export const TOP_PRIORITY = 9;

export function nextId(s: CallState, tag: string): string {
  s.seq += 1;
  return `${s.id}-${tag}${s.seq}`;
}

export function startTimer(s: CallState, t: Turn, name: string, ms: number): void {
  s.seq += 1;
  s.timers[name] = s.seq;
  const delay = Math.max(0, Math.round(ms));
  s.timerDue ??= {};
  s.timerDue[name] = t.now + delay;
  t.out.push({ kind: 'start-timer', name, token: s.seq, ms: delay });
}

export function cancelTimer(s: CallState, t: Turn, name: string): void {
  if (s.timers[name] === undefined) return;
  delete s.timers[name];
  if (s.timerDue) delete s.timerDue[name];
  t.out.push({ kind: 'cancel-timer', name });
}

export function cancelAllTimers(s: CallState, t: Turn): void {
  for (const name of Object.keys(s.timers)) cancelTimer(s, t, name);
}

export function log(
  s: CallState,
  t: Turn,
  what: EventName,
  detail?: CallState['events'][number]['detail'],
): void {
  s.events.push(detail ? { at: t.now, what, detail } : { at: t.now, what });
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

export function queuePolicy(t: Turn, kind: 'pool' | 'expert', id: string): CompiledPool | CompiledExpert {
  return kind === 'pool' ? t.plan.pools.get(id)! : t.plan.experts.get(id)!;
}

/** The call's transfer attempts, for its record. */
export function transferLog(s: CallState): TransferLog[] {
  s.transfers ??= [];
  return s.transfers;
}

/** The log entry of the transfer the call's `target` belongs to. */
export function targetLog(s: CallState): TransferLog | undefined {
  return s.targetLogId ? s.transfers?.find((x) => x.id === s.targetLogId) : undefined;
}

/** The log entry of one of the call's transfers. */
export function transferEntry(s: CallState, id: string): TransferLog | undefined {
  return s.transfers?.find((x) => x.id === id);
}

/** A transfer attempt ended: its result (and cause) for the record. */
export function closeTransfer(
  s: CallState,
  t: Turn,
  id: string | undefined,
  result: TransferLog['result'],
  cause?: number,
): void {
  const e = id ? transferEntry(s, id) : undefined;
  if (!e) return;
  e.result = result;
  e.endedAt = t.now;
  if (cause !== undefined) e.cause = cause;
}

/** Tells an agent's desktop about the call (the call's id always in the detail). */
export function notifyAgent(
  s: CallState,
  t: Turn,
  agentId: string,
  event: AgentNotice,
  detail?: Record<string, string | number | undefined>,
): void {
  t.out.push({ kind: 'notify', agentId, event, detail: { callId: s.id, ...detail } });
}

/** A consult is over without a hand-over: the agent leaves the consult bridge for the caller's, which loses its music. */
export function returnAgentFromConsult(s: CallState, t: Turn): void {
  const x = s.transfer!;
  const agent = s.agent;
  if (agent) {
    t.out.push({ kind: 'remove-from-bridge', bridgeId: x.consultBridgeId!, channel: agent.channelId });
    t.out.push({ kind: 'add-to-bridge', bridgeId: s.bridgeId!, channel: agent.channelId, stopMoh: true });
  }
  t.out.push({ kind: 'destroy-bridge', bridgeId: x.consultBridgeId! });
}

/** The offer failed (no answer, busy, unreachable): the ACD releases the agent and the call waits again. */
export function offerFailed(s: CallState, t: Turn, cause: number, outcome: AgentOutcome): void {
  const offer = s.offer!;
  cancelTimer(s, t, 'ring');
  s.offer = undefined;
  s.stage = 'queued';
  log(s, t, 'offer-failed', { agent: offer.agentId, cause, outcome });
  t.out.push({ kind: 'agent-release', agentId: offer.agentId, outcome });
}
