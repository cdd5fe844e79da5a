import type { Agent, AgentDefinitionInput, AgentState } from '../agent.ts';
import type { ReleaseOutcome } from '../agent-state.ts';
import type { QueuedCall, QueuePolicy, QueuePolicyInput, WaitingCallInput } from '../queue-policy.ts';

/**
 * The ACD store port: agents, waiting calls and reservations of one center. Two adapters:
 * in-memory (embedded, one engine process) and Redis (several engine processes share agents and
 * queues; reservations are atomic). Agent events that the state does not allow reject with an
 * `AcdError` (`invalid-transition`, `no-such-agent`, ...).
 */

/** What changed, published to every listener (with Redis: of every engine process). */
export type AcdChange =
  | {
      kind: 'agent';
      agentId: string;
      state: AgentState;
      previous: AgentState;
      /** The event that caused it: login, ready, not-ready, logout, end-wrap-up, device, reserve,
       *  answer, release, reservation-expired, complete, wrap-up-expired, restore (put back after
       *  the store lost its state, see agent-recovery.ts). */
      cause: string;
      callId?: string;
      at: number;
    }
  | {
      kind: 'call';
      callId: string;
      queueId: string;
      /** waiting: enqueued or back in the queue after a failed or expired offer. */
      change: 'waiting' | 'offered' | 'removed';
      agentId?: string;
      at: number;
    };

export type ChangeListener = (change: AcdChange) => void;

export type ReserveRefusal =
  | 'no-such-agent'
  | 'agent-not-ready'
  | 'device-unavailable'
  | 'no-such-call'
  | 'call-already-offered';

export type ReserveResult = { ok: true } | { ok: false; reason: ReserveRefusal };

export interface StoreSnapshot {
  agents: Agent[];
  /** Waiting calls (offered ones carry `offer`). */
  calls: QueuedCall[];
}

export interface AcdStore {
  readonly centerId: string;

  /** Adds or updates roster entries; new agents start logged out. Live status is kept. */
  upsertAgents(definitions: readonly AgentDefinitionInput[]): Promise<void>;
  /** Declares the queues (pools and expert seat groups) and their policies. */
  setQueues(policies: readonly QueuePolicyInput[]): Promise<void>;
  queues(): Promise<QueuePolicy[]>;

  getAgent(agentId: string): Promise<Agent | undefined>;
  listAgents(): Promise<Agent[]>;
  /** Logs in ready, or not-ready with `notReadyReason` when one is given. */
  login(agentId: string, endpoint: string, notReadyReason?: string): Promise<Agent>;
  ready(agentId: string): Promise<Agent>;
  notReady(agentId: string, reason: string): Promise<Agent>;
  logout(agentId: string): Promise<Agent>;
  endWrapUp(agentId: string): Promise<Agent>;
  /** Softphone registration/reachability, fed by the telephony layer. */
  setDeviceAvailable(agentId: string, available: boolean): Promise<Agent>;

  /** Puts a call in its queue (`no-such-queue`, `duplicate-call`). */
  enqueue(call: WaitingCallInput): Promise<QueuedCall>;
  /** Takes a waiting call out of its queue (abandoned, overflowed, ticketed); undefined if absent. */
  removeCall(callId: string): Promise<QueuedCall | undefined>;
  getCall(callId: string): Promise<QueuedCall | undefined>;
  /**
   * Marks a waiting call as a call-back (the caller hung up to be called back): it keeps its
   * place and any offer under way. Returns the call as now stored; undefined if it is not queued.
   */
  markCallback(callId: string, requestedAt: number): Promise<QueuedCall | undefined>;
  /** All agents of the center and the waiting calls of the given queues (all queues if omitted). */
  snapshot(queueIds?: readonly string[]): Promise<StoreSnapshot>;

  /** Atomically reserves a ready agent for a waiting call not yet offered (one round trip). */
  reserve(agentId: string, callId: string, engineId: string, ttlMs: number): Promise<ReserveResult>;
  /** Extends a reservation held by `engineId`; false if it is no longer held. */
  renew(callId: string, engineId: string, ttlMs: number): Promise<boolean>;
  /** The agent answered: on-call; the call leaves its queue (`no-such-reservation`). */
  confirm(callId: string): Promise<Agent>;
  /** The offer failed: rona → agent not-ready `rona`; busy → ready with the device unavailable
   *  (the telephony layer makes it available again once free); failed/cancelled → ready (or the pending
   *  not-ready). The call waits again, except when cancelled (the caller left): then it is removed. */
  release(callId: string, outcome: ReleaseOutcome): Promise<Agent>;
  /** The call ended: the agent goes to wrap-up for its queue's `wrapUpSeconds`. */
  complete(callId: string, talkSeconds: number): Promise<Agent>;
  /** Expires reservations and ends wrap-ups due by `now`; returns how many agents changed. */
  expireDue(now?: number): Promise<number>;

  onChange(listener: ChangeListener): () => void;
  /**
   * Called when the store's connection comes back after being lost (Redis restarted or
   * unreachable); the state it held may be gone. The memory store never calls it.
   */
  onReconnect?(listener: () => void): () => void;
  close(): Promise<void>;
}
