import type { Clock } from '../../clock.ts';
import { type Agent, type AgentDefinitionInput, agentDefinitionSchema, initialStatus } from '../agent.ts';
import { type AgentEvent, dueEvent, type ReleaseOutcome, transition } from '../agent-state.ts';
import { AcdError, NoSuchAgentError, NoSuchReservationError } from '../errors.ts';
import {
  type QueuedCall,
  type QueuePolicy,
  type QueuePolicyInput,
  queuePolicySchema,
  type WaitingCallInput,
  waitingCallSchema,
} from '../queue-policy.ts';
import { ChangeHub, type ListenerErrorHandler } from './changes.ts';
import type { AcdStore, ChangeListener, ReserveResult, StoreSnapshot } from './port.ts';

export interface MemoryStoreOptions {
  centerId: string;
  clock: Clock;
  onListenerError?: ListenerErrorHandler;
}

/**
 * The embedded store: one engine process, state in memory. Reservation expiry and the end of
 * wrap-up are driven by the clock (timers), and can be forced with `expireDue(now)`.
 */
export class MemoryAcdStore implements AcdStore {
  readonly centerId: string;
  private readonly clock: Clock;
  private readonly agents = new Map<string, Agent>();
  private readonly calls = new Map<string, QueuedCall>();
  private readonly policies = new Map<string, QueuePolicy>();
  /** callId → agent holding it (reserved or on-call). */
  private readonly holds = new Map<string, string>();
  /** Agents with a deadline (reserved or in wrap-up). */
  private readonly timed = new Set<string>();
  private readonly hub: ChangeHub;
  private closed = false;

  constructor(options: MemoryStoreOptions) {
    this.centerId = options.centerId;
    this.clock = options.clock;
    this.hub = new ChangeHub(options.onListenerError);
  }

  async upsertAgents(definitions: readonly AgentDefinitionInput[]): Promise<void> {
    const parsed = definitions.map((d) => agentDefinitionSchema.parse(d));
    for (const def of parsed) {
      if (def.centerId !== this.centerId) {
        throw new AcdError('invalid-agent', `agent '${def.id}' belongs to center '${def.centerId}'`);
      }
    }
    const now = this.clock.now();
    for (const def of parsed) {
      const current = this.agents.get(def.id);
      this.agents.set(def.id, { ...def, status: current?.status ?? initialStatus(now) });
    }
  }

  async setQueues(policies: readonly QueuePolicyInput[]): Promise<void> {
    for (const p of policies.map((q) => queuePolicySchema.parse(q))) this.policies.set(p.id, p);
  }

  async queues(): Promise<QueuePolicy[]> {
    return [...this.policies.values()];
  }

  async getAgent(agentId: string): Promise<Agent | undefined> {
    return this.agents.get(agentId);
  }

  async listAgents(): Promise<Agent[]> {
    return [...this.agents.values()];
  }

  login(agentId: string, endpoint: string, notReadyReason?: string) {
    return this.event(agentId, {
      type: 'login',
      endpoint,
      ...(notReadyReason !== undefined ? { notReadyReason } : {}),
    });
  }
  ready(agentId: string) {
    return this.event(agentId, { type: 'ready' });
  }
  notReady(agentId: string, reason: string) {
    return this.event(agentId, { type: 'not-ready', reason });
  }
  logout(agentId: string) {
    return this.event(agentId, { type: 'logout' });
  }
  endWrapUp(agentId: string) {
    return this.event(agentId, { type: 'end-wrap-up' });
  }
  setDeviceAvailable(agentId: string, available: boolean) {
    return this.event(agentId, { type: 'device', available });
  }

  private async event(agentId: string, event: AgentEvent): Promise<Agent> {
    return this.apply(agentId, event, this.clock.now());
  }

  /** Applies an event to an agent, stores it and publishes the change; throws the typed error. */
  private apply(agentId: string, event: AgentEvent, now: number, callId?: string): Agent {
    const agent = this.agents.get(agentId);
    if (!agent) throw new NoSuchAgentError(agentId);
    const next = transition(agent, event, now);
    if (next instanceof AcdError) throw next;
    if (next === agent) return agent;
    this.agents.set(agentId, next);
    if (next.status.until !== undefined) this.timed.add(agentId);
    else this.timed.delete(agentId);
    if (event.type !== 'renew') {
      const change = {
        kind: 'agent' as const,
        agentId,
        state: next.status.state,
        previous: agent.status.state,
        cause: event.type,
        at: now,
      };
      const held = callId ?? next.status.callId;
      this.hub.emit(held === undefined ? change : { ...change, callId: held });
    }
    return next;
  }

  async enqueue(input: WaitingCallInput): Promise<QueuedCall> {
    const call = waitingCallSchema.parse(input);
    if (!this.policies.has(call.queueId)) throw new AcdError('no-such-queue', `no queue '${call.queueId}'`);
    if (this.calls.has(call.callId))
      throw new AcdError('duplicate-call', `call '${call.callId}' is already queued`);
    this.calls.set(call.callId, call);
    this.emitCall(call, 'waiting');
    return call;
  }

  async removeCall(callId: string): Promise<QueuedCall | undefined> {
    const call = this.calls.get(callId);
    if (!call) return undefined;
    this.calls.delete(callId);
    this.emitCall(call, 'removed');
    return call;
  }

  async getCall(callId: string): Promise<QueuedCall | undefined> {
    return this.calls.get(callId);
  }

  async markCallback(callId: string, requestedAt: number): Promise<QueuedCall | undefined> {
    const call = this.calls.get(callId);
    if (!call) return undefined;
    const marked: QueuedCall = { ...call, callback: { requestedAt } };
    this.calls.set(callId, marked);
    return marked;
  }

  async snapshot(queueIds?: readonly string[]): Promise<StoreSnapshot> {
    const wanted = queueIds ? new Set(queueIds) : undefined;
    const calls = [...this.calls.values()].filter((c) => !wanted || wanted.has(c.queueId));
    return { agents: [...this.agents.values()], calls };
  }

  async reserve(agentId: string, callId: string, engineId: string, ttlMs: number): Promise<ReserveResult> {
    const agent = this.agents.get(agentId);
    if (!agent) return { ok: false, reason: 'no-such-agent' };
    if (agent.status.state !== 'ready') return { ok: false, reason: 'agent-not-ready' };
    if (!agent.status.deviceAvailable) return { ok: false, reason: 'device-unavailable' };
    const call = this.calls.get(callId);
    if (!call) return { ok: false, reason: 'no-such-call' };
    if (call.offer) return { ok: false, reason: 'call-already-offered' };
    const now = this.clock.now();
    const until = now + ttlMs;
    this.apply(agentId, { type: 'reserve', callId, queueId: call.queueId, engineId, until }, now);
    const offered: QueuedCall = { ...call, offer: { agentId, engineId, until } };
    this.calls.set(callId, offered);
    this.holds.set(callId, agentId);
    this.emitCall(offered, 'offered', agentId);
    this.schedule(ttlMs);
    return { ok: true };
  }

  async renew(callId: string, engineId: string, ttlMs: number): Promise<boolean> {
    const agent = this.holder(callId);
    const { status } = agent ?? {};
    if (!agent || status?.state !== 'reserved' || status.callId !== callId || status.engineId !== engineId) {
      return false;
    }
    const now = this.clock.now();
    const next = this.apply(agent.id, { type: 'renew', engineId, until: now + ttlMs }, now);
    const call = this.calls.get(callId);
    if (call?.offer && next.status.until !== undefined) {
      this.calls.set(callId, { ...call, offer: { ...call.offer, until: next.status.until } });
    }
    this.schedule(ttlMs);
    return true;
  }

  async confirm(callId: string): Promise<Agent> {
    const agent = this.heldIn(callId, 'reserved');
    const next = this.apply(agent.id, { type: 'answer' }, this.clock.now());
    const call = this.calls.get(callId);
    if (call) {
      this.calls.delete(callId);
      this.emitCall(call, 'removed', agent.id);
    }
    return next;
  }

  async release(callId: string, outcome: ReleaseOutcome): Promise<Agent> {
    const agent = this.heldIn(callId, 'reserved');
    const next = this.apply(agent.id, { type: 'release', outcome }, this.clock.now(), callId);
    this.holds.delete(callId);
    this.requeue(callId, agent.id, outcome === 'cancelled');
    return next;
  }

  async complete(callId: string, talkSeconds: number): Promise<Agent> {
    const agent = this.heldIn(callId, 'on-call');
    const wrapUpSeconds = this.policies.get(agent.status.queueId ?? '')?.wrapUpSeconds ?? 0;
    const next = this.apply(
      agent.id,
      { type: 'complete', talkSeconds, wrapUpSeconds },
      this.clock.now(),
      callId,
    );
    this.holds.delete(callId);
    if (wrapUpSeconds > 0) this.schedule(wrapUpSeconds * 1000);
    return next;
  }

  async expireDue(now = this.clock.now()): Promise<number> {
    return this.sweep(now);
  }

  onChange(listener: ChangeListener): () => void {
    return this.hub.add(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private sweep(now: number): number {
    let changed = 0;
    for (const agentId of [...this.timed]) {
      const agent = this.agents.get(agentId);
      if (!agent) continue;
      const event = dueEvent(agent, now);
      if (!event) continue;
      const callId = agent.status.callId;
      this.apply(agentId, event, now, callId);
      changed++;
      if (event.type === 'reservation-expired' && callId !== undefined) {
        this.holds.delete(callId);
        this.requeue(callId, agentId, false);
      }
    }
    return changed;
  }

  /** After an offer ends without an answer: the call waits again, or leaves if cancelled. */
  private requeue(callId: string, agentId: string, cancelled: boolean): void {
    const call = this.calls.get(callId);
    if (!call || call.offer?.agentId !== agentId) return;
    if (cancelled) {
      this.calls.delete(callId);
      this.emitCall(call, 'removed', agentId);
      return;
    }
    const { offer: _o, ...waiting } = call;
    this.calls.set(callId, waiting);
    this.emitCall(waiting, 'waiting');
  }

  private schedule(ms: number): void {
    this.clock.after(ms, () => {
      if (!this.closed) this.sweep(this.clock.now());
    });
  }

  private holder(callId: string): Agent | undefined {
    const agentId = this.holds.get(callId);
    return agentId === undefined ? undefined : this.agents.get(agentId);
  }

  private heldIn(callId: string, state: 'reserved' | 'on-call'): Agent {
    const agent = this.holder(callId);
    if (!agent || agent.status.callId !== callId) throw new NoSuchReservationError(callId);
    if (agent.status.state !== state) {
      throw new NoSuchReservationError(callId, `its agent is ${agent.status.state}, not ${state}`);
    }
    return agent;
  }

  private emitCall(call: QueuedCall, change: 'waiting' | 'offered' | 'removed', agentId?: string): void {
    const base = {
      kind: 'call' as const,
      callId: call.callId,
      queueId: call.queueId,
      change,
      at: this.clock.now(),
    };
    this.hub.emit(agentId === undefined ? base : { ...base, agentId });
  }
}
