import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../clock.ts';
import type { Agent } from './agent.ts';
import { transition } from './agent-state.ts';
import { AcdError } from './errors.ts';
import type { QueuePolicy } from './queue-policy.ts';
import type { ChangeListener } from './store/port.ts';

/**
 * Agents survive a shared store that restarts empty (Redis keeps nothing on disk here).
 *
 * Design: every engine process keeps a mirror of the agents' last known states (roster entry and
 * status), fed by the store's change feed: each agent change is read back from the store together
 * with the store's epoch, a token kept in the store and made anew once the store lost its state.
 * A read made in another epoch than the one the mirror knows is never taken into the mirror, so
 * the mirror cannot learn the empty state it is meant to repair. The engine compares the epoch
 * with the one it knows periodically and whenever the connection comes back; on a change it
 * declares the queues and roster again, restores the agents from its mirror, then puts its
 * waiting calls back.
 *
 * Why a mirror in each engine rather than something else: persistence (AOF) is an operator's
 * choice this deployment does not make, and a copy elsewhere in Redis dies with it. Every engine
 * already follows the feed; with several engines each holds a full copy, so one surviving engine
 * is enough. Cost: one read (one MULTI) per event-loop turn for the agents changed in it, one
 * epoch check per second; a flush while connected is found within a check interval, a restart as
 * soon as the connection is back.
 *
 * Several engines restoring at once is safe: the store's restore is atomic (one Lua script) and
 * writes an agent's status only where it is absent, or still the one a roster declaration wrote,
 * or one an earlier restore wrote that is older (entered earlier); a state an agent event wrote
 * since the loss always stays. Never offering an agent who is on a call: a reserved or on-call
 * agent is restored only by the engine holding the call (`engineId`), as it was if the call is
 * still live there, else as after the call's end (ready, wrap-up or the pending not-ready). An
 * agent held by an engine that died with Redis is left logged out (they log in again).
 */

/** What the recovery needs of the store (the Redis store has it; the memory store never loses state). */
export interface RecoverableStore {
  /** The token of the store's current state, made if absent. */
  epoch(): Promise<string>;
  /** Agents (all without `ids`) read at once with the epoch token (null if absent). */
  agentsInEpoch(ids?: readonly string[]): Promise<{ epoch: string | null; agents: Agent[] }>;
  /** Writes back agents' states where no agent event wrote a newer one since the loss. */
  restoreAgents(agents: readonly Agent[]): Promise<number>;
  queues(): Promise<QueuePolicy[]>;
  /** Resolves once changes published from now on reach the listeners (after a reconnection). */
  changeFeedReady?(): Promise<void>;
  onChange(listener: ChangeListener): () => void;
  onReconnect?(listener: () => void): () => void;
}

export interface AgentRecoveryOptions {
  store: RecoverableStore;
  /** This engine: it restores the agents reserved for or on its calls. */
  engineId: string;
  clock: Clock;
  logger: Logger;
  /** Whether this engine's call `callId` is still live with `agentId` offered to or talking on it. */
  callLive(callId: string, agentId: string): boolean;
  /** Declares the queues and the roster again (before agents are restored). */
  redeclare(): Promise<void>;
  /** Puts this engine's waiting calls back in their queues; returns how many. */
  requeue(): Promise<number>;
  /** After agents were restored (e.g. the dispatcher rebuilds its board: changes may have been missed). */
  onRestored?: () => void;
  /** How often the store's epoch is checked (default 1 s). */
  checkEveryMs?: number;
}

export class AgentRecovery {
  private readonly mirror = new Map<string, Agent>();
  private known: string | undefined;
  private readonly dirty = new Set<string>();
  private scheduled = false;
  private reading = false;
  private checking: Promise<void> | undefined;
  private again = false;
  private redeclareAsked = false;
  private timer: TimerHandle | undefined;
  private readonly unsubscribe: (() => void)[] = [];
  private stopped = false;
  /** How many times the store was found to have lost its state and agents were restored. */
  recoveries = 0;

  constructor(private readonly o: AgentRecoveryOptions) {}

  /** Learns the store's epoch and agents, then follows the change feed and checks periodically. */
  async start(): Promise<void> {
    const { store } = this.o;
    this.unsubscribe.push(
      store.onChange((change) => {
        if (change.kind !== 'agent') return;
        this.dirty.add(change.agentId);
        this.schedule();
      }),
    );
    this.known = await store.epoch();
    await this.seed();
    const off = store.onReconnect?.(() => void this.check(true));
    if (off) this.unsubscribe.push(off);
    this.tick();
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    for (const off of this.unsubscribe.splice(0)) off();
  }

  /** No read or check under way (tests driving time wait for this). */
  get idle(): boolean {
    return !this.scheduled && !this.reading && this.checking === undefined;
  }

  /** The last known state of an agent. */
  agent(agentId: string): Agent | undefined {
    return this.mirror.get(agentId);
  }

  /**
   * Compares the store's epoch with the known one; if the store lost its state, declares queues
   * and roster again, restores the agents and puts the waiting calls back. `redeclare` does the
   * declarations and the requeue even when nothing was lost (the connection came back).
   */
  check(redeclare = false): Promise<void> {
    this.redeclareAsked ||= redeclare;
    if (this.checking) {
      this.again = true;
      return this.checking;
    }
    const run = async () => {
      try {
        do {
          this.again = false;
          const force = this.redeclareAsked;
          this.redeclareAsked = false;
          await this.checkOnce(force);
        } while (this.again && !this.stopped);
      } catch (err) {
        this.o.logger.error(
          { err: (err as Error).message },
          'ACD store: agents could not be restored; retrying',
        );
      } finally {
        this.checking = undefined;
      }
    };
    this.checking = run();
    return this.checking;
  }

  private async checkOnce(redeclare: boolean): Promise<void> {
    if (this.stopped) return;
    const { store } = this.o;
    const epoch = await store.epoch();
    const lost = epoch !== this.known;
    if (!lost && !redeclare) return;
    await this.o.redeclare();
    let restored = 0;
    if (lost) {
      await store.changeFeedReady?.();
      restored = await store.restoreAgents(this.restorable(this.o.clock.now(), await store.queues()));
      this.known = epoch;
      this.recoveries++;
      await this.seed();
      this.o.onRestored?.();
    }
    const requeued = await this.o.requeue();
    this.o.logger.warn(
      { lost, restored, requeued },
      lost
        ? 'ACD store lost its state: queues, roster, agents and waiting calls restored'
        : 'ACD store reconnected: queues, roster and waiting calls declared again',
    );
  }

  /** The mirror's agents to write back; reserved and on-call ones as the module comment says. */
  private restorable(now: number, queues: QueuePolicy[]): Agent[] {
    const wrapUp = new Map(queues.map((q) => [q.id, q.wrapUpSeconds]));
    const out: Agent[] = [];
    for (const agent of this.mirror.values()) {
      const { state, callId, engineId, queueId } = agent.status;
      if (state !== 'reserved' && state !== 'on-call') {
        out.push(agent);
        continue;
      }
      if (engineId !== this.o.engineId || callId === undefined) continue;
      if (this.o.callLive(callId, agent.id)) {
        out.push(agent);
        continue;
      }
      const next =
        state === 'reserved'
          ? transition(agent, { type: 'release', outcome: 'failed' }, now)
          : transition(
              agent,
              { type: 'complete', talkSeconds: 0, wrapUpSeconds: wrapUp.get(queueId ?? '') ?? 0 },
              now,
            );
      if (!(next instanceof AcdError)) out.push(next);
    }
    return out;
  }

  /** Takes every agent the store holds into the mirror, if read in the known epoch. */
  private async seed(): Promise<void> {
    const { epoch, agents } = await this.o.store.agentsInEpoch();
    if (epoch !== this.known) return;
    for (const a of agents) this.mirror.set(a.id, a);
  }

  private schedule(): void {
    if (this.stopped || this.scheduled || this.reading) return;
    this.scheduled = true;
    this.o.clock.defer(() => {
      this.scheduled = false;
      void this.read();
    });
  }

  /** Reads the agents that changed (one round trip) into the mirror. */
  private async read(): Promise<void> {
    const ids = [...this.dirty];
    this.dirty.clear();
    if (ids.length === 0) return;
    this.reading = true;
    let failed = false;
    try {
      const { epoch, agents } = await this.o.store.agentsInEpoch(ids);
      if (epoch === this.known) for (const a of agents) this.mirror.set(a.id, a);
      else void this.check();
    } catch {
      // Redis unreachable: read them again on the next tick.
      failed = true;
      for (const id of ids) this.dirty.add(id);
    } finally {
      this.reading = false;
      if (!failed && this.dirty.size > 0) this.schedule();
    }
  }

  private tick(): void {
    if (this.stopped) return;
    this.timer = this.o.clock.after(this.o.checkEveryMs ?? 1_000, () => {
      void this.check().finally(() => {
        if (this.dirty.size > 0) this.schedule();
        this.tick();
      });
    });
  }
}
