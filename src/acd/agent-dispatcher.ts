import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../clock.ts';
import { DispatchBoard, type NodeAffinity } from './dispatch-board.ts';
import type { AcdStore } from './store/port.ts';

export interface DispatcherOptions {
  engineId: string;
  store: AcdStore;
  clock: Clock;
  logger: Logger;
  /** How long a reservation lives unless renewed: an engine that dies frees its agents after this. */
  reservationTtlMs?: number;
  /** How often reservations are renewed, expiries run and the whole board is decided again. */
  tickMs?: number;
  /** How often the board is rebuilt from a full snapshot (heals anything missed). */
  rebuildMs?: number;
  /** Several nodes: agents on the call's own node first (see NodeAffinity). */
  affinity?: NodeAffinity;
  /** Tells the call that an agent is reserved for it. */
  offer: (callId: string, agentId: string, endpoint: string) => void;
}

/**
 * Runs the ACD for this engine's calls. A long-lived dispatch board (the pure index of ready
 * agents and waiting calls) is kept up to date from the store's change feed, so each change
 * costs a lookup, not a rebuild: a new waiting call gets the best agent for it, an agent who
 * becomes ready gets the best call for them. Reservations are atomic in the store; one another
 * engine won first is skipped and decided again on the next change.
 */
export class AgentDispatcher {
  private board?: DispatchBoard;
  private readonly dirtyAgents = new Set<string>();
  private readonly dirtyCalls = new Set<string>();
  private scheduled = false;
  private running = false;
  private ticking = false;
  private fullPending = true;
  private ticker?: TimerHandle;
  private lastRebuild = 0;
  private unsubscribe?: () => void;
  /** Calls this engine holds a reservation for, with when it was last (re)newed. */
  private readonly held = new Map<string, number>();
  private stopped = false;
  reservations = 0;
  conflicts = 0;

  constructor(private readonly o: DispatcherOptions) {}

  start(): void {
    this.unsubscribe = this.o.store.onChange((change) => {
      if (change.kind === 'agent') {
        this.dirtyAgents.add(change.agentId);
        if (change.state === 'on-call' && change.callId) this.held.delete(change.callId);
      } else {
        this.dirtyCalls.add(change.callId);
        if (change.change !== 'offered') this.held.delete(change.callId);
      }
      this.schedule();
    });
    this.tick();
    this.schedule();
  }

  /** No round scheduled or running and no upkeep under way (tests driving time wait for this). */
  get idle(): boolean {
    return !this.scheduled && !this.running && !this.ticking;
  }

  /**
   * Rebuilds the board from a full snapshot on the next round: after the store lost its state and
   * agents were restored, changes published while the feed was reconnecting were never received.
   */
  resync(): void {
    this.lastRebuild = Number.NEGATIVE_INFINITY;
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe?.();
    this.ticker?.cancel();
  }

  /**
   * Runs a round once the events already waiting are handled, so a burst of changes (a store
   * operation, a batch of ARI events) is decided in one round rather than one round each.
   */
  private schedule(): void {
    if (this.stopped || this.scheduled || this.running) return;
    this.scheduled = true;
    this.o.clock.defer(() => {
      this.scheduled = false;
      void this.round();
    });
  }

  private tick(): void {
    const ttl = this.o.reservationTtlMs ?? 30_000;
    this.ticker = this.o.clock.after(this.o.tickMs ?? 1_000, () => {
      if (this.stopped) return;
      this.ticking = true;
      void (async () => {
        try {
          const now = this.o.clock.now();
          await this.o.store.expireDue(now);
          // A reservation is renewed once a third of its life has passed, all of them at once
          // (one pipeline on the connection), not one round trip after another every tick.
          const due = [...this.held].filter(([, at]) => now - at >= ttl / 3).map(([callId]) => callId);
          const kept = await Promise.all(
            due.map((callId) => this.o.store.renew(callId, this.o.engineId, ttl)),
          );
          due.forEach((callId, i) => {
            if (!kept[i]) this.held.delete(callId);
            else if (this.held.has(callId)) this.held.set(callId, now);
          });
        } catch (err) {
          this.o.logger.warn({ err: (err as Error).message }, 'ACD upkeep failed; retrying');
        }
        this.fullPending = true;
        this.ticking = false;
        this.tick();
        this.schedule();
      })();
    });
  }

  private async round(): Promise<void> {
    this.running = true;
    try {
      const now = this.o.clock.now();
      if (!this.board || now - this.lastRebuild >= (this.o.rebuildMs ?? 30_000)) await this.rebuild(now);
      const board = this.board!;
      const agents = [...this.dirtyAgents];
      const calls = [...this.dirtyCalls];
      this.dirtyAgents.clear();
      this.dirtyCalls.clear();
      // Read every changed agent and call at once: the store answers them in one pipeline.
      const [agentsNow, callsNow] = await Promise.all([
        Promise.all(agents.map((id) => this.o.store.getAgent(id))),
        Promise.all(calls.map((id) => this.o.store.getCall(id))),
      ]);
      agents.forEach((id, i) => {
        const agent = agentsNow[i];
        if (agent) board.putAgent(agent, now);
        else board.removeAgent(id);
      });
      calls.forEach((id, i) => {
        const call = callsNow[i];
        if (call) board.putCall(call);
        else board.removeCall(id);
      });
      // Each decision takes its agent and call off the board before the store is asked, so the
      // next decision cannot pick them again: the reservations can go out together.
      const reserving: Promise<void>[] = [];
      if (this.fullPending) {
        this.fullPending = false;
        // decide() takes the agents it offers off the board: their endpoints come with the offers.
        for (const offer of board.decide(now).offers) {
          if (offer.engineId === this.o.engineId)
            reserving.push(this.reserve(offer.agentId, offer.callId, offer.endpoint));
          else this.remember(offer.agentId, offer.callId);
        }
      } else {
        for (const id of calls) {
          const call = board.call(id);
          if (!call || call.engineId !== this.o.engineId) continue;
          const pick = board.bestAgentFor(call, now);
          if (pick) reserving.push(this.reserve(pick.agentId, id));
        }
        for (const id of agents) {
          const best = board.bestCallFor(id, now);
          if (best && best.call.engineId === this.o.engineId)
            reserving.push(this.reserve(id, best.call.callId));
        }
      }
      await Promise.all(reserving);
    } catch (err) {
      this.o.logger.error({ err: (err as Error).message }, 'dispatch failed; the board is rebuilt');
      this.board = undefined;
    } finally {
      this.running = false;
      if (this.dirtyAgents.size > 0 || this.dirtyCalls.size > 0) this.schedule();
    }
  }

  private async rebuild(now: number): Promise<void> {
    const [queues, snap] = await Promise.all([this.o.store.queues(), this.o.store.snapshot()]);
    this.board = DispatchBoard.from(queues, snap.agents, snap.calls, now, this.o.affinity);
    this.lastRebuild = now;
    this.fullPending = true;
  }

  /** A decision the board took out for another engine: look again after its next change. */
  private remember(agentId: string, callId: string): void {
    this.dirtyAgents.add(agentId);
    this.dirtyCalls.add(callId);
  }

  private async reserve(agentId: string, callId: string, decidedEndpoint?: string): Promise<void> {
    const board = this.board!;
    const agent = board.agent(agentId);
    const endpoint = decidedEndpoint ?? agent?.status.endpoint ?? agent?.endpoint;
    board.removeAgent(agentId);
    board.removeCall(callId);
    const result = await this.o.store.reserve(
      agentId,
      callId,
      this.o.engineId,
      this.o.reservationTtlMs ?? 30_000,
    );
    if (!result.ok) {
      this.conflicts++;
      this.remember(agentId, callId);
      return;
    }
    this.reservations++;
    this.held.set(callId, this.o.clock.now());
    if (!endpoint) {
      await this.o.store.release(callId, 'failed');
      return;
    }
    this.o.offer(callId, agentId, endpoint);
  }
}
