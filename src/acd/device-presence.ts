import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../clock.ts';
import type { PresenceChange } from '../telephony/port.ts';
import type { Agent } from './agent.ts';
import type { AcdStore } from './store/port.ts';

export interface DevicePresenceOptions {
  acd: AcdStore;
  clock: Clock;
  logger: Logger;
  /** How long an agent whose phone answered busy is not offered calls (default 30 s). */
  busyHoldMs?: number;
  /**
   * Whether the phone is on a call through the PBX now: a hold that ends while it is goes on for
   * another period, so a busy agent is offered calls again once the device is free.
   */
  inUse?: (endpoint: string) => Promise<boolean>;
}

/**
 * Keeps the agents' `deviceAvailable` in step with their softphones at O(1) per change: an index
 * endpoint → agents (built once, updated from the ACD's change feed on login), so a registration
 * change touches only the agents of that endpoint, never a scan of all agents. An agent whose
 * phone answered busy is held unavailable for a while (it is likely on another call), without
 * being made not-ready.
 */
export class DevicePresence {
  /** Endpoint → the agents using it (roster endpoint, or the one they logged in with). */
  private readonly byEndpoint = new Map<string, Set<string>>();
  private readonly endpointOf = new Map<string, string>();
  /** The last registration state seen per endpoint. */
  private readonly registered = new Map<string, boolean>();
  private readonly busy = new Map<string, TimerHandle>();
  private unsubscribe?: () => void;
  /** Agent updates written (a figure for tests and benchmarks: one per agent per change). */
  writes = 0;

  constructor(private readonly o: DevicePresenceOptions) {}

  async start(): Promise<void> {
    for (const a of await this.o.acd.listAgents()) this.index(a);
    this.unsubscribe = this.o.acd.onChange((c) => {
      if (c.kind === 'agent' && c.cause === 'login') void this.loggedIn(c.agentId);
    });
  }

  stop(): void {
    this.unsubscribe?.();
    for (const t of this.busy.values()) t.cancel();
    this.busy.clear();
  }

  /** Registration changes from the PBX; `full`: every endpoint the PBX knows (at start or after a reconnect). */
  apply(changes: PresenceChange[], full = false): void {
    for (const c of changes) {
      const before = this.registered.get(c.endpoint);
      this.registered.set(c.endpoint, c.online);
      if (!full && before === c.online) continue;
      const agents = this.byEndpoint.get(c.endpoint);
      if (!agents) continue;
      for (const agentId of agents) this.write(agentId, c.online && !this.busy.has(agentId));
    }
  }

  /** The agent's phone answered busy: the ACD marked the device unavailable; it comes back after the hold. */
  heldBusy(agentId: string): void {
    this.busy.get(agentId)?.cancel();
    this.busy.set(
      agentId,
      this.o.clock.after(this.o.busyHoldMs ?? 30_000, () => void this.holdEnds(agentId)),
    );
  }

  private async holdEnds(agentId: string): Promise<void> {
    const endpoint = this.endpointOf.get(agentId);
    if (endpoint !== undefined && this.o.inUse) {
      const inUse = await this.o.inUse(endpoint).catch(() => false);
      if (inUse && this.busy.has(agentId)) return this.heldBusy(agentId);
    }
    if (!this.busy.delete(agentId)) return;
    const online = endpoint === undefined ? true : (this.registered.get(endpoint) ?? true);
    this.write(agentId, online);
  }

  /** The agent's endpoint as indexed (tests). */
  agentsOf(endpoint: string): string[] {
    return [...(this.byEndpoint.get(endpoint) ?? [])];
  }

  private index(a: Agent): void {
    const endpoint = a.status.endpoint ?? a.endpoint;
    const previous = this.endpointOf.get(a.id);
    if (previous === endpoint) return;
    if (previous) this.byEndpoint.get(previous)?.delete(a.id);
    if (!endpoint) {
      this.endpointOf.delete(a.id);
      return;
    }
    this.endpointOf.set(a.id, endpoint);
    const set = this.byEndpoint.get(endpoint) ?? new Set<string>();
    set.add(a.id);
    this.byEndpoint.set(endpoint, set);
  }

  /** One read for the agent who logged in: its endpoint may be new, and its phone's state is known. */
  private async loggedIn(agentId: string): Promise<void> {
    try {
      const a = await this.o.acd.getAgent(agentId);
      if (!a) return;
      this.index(a);
      const endpoint = this.endpointOf.get(agentId);
      const online = endpoint === undefined ? undefined : this.registered.get(endpoint);
      if (online !== undefined && a.status.deviceAvailable !== online) this.write(agentId, online);
    } catch (err) {
      this.o.logger.warn({ agentId, err: (err as Error).message }, 'could not read an agent who logged in');
    }
  }

  private write(agentId: string, available: boolean): void {
    this.writes++;
    this.o.acd
      .setDeviceAvailable(agentId, available)
      .catch((err) =>
        this.o.logger.warn({ agentId, err: (err as Error).message }, 'device state not recorded'),
      );
  }
}
