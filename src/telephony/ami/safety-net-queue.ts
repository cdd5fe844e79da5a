import type { AmiMessage } from 'asterisk-manager';
import type { Logger } from 'pino';
import type { Agent } from '../../acd/agent.ts';
import type { AcdStore } from '../../acd/store/port.ts';
import { remoteAgentEndpoint } from '../nodes.ts';
import { type AmiClient, AmiError } from './ami-client.ts';

/** The app_queue queue of the dialplan's safety net (queues.conf, extensions.conf [hotline-fallback]). */
export const SAFETY_NET_QUEUE = 'hotline-safety-net';

/** What the safety-net queue should hold for one agent. */
export interface SafetyNetMember {
  /**
   * What app_queue dials (its Interface / Location): the agent's endpoint, e.g. `PJSIP/agent1001`,
   * or, on a node the phone is not registered on, the inter-node trunk toward one it is
   * registered on, `PJSIP/agent1001@node-b`.
   */
  interface: string;
  /**
   * Whose device state app_queue takes for the member's (StateInterface); absent: the interface's.
   * For a member through the trunk, the trunk (`PJSIP/node-b`): unavailable while node b does
   * not answer its OPTIONS, else available.
   */
  stateInterface?: string;
  /** The agent id (app_queue's MemberName). */
  name: string;
  paused: boolean;
  /** Why it is paused (the agent's state), empty when not paused. */
  reason: string;
}

/**
 * The member an agent should be: none when logged out (or without an endpoint), paused unless
 * ready. The pause reason is the not-ready reason, or `busy` from an offer to the end of its
 * wrap-up: one reason for every step of a call, so that a call costs each node's queue one pause
 * and one unpause (QueuePause goes to every node), not one action per step.
 */
export function memberOf(agent: Agent): SafetyNetMember | undefined {
  const state = agent.status.state;
  const endpoint = agent.status.endpoint ?? agent.endpoint;
  if (state === 'logged-out' || !endpoint) return undefined;
  const member = { interface: endpoint, name: agent.id };
  if (state === 'ready') return { ...member, paused: false, reason: '' };
  return { ...member, paused: true, reason: pauseReason(agent).slice(0, 80) };
}

function pauseReason(agent: Agent): string {
  if (agent.status.state !== 'not-ready') return 'busy';
  const why = agent.status.notReadyReason;
  return why ? `not-ready: ${why}` : 'not-ready';
}

/** The nodes an endpoint's phone is registered on now (undefined: not known). */
export type LocateEndpoint = (endpoint: string) => ReadonlySet<string> | undefined;

/**
 * The member an agent should be in node `node`'s queue: its own endpoint when the phone is
 * registered on that node, or where it is registered is not known; else the inter-node trunk
 * toward the first node it is registered on (`PJSIP/agent1001@node-b`, as the engine dials it),
 * with that trunk's device state (the agent's own is not known on this node).
 */
export function memberOnNode(
  agent: Agent,
  node: string,
  locate: LocateEndpoint,
): SafetyNetMember | undefined {
  const member = memberOf(agent);
  if (!member) return undefined;
  const dial = remoteAgentEndpoint(member.interface, node, locate(member.interface));
  if (dial === member.interface) return member;
  const trunk = dial.slice(dial.lastIndexOf('@') + 1);
  return { ...member, interface: dial, stateInterface: `PJSIP/${trunk}` };
}

/** Whether two members dial, and take the device state of, the same interfaces. */
function sameInterfaces(a: SafetyNetMember, b: SafetyNetMember): boolean {
  return (
    a.interface === b.interface && (a.stateInterface ?? a.interface) === (b.stateInterface ?? b.interface)
  );
}

/** A member reached through an inter-node trunk (its device state is the trunk's). */
const throughTrunk = (m: SafetyNetMember) =>
  m.stateInterface !== undefined && m.stateInterface !== m.interface;

export interface SafetyNetQueueOptions {
  ami: AmiClient;
  store: Pick<AcdStore, 'onChange' | 'getAgent' | 'listAgents'>;
  logger: Logger;
  /** The queue's name (default `hotline-safety-net`). */
  queue?: string;
  /**
   * Several engines on one node: only the keeper (see redis/keeper-lease.ts) sends AMI actions,
   * the others stand by until `setKeeper(true)`. Default: this engine keeps the queue.
   */
  keeper?: boolean;
  /**
   * Several nodes: this queue's node and where phones are registered (telephony/node-presence.ts).
   * An agent registered only on other nodes is then a member through the inter-node trunk
   * (`memberOnNode`); without them every member is the agent's own endpoint (`memberOf`).
   */
  node?: { name: string; locate: LocateEndpoint };
}

const truthy = (v: unknown) => ['1', 'true', 'yes'].includes(String(v ?? '').toLowerCase());

/**
 * Keeps the safety-net queue's members equal to the agents logged in (paused unless ready), over
 * AMI: QueueAdd on login, QueuePause on each state change, QueueRemove on logout, and a full
 * comparison (QueueStatus, then the difference) after every (re)connection to AMI. Fed by the ACD
 * store's change feed, which it only reads. With several nodes, one per node: an agent whose
 * phone is registered elsewhere is a member through the inter-node trunk, and a registration that
 * moves (`registrationsMoved`) replaces the member (QueueRemove, QueueAdd). While the engine runs,
 * nobody calls this queue; it matters when the engine is down and calls fall to the dialplan's
 * safety net.
 */
export class SafetyNetQueue {
  private readonly queue: string;
  /** What the queue is believed to hold, by agent id. */
  private readonly known = new Map<string, SafetyNetMember>();
  private readonly dirty = new Set<string>();
  /** The endpoint of each agent who should be a member (to find whom a registration moves). */
  private readonly endpoints = new Map<string, string>();
  private fullSync = false;
  private running?: Promise<void>;
  private unsubscribe?: () => void;
  private stopped = false;
  private keeper: boolean;
  /** Actions AMI refused (not transport failures). */
  refused = 0;

  constructor(private readonly o: SafetyNetQueueOptions) {
    this.queue = o.queue ?? SAFETY_NET_QUEUE;
    this.keeper = o.keeper ?? true;
  }

  /** Whether this engine keeps the queue now. */
  get keeping(): boolean {
    return this.keeper;
  }

  /**
   * Becomes the queue's keeper (a full comparison first: changes seen while standing by were not
   * applied) or stands by (changes are no longer sent; the keeper sends them).
   */
  setKeeper(keeper: boolean): void {
    if (keeper === this.keeper) return;
    this.keeper = keeper;
    this.dirty.clear();
    if (!keeper) return;
    this.o.logger.info({ queue: this.queue }, 'safety-net queue: this engine keeps it now');
    if (this.o.ami.connected) {
      this.fullSync = true;
      this.kick();
    }
  }

  /** Subscribes to the change feed and to AMI (re)connections; call before the AMI client starts. */
  start(): void {
    this.unsubscribe = this.o.store.onChange((c) => {
      if (c.kind !== 'agent' || !this.keeper) return;
      this.dirty.add(c.agentId);
      this.kick();
    });
    this.o.ami.onConnected(() => {
      if (!this.keeper) return;
      this.fullSync = true;
      this.kick();
    });
    if (this.o.ami.connected && this.keeper) {
      this.fullSync = true;
      this.kick();
    }
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe?.();
  }

  /**
   * Phones registered on other nodes than before (telephony/node-presence.ts): the members of
   * their agents are compared again (a member through the trunk becomes the local endpoint, or
   * the other way round, or moves to another trunk).
   */
  registrationsMoved(endpoints: Iterable<string>): void {
    if (!this.keeper || !this.o.node) return;
    const moved = new Set(endpoints);
    for (const [agentId, endpoint] of this.endpoints) if (moved.has(endpoint)) this.dirty.add(agentId);
    if (this.dirty.size > 0) this.kick();
  }

  /** The member an agent should be on this queue's node (see `memberOnNode`). */
  private wantedOf(agent: Agent): SafetyNetMember | undefined {
    const endpoint = agent.status.endpoint ?? agent.endpoint;
    const member = this.o.node ? memberOnNode(agent, this.o.node.name, this.o.node.locate) : memberOf(agent);
    if (member && endpoint) this.endpoints.set(agent.id, endpoint);
    else this.endpoints.delete(agent.id);
    return member;
  }

  /** Resolves once every change seen so far has been applied (or failed). */
  async settled(): Promise<void> {
    while (this.running) await this.running;
  }

  private kick(): void {
    if (this.running || this.stopped || !this.keeper) return;
    this.running = this.drain().finally(() => {
      this.running = undefined;
      if (this.fullSync || this.dirty.size > 0) this.kick();
    });
  }

  private async drain(): Promise<void> {
    while (!this.stopped && this.keeper && (this.fullSync || this.dirty.size > 0)) {
      if (!this.o.ami.connected) {
        // Nothing can be sent; the next connection compares everything anyway.
        this.dirty.clear();
        this.fullSync = false;
        return;
      }
      try {
        if (this.fullSync) {
          this.fullSync = false;
          this.dirty.clear();
          await this.syncAll();
          continue;
        }
        const ids = [...this.dirty];
        this.dirty.clear();
        for (const id of ids) {
          const agent = await this.o.store.getAgent(id);
          if (!agent) this.endpoints.delete(id);
          await this.apply(id, agent ? this.wantedOf(agent) : undefined);
        }
      } catch (err) {
        if (err instanceof AmiError && err.transport) {
          // AMI went away: the reconnection's full comparison puts things right.
          this.o.logger.debug({ err: err.message }, 'safety-net queue: AMI unavailable');
          continue;
        }
        this.o.logger.warn({ err: (err as Error).message }, 'safety-net queue: could not update the members');
      }
    }
  }

  /** Reads the queue's members, then adds, removes and (un)pauses the difference. */
  private async syncAll(): Promise<void> {
    const items = await this.o.ami.list({ action: 'QueueStatus', queue: this.queue }, 'QueueStatusComplete');
    const present = new Map<string, SafetyNetMember & { dynamic: boolean }>();
    for (const m of items) {
      if (String(m.event ?? '').toLowerCase() !== 'queuemember') continue;
      if (String(m.queue ?? '') !== this.queue) continue;
      const member = memberFromEvent(m);
      if (member) present.set(member.name, member);
    }
    const agents = await this.o.store.listAgents();
    const wanted = new Map<string, SafetyNetMember>();
    this.endpoints.clear();
    for (const a of agents) {
      const m = this.wantedOf(a);
      if (m) wanted.set(a.id, m);
    }
    this.known.clear();
    for (const [name, m] of present) this.known.set(name, m);
    let changed = 0;
    for (const [name, m] of present) {
      if (wanted.has(name)) continue;
      if (!m.dynamic) {
        this.o.logger.warn(
          { member: m.interface },
          'safety-net queue: a static member (queues.conf) that the engine cannot remove',
        );
        this.known.delete(name);
        continue;
      }
      await this.apply(name, undefined);
      changed++;
    }
    for (const [id, m] of wanted) {
      const k = this.known.get(id);
      if (k && sameInterfaces(k, m) && k.paused === m.paused) {
        // QueueStatus does not say whether a member is rung in use: said again.
        if (throughTrunk(m)) await this.ringInUse(m);
        continue;
      }
      await this.apply(id, m);
      changed++;
    }
    this.o.logger.info(
      { queue: this.queue, members: wanted.size, changed },
      'safety-net queue synchronised with the logged-in agents',
    );
  }

  /** Brings one agent's membership from what is known to `want`. */
  private async apply(agentId: string, want: SafetyNetMember | undefined, again = true): Promise<void> {
    const have = this.known.get(agentId);
    if (have && (!want || !sameInterfaces(want, have))) {
      await this.tolerate(
        { action: 'QueueRemove', queue: this.queue, interface: have.interface },
        /not there/i,
      );
      this.known.delete(agentId);
    }
    if (!want) return;
    const now = this.known.get(agentId);
    if (!now) {
      const added = await this.tolerate(
        {
          action: 'QueueAdd',
          queue: this.queue,
          interface: want.interface,
          membername: want.name,
          ...(want.stateInterface ? { stateinterface: want.stateInterface } : {}),
          paused: want.paused ? 'true' : 'false',
          ...(want.paused ? { reason: want.reason } : {}),
        },
        /already there/i,
      );
      if (throughTrunk(want)) await this.ringInUse(want);
      // Already a member (added before this engine knew it): its pause is set below.
      if (added) {
        this.known.set(agentId, { ...want });
        return;
      }
    } else if (now.paused === want.paused && now.reason === want.reason) return;
    try {
      await this.o.ami.action({
        action: 'QueuePause',
        queue: this.queue,
        interface: want.interface,
        paused: want.paused ? 'true' : 'false',
        ...(want.paused ? { reason: want.reason } : {}),
      });
    } catch (err) {
      // Removed behind the engine's back (`queue remove member`, a reload): add it again, once.
      if (!(err instanceof AmiError) || err.transport || !/not found/i.test(err.message) || !again) {
        if (err instanceof AmiError && !err.transport) this.refused++;
        throw err;
      }
      this.known.delete(agentId);
      return this.apply(agentId, want, false);
    }
    this.known.set(agentId, { ...want });
  }

  /**
   * A member through the trunk is rung although the trunk's state is in use: that is any call
   * between the two nodes, not the agent's (the queue's `ringinuse = no` would hold every such
   * member back while one of them talks).
   */
  private async ringInUse(m: SafetyNetMember): Promise<void> {
    await this.tolerate(
      { action: 'QueueMemberRingInUse', queue: this.queue, interface: m.interface, ringinuse: 'yes' },
      /^$/,
    );
  }

  /** Sends an action; an answer matching `harmless` (the member already is / is not there) is false. */
  private async tolerate(fields: Record<string, string>, harmless: RegExp): Promise<boolean> {
    try {
      await this.o.ami.action(fields);
      return true;
    } catch (err) {
      if (err instanceof AmiError && !err.transport && harmless.test(err.message)) return false;
      if (err instanceof AmiError && !err.transport) this.refused++;
      throw err;
    }
  }
}

/** A QueueMember event of QueueStatus (Asterisk names the fields Name/Location; newer events MemberName/Interface). */
function memberFromEvent(m: AmiMessage): (SafetyNetMember & { dynamic: boolean }) | undefined {
  const iface = String(m.location ?? m.interface ?? '');
  if (!iface) return undefined;
  const name = String(m.name ?? m.membername ?? '') || iface;
  const state = String(m.stateinterface ?? '');
  return {
    interface: iface,
    ...(state && state !== iface ? { stateInterface: state } : {}),
    name,
    paused: truthy(m.paused),
    reason: String(m.pausedreason ?? ''),
    dynamic: String(m.membership ?? 'dynamic').toLowerCase() !== 'static',
  };
}
