import type { Redis } from 'ioredis';
import type { Clock, TimerHandle } from '../../clock.ts';
import { openRedis } from '../../redis/connection.ts';
import { type LuaScript, preloadLuaScripts, runLuaScript } from '../../redis/lua-scripts.ts';
import {
  type Agent,
  type AgentDefinitionInput,
  agentDefinitionSchema,
  initialStatus,
  shanghaiDay,
} from '../agent.ts';
import { type AgentEvent, type ReleaseOutcome, transition } from '../agent-state.ts';
import { AcdError, NoSuchAgentError } from '../errors.ts';
import {
  type QueuedCall,
  type QueuePolicy,
  type QueuePolicyInput,
  queuePolicySchema,
  type WaitingCallInput,
  waitingCallSchema,
} from '../queue-policy.ts';
import { ChangeHub, type ListenerErrorHandler } from './changes.ts';
import type {
  AcdChange,
  AcdStore,
  ChangeListener,
  ReserveRefusal,
  ReserveResult,
  StoreSnapshot,
} from './port.ts';
import { agentReply, centerKeys, type KeyName, scripts, toAgent, toCall } from './redis-layout.ts';

/**
 * The shared store: several engine processes share agents and queues of a center in Redis (key
 * layout in redis-layout.ts). Reservation, answer, release, completion and expiry are Lua scripts
 * (lua/<command>-<numKeys>.lua), one round trip each. The other agent events run the pure state
 * machine and write back with a compare-and-set. Every instance runs a sweeper that expires
 * reservations whose engine died and ends due wrap-ups.
 */

export interface RedisStoreOptions {
  centerId: string;
  clock: Clock;
  /** A connection to use (not closed by `close()`); or `url` to let the store open its own. */
  redis?: Redis;
  /**
   * A connection for the change feed's subscription (not closed by `close()`): a subscribed
   * connection runs nothing else. Default: a duplicate of the store's connection, closed by `close()`.
   */
  subscriber?: Redis;
  url?: string;
  /** First part of every key; default `hotline`. Tests use a unique one. */
  keyPrefix?: string;
  /** How often this instance expires due reservations and wrap-ups; 0 disables. Default 250 ms. */
  sweepEveryMs?: number;
  /** Errors of the background sweeper (e.g. Redis unreachable). */
  onError?: (err: unknown) => void;
  onListenerError?: ListenerErrorHandler;
  /** Subscribe to the change feed at `open` (default true). When false, the first `onChange`
   *  subscribes; await `subscribed()` before relying on it. */
  subscribe?: boolean;
}

const CAS_ATTEMPTS = 25;
const SWEEP_BATCH = 500;

export class RedisAcdStore implements AcdStore {
  readonly centerId: string;
  private readonly clock: Clock;
  private readonly redis: Redis;
  private readonly ownsConnection: boolean;
  private readonly keys: Record<KeyName, string>;
  private readonly hub: ChangeHub;
  private subscriber: Redis | undefined;
  private readonly givenSubscriber: Redis | undefined;
  private subscription: Promise<void> | undefined;
  private sweeper: TimerHandle | undefined;
  private readonly sweepEveryMs: number;
  private readonly onError: (err: unknown) => void;
  private closed = false;

  private constructor(options: RedisStoreOptions) {
    this.centerId = options.centerId;
    this.clock = options.clock;
    if (options.redis) {
      this.redis = options.redis;
      this.ownsConnection = false;
    } else {
      this.redis = openRedis(options.url ?? 'redis://127.0.0.1:6379');
      this.ownsConnection = true;
    }
    this.givenSubscriber = options.subscriber;
    this.keys = centerKeys(options.keyPrefix ?? 'hotline', options.centerId);
    this.hub = new ChangeHub(options.onListenerError);
    this.sweepEveryMs = options.sweepEveryMs ?? 250;
    this.onError = options.onError ?? (() => {});
    // Connection errors are reported, never left as unhandled 'error' events; ioredis reconnects.
    if (this.ownsConnection) this.redis.on('error', (err: unknown) => this.onError(err));
    let lost = false;
    this.redis.on('end', () => {
      lost = true;
    });
    this.redis.on('close', () => {
      lost = true;
    });
    this.redis.on('ready', () => {
      if (!lost || this.closed) return;
      lost = false;
      for (const l of [...this.reconnectListeners]) l();
    });
  }

  /** Connects, subscribes to the change feed and starts the sweeper. */
  static async open(options: RedisStoreOptions): Promise<RedisAcdStore> {
    const store = new RedisAcdStore(options);
    try {
      if (options.subscribe !== false) await store.subscribed();
      await preloadLuaScripts(store.redis, scripts);
    } catch (err) {
      await store.close();
      throw err;
    }
    store.scheduleSweep();
    return store;
  }

  private readonly onMessage = (channel: string, message: string) => {
    if (channel === this.keys.changes) this.hub.emit(JSON.parse(message) as AcdChange);
  };

  /** Subscribes to the change feed (once); resolves when changes are being received. */
  subscribed(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (!this.subscription) {
      const subscriber = this.givenSubscriber ?? this.redis.duplicate();
      if (!this.givenSubscriber) subscriber.on('error', (err: unknown) => this.onError(err));
      this.subscriber = subscriber;
      subscriber.on('message', this.onMessage);
      this.subscription = subscriber.subscribe(this.keys.changes).then(() => undefined);
    }
    return this.subscription;
  }

  /**
   * Resolves once the change feed's subscription is live again after a reconnection: the PING
   * goes out on the subscriber after ioredis has subscribed it again, so changes published after
   * this resolves reach the listeners (restored agents must reach every dispatcher).
   */
  async changeFeedReady(): Promise<void> {
    await this.subscribed();
    await this.subscriber?.ping();
  }

  /** Deletes every key of this center (tests and decommissioning). */
  async destroy(): Promise<void> {
    const { changes: _c, ...stored } = this.keys;
    await this.redis.del(...Object.values(stored));
  }

  private run(script: LuaScript, keys: string[], args: (string | number)[]): Promise<unknown> {
    return runLuaScript(this.redis, script, keys, args);
  }

  private scheduleSweep(): void {
    if (this.sweepEveryMs <= 0 || this.closed) return;
    this.sweeper = this.clock.after(this.sweepEveryMs, () => {
      this.expireDue()
        .catch((err: unknown) => this.onError(err))
        .finally(() => this.scheduleSweep());
    });
  }

  async upsertAgents(definitions: readonly AgentDefinitionInput[]): Promise<void> {
    const parsed = definitions.map((d) => agentDefinitionSchema.parse(d));
    for (const def of parsed) {
      if (def.centerId !== this.centerId) {
        throw new AcdError('invalid-agent', `agent '${def.id}' belongs to center '${def.centerId}'`);
      }
    }
    if (parsed.length === 0) return;
    const initial = JSON.stringify(initialStatus(this.clock.now()));
    const tx = this.redis.multi();
    for (const def of parsed) {
      tx.hset(this.keys.roster, def.id, JSON.stringify(def));
      tx.hsetnx(this.keys.agents, def.id, initial);
      // Marks the status as written by a declaration, not by an agent event: a restore after a
      // loss may replace it (restoreAgents). Where the agent already had a status it never matches.
      tx.hsetnx(this.keys.declared, def.id, `d|${initial}`);
    }
    await tx.exec();
  }

  /**
   * The token of the store's current state, made if absent. Redis restarting empty (or flushed)
   * loses it with the rest: a token other than the one seen before means the state was lost.
   */
  async epoch(): Promise<string> {
    const token = `${this.clock.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
    const out = await this.redis.multi().set(this.keys.epoch, token, 'NX').get(this.keys.epoch).exec();
    const current = out?.[1]?.[1];
    if (typeof current !== 'string')
      throw new AcdError('store-conflict', 'the store epoch could not be read');
    return current;
  }

  /**
   * Agents (all of them without `ids`) read at once with the store's epoch token (null when
   * absent), so a reader can tell a state read after a loss from one read before it. An agent
   * whose status only a roster declaration wrote (no event since) is left out: it says nothing.
   */
  async agentsInEpoch(ids?: readonly string[]): Promise<{ epoch: string | null; agents: Agent[] }> {
    const tx = this.redis.multi().get(this.keys.epoch);
    if (ids === undefined) tx.hgetall(this.keys.roster).hgetall(this.keys.agents).hgetall(this.keys.declared);
    else if (ids.length > 0)
      tx.hmget(this.keys.roster, ...ids)
        .hmget(this.keys.agents, ...ids)
        .hmget(this.keys.declared, ...ids);
    const out = await tx.exec();
    const epoch = (out?.[0]?.[1] as string | null | undefined) ?? null;
    const agents: Agent[] = [];
    const take = (def: unknown, status: unknown, mark: unknown) => {
      if (typeof def !== 'string' || typeof status !== 'string') return;
      if (mark === `d|${status}`) return;
      agents.push(toAgent(def, status));
    };
    if (ids === undefined) {
      const [roster, statuses, marks] = [1, 2, 3].map((i) => (out?.[i]?.[1] ?? {}) as Record<string, string>);
      for (const [id, def] of Object.entries(roster!)) take(def, statuses![id], marks![id]);
    } else if (ids.length > 0) {
      const [defs, statuses, marks] = [1, 2, 3].map((i) => (out?.[i]?.[1] ?? []) as (string | null)[]);
      for (let i = 0; i < ids.length; i++) take(defs![i], statuses![i], marks![i]);
    }
    return { epoch, agents };
  }

  /**
   * Puts agents' last known states back after the store lost them (lua/restore-5.lua): written
   * only where the agent has no status, or still the one a roster declaration wrote, or one an
   * earlier restore wrote that is older; never over a state an agent event wrote since. Each
   * agent changed is published (cause `restore`). Returns how many were written.
   */
  async restoreAgents(agents: readonly Agent[]): Promise<number> {
    let total = 0;
    for (let i = 0; i < agents.length; i += SWEEP_BATCH) {
      const args: (string | number)[] = [this.keys.changes, this.clock.now()];
      for (const { status, ...def } of agents.slice(i, i + SWEEP_BATCH)) {
        if (def.centerId !== this.centerId) continue;
        args.push(def.id, JSON.stringify(def), JSON.stringify(status));
      }
      const keys = [
        this.keys.agents,
        this.keys.roster,
        this.keys.holds,
        this.keys.deadlines,
        this.keys.declared,
      ];
      total += Number(await this.run(scripts.restore, keys, args));
    }
    return total;
  }

  async setQueues(policies: readonly QueuePolicyInput[]): Promise<void> {
    const parsed = policies.map((p) => queuePolicySchema.parse(p));
    if (parsed.length === 0) return;
    await this.redis.hset(this.keys.queues, ...parsed.flatMap((p) => [p.id, JSON.stringify(p)]));
  }

  async queues(): Promise<QueuePolicy[]> {
    const all = await this.redis.hgetall(this.keys.queues);
    return Object.values(all).map((raw) => JSON.parse(raw) as QueuePolicy);
  }

  async getAgent(agentId: string): Promise<Agent | undefined> {
    return (await this.read(agentId))?.agent;
  }

  private async read(agentId: string): Promise<{ agent: Agent; raw: string } | undefined> {
    const out = await this.redis
      .multi()
      .hget(this.keys.roster, agentId)
      .hget(this.keys.agents, agentId)
      .exec();
    const def = out?.[0]?.[1];
    const raw = out?.[1]?.[1];
    if (typeof def !== 'string' || typeof raw !== 'string') return undefined;
    return { agent: toAgent(def, raw), raw };
  }

  async listAgents(): Promise<Agent[]> {
    return (await this.snapshot([])).agents;
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

  /** Runs the pure state machine on the stored status and writes it back if nobody changed it. */
  private async event(agentId: string, event: AgentEvent): Promise<Agent> {
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      const current = await this.read(agentId);
      if (!current) throw new NoSuchAgentError(agentId);
      const now = this.clock.now();
      const next = transition(current.agent, event, now);
      if (next instanceof AcdError) throw next;
      if (next === current.agent) return next;
      const change: AcdChange = {
        kind: 'agent',
        agentId,
        state: next.status.state,
        previous: current.agent.status.state,
        cause: event.type,
        at: now,
      };
      if (next.status.callId !== undefined) change.callId = next.status.callId;
      const args = [
        agentId,
        current.raw,
        JSON.stringify(next.status),
        this.keys.changes,
        JSON.stringify(change),
      ];
      if ((await this.run(scripts.cas, [this.keys.agents], args)) === 1) return next;
    }
    throw new AcdError(
      'store-conflict',
      `agent '${agentId}' kept changing; event '${event.type}' not applied`,
    );
  }

  async enqueue(input: WaitingCallInput): Promise<QueuedCall> {
    const call = waitingCallSchema.parse(input);
    const out = await this.run(
      scripts.enqueue,
      [this.keys.calls, this.keys.queues],
      [call.callId, JSON.stringify(call), call.queueId, this.clock.now(), this.keys.changes],
    );
    if (out === 'no-such-queue') throw new AcdError('no-such-queue', `no queue '${call.queueId}'`);
    if (out === 'duplicate-call')
      throw new AcdError('duplicate-call', `call '${call.callId}' is already queued`);
    return call;
  }

  async removeCall(callId: string): Promise<QueuedCall | undefined> {
    const raw = await this.run(
      scripts.remove,
      [this.keys.calls],
      [callId, this.clock.now(), this.keys.changes],
    );
    return typeof raw === 'string' ? toCall(raw) : undefined;
  }

  async markCallback(callId: string, requestedAt: number): Promise<QueuedCall | undefined> {
    const raw = await this.run(scripts.markCallback, [this.keys.calls], [callId, requestedAt]);
    return typeof raw === 'string' ? toCall(raw) : undefined;
  }

  async getCall(callId: string): Promise<QueuedCall | undefined> {
    const raw = await this.redis.hget(this.keys.calls, callId);
    return raw === null ? undefined : toCall(raw);
  }

  async snapshot(queueIds?: readonly string[]): Promise<StoreSnapshot> {
    const out = await this.redis
      .multi()
      .hgetall(this.keys.roster)
      .hgetall(this.keys.agents)
      .hgetall(this.keys.calls)
      .exec();
    const roster = (out?.[0]?.[1] ?? {}) as Record<string, string>;
    const statuses = (out?.[1]?.[1] ?? {}) as Record<string, string>;
    const rawCalls = (out?.[2]?.[1] ?? {}) as Record<string, string>;
    const agents: Agent[] = [];
    for (const [id, def] of Object.entries(roster)) {
      const status = statuses[id];
      if (status !== undefined) agents.push(toAgent(def, status));
    }
    const wanted = queueIds ? new Set(queueIds) : undefined;
    const calls: QueuedCall[] = [];
    for (const raw of Object.values(rawCalls)) {
      const call = toCall(raw);
      if (!wanted || wanted.has(call.queueId)) calls.push(call);
    }
    return { agents, calls };
  }

  async reserve(agentId: string, callId: string, engineId: string, ttlMs: number): Promise<ReserveResult> {
    const out = await this.run(
      scripts.reserve,
      [this.keys.agents, this.keys.calls, this.keys.holds, this.keys.deadlines],
      [agentId, callId, engineId, this.clock.now(), Math.max(1, Math.round(ttlMs)), this.keys.changes],
    );
    return out === 'ok' ? { ok: true } : { ok: false, reason: out as ReserveRefusal };
  }

  async renew(callId: string, engineId: string, ttlMs: number): Promise<boolean> {
    const out = await this.run(
      scripts.renew,
      [this.keys.agents, this.keys.calls, this.keys.holds, this.keys.deadlines],
      [callId, engineId, this.clock.now(), Math.max(1, Math.round(ttlMs))],
    );
    return out === 1;
  }

  async confirm(callId: string): Promise<Agent> {
    const now = this.clock.now();
    const out = await this.run(
      scripts.confirm,
      [this.keys.agents, this.keys.calls, this.keys.holds, this.keys.deadlines, this.keys.roster],
      [callId, now, shanghaiDay(now), this.keys.changes],
    );
    return agentReply(callId, out);
  }

  async release(callId: string, outcome: ReleaseOutcome): Promise<Agent> {
    const out = await this.run(
      scripts.release,
      [this.keys.agents, this.keys.calls, this.keys.holds, this.keys.deadlines, this.keys.roster],
      [callId, outcome, this.clock.now(), this.keys.changes],
    );
    return agentReply(callId, out);
  }

  async complete(callId: string, talkSeconds: number): Promise<Agent> {
    const now = this.clock.now();
    const out = await this.run(
      scripts.complete,
      [this.keys.agents, this.keys.holds, this.keys.deadlines, this.keys.roster, this.keys.queues],
      [callId, talkSeconds, now, shanghaiDay(now), this.keys.changes],
    );
    return agentReply(callId, out);
  }

  async expireDue(now = this.clock.now()): Promise<number> {
    let total = 0;
    for (;;) {
      const changed = Number(
        await this.run(
          scripts.expire,
          [this.keys.agents, this.keys.calls, this.keys.holds, this.keys.deadlines],
          [now, this.keys.changes, SWEEP_BATCH],
        ),
      );
      total += changed;
      if (changed < SWEEP_BATCH) return total;
    }
  }

  private readonly reconnectListeners: (() => void)[] = [];

  onReconnect(listener: () => void): () => void {
    this.reconnectListeners.push(listener);
    return () => {
      const i = this.reconnectListeners.indexOf(listener);
      if (i >= 0) this.reconnectListeners.splice(i, 1);
    };
  }

  onChange(listener: ChangeListener): () => void {
    const remove = this.hub.add(listener);
    this.subscribed().catch((err: unknown) => this.onError(err));
    return remove;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.sweeper?.cancel();
    const quits: Promise<unknown>[] = [];
    // A given subscriber is its owner's to close; the store only stops listening to it.
    if (this.givenSubscriber) this.givenSubscriber.off('message', this.onMessage);
    else if (this.subscriber) quits.push(this.subscriber.quit().catch(() => this.subscriber?.disconnect()));
    if (this.ownsConnection) quits.push(this.redis.quit().catch(() => this.redis.disconnect()));
    await Promise.all(quits);
  }
}
