import type { TimerHandle } from '../../clock.ts';
import { nodeOfId, remoteAgentEndpoint } from '../nodes.ts';
import {
  type DialplanTarget,
  type OriginateRequest,
  type OwnedResources,
  type PbxListing,
  TelephonyError,
  type TelephonyEvent,
  type TelephonyListener,
  type TelephonyLoad,
  type TelephonyPort,
} from '../port.ts';
import type { SnoopPort, SnoopRequest } from '../snoop-port.ts';
import { AriAdapter, type AriAdapterOptions, AriLoginError } from './ari-adapter.ts';
import type { AttemptCounts } from './attempt-gate.ts';

export interface AriNode {
  /** The node's name (Asterisk's `systemname`: its channel ids are `<name>-…`). */
  name: string;
  url: string;
}

export interface AriNodesOptions extends Omit<AriAdapterOptions, 'url'> {
  nodes: AriNode[];
  /** A node whose ARI stays unreachable this long is lost: its calls end as `pbx-lost`. */
  nodeLostMs: number;
  /** Where an agent's phone is registered now (the nodes), for a call on another node. */
  locate?: (endpoint: string) => ReadonlySet<string> | undefined;
}

/** One node's connection and what the engine knows of it. */
interface NodeLink {
  name: string;
  adapter: AriAdapter;
  started: boolean;
  connected: boolean;
  lost: boolean;
  lostTimer?: TimerHandle | undefined;
}

/** What one node says of itself, for /metrics and the node report. */
export interface NodeStatus {
  name: string;
  connected: boolean;
  lost: boolean;
}

/**
 * The engine's telephony over several Asterisk nodes: one ARI adapter per node, the same Stasis
 * apps on each. Every call lives on one node; the ids it makes derive from its caller's channel
 * id, which names the node (`systemname`), so each request goes to its id's node. An agent leg
 * for a call on node A whose phone is registered on node B leaves node A through the inter-node
 * trunk (`PJSIP/<agent>@node-b`).
 *
 * One node's outage does not stop the engine: only when every node is down are the call timers
 * held. A node back from an outage is resynchronised on its own; a node unreachable for
 * `nodeLostMs` is lost: the engine ends its calls (`node-lost`).
 */
export class AriNodes implements TelephonyPort, SnoopPort {
  private readonly links = new Map<string, NodeLink>();
  private listener?: TelephonyListener;
  private holding = false;
  private engineStarted = false;
  private readonly nodeLostListeners: ((node: string) => void)[] = [];

  constructor(private readonly o: AriNodesOptions) {
    if (o.nodes.length === 0) throw new Error('AriNodes: no node');
    for (const n of o.nodes) {
      const adapter = new AriAdapter({ ...o, url: n.url, logger: o.logger.child({ node: n.name }) });
      this.links.set(n.name, { name: n.name, adapter, started: false, connected: false, lost: false });
    }
  }

  /** The names of the nodes, in configuration order. */
  get names(): string[] {
    return [...this.links.keys()];
  }

  /** Called when a node is declared lost (after the engine was told). */
  onNodeLost(listener: (node: string) => void): void {
    this.nodeLostListeners.push(listener);
  }

  nodeOf(id: string): string | undefined {
    return nodeOfId(id, this.links);
  }

  status(): NodeStatus[] {
    return [...this.links.values()].map((l) => ({ name: l.name, connected: l.connected, lost: l.lost }));
  }

  /** Whether at least one node's event connection is up. */
  get connected(): boolean {
    return [...this.links.values()].some((l) => l.connected && l.adapter.connected);
  }

  get reconnects(): number {
    return this.sum((a) => a.reconnects);
  }

  get eventsRejected(): number {
    return this.sum((a) => a.eventsRejected);
  }

  get restInFlight(): number {
    return this.sum((a) => a.restInFlight);
  }

  /** The nodes' carrier-call channels decided by the claims, together (see AttemptGate). */
  /**
   * Legs originated through the inter-node trunk (an agent's phone registered on another node
   * than the call's): each costs both nodes a channel and a media hop, so their share says
   * whether NODE_AFFINITY keeps calls on one node.
   */
  trunkLegs = 0;

  get attemptCounts(): AttemptCounts | undefined {
    const first = this.links.values().next().value?.adapter.attemptCounts;
    if (!first) return undefined;
    const total = { ...first };
    for (const k of Object.keys(total) as (keyof AttemptCounts)[])
      total[k] = this.sum((a) => a.attemptCounts?.[k] ?? 0);
    return total;
  }

  /** The nodes' event WebSockets together (`sockets`: how many are open). */
  get eventWire(): { open: boolean; sockets: number; framesRead: number; reconnecting: boolean } {
    const wires = [...this.links.values()].map((l) => l.adapter.eventWire);
    return {
      open: wires.some((w) => w.open),
      sockets: wires.filter((w) => w.open).length,
      framesRead: wires.reduce((n, w) => n + w.framesRead, 0),
      reconnecting: wires.some((w) => w.reconnecting),
    };
  }

  get restStats(): { requests: number; retries: number; transportFailures: number } {
    const all = [...this.links.values()].map((l) => l.adapter.restStats);
    return {
      requests: all.reduce((n, s) => n + s.requests, 0),
      retries: all.reduce((n, s) => n + s.retries, 0),
      transportFailures: all.reduce((n, s) => n + s.transportFailures, 0),
    };
  }

  private sum(f: (a: AriAdapter) => number): number {
    let n = 0;
    for (const l of this.links.values()) n += f(l.adapter);
    return n;
  }

  /**
   * Connects to every node; resolves once one is connected (a node still down keeps trying in the
   * background, and its lost timer runs from now). A refused ARI login on any node is an error.
   */
  async start(listener: TelephonyListener): Promise<void> {
    this.listener = listener;
    const starts = [...this.links.values()].map((link) => {
      this.armLost(link);
      return link.adapter.start((e) => this.onNodeEvent(link, e)).then(() => this.nodeStarted(link));
    });
    await new Promise<void>((resolve, reject) => {
      let failed = 0;
      for (const p of starts)
        p.then(resolve, (err) => {
          if (err instanceof AriLoginError || ++failed === starts.length) reject(err);
        });
    });
    this.engineStarted = true;
    for (const p of starts)
      p.catch((err) => this.o.logger.error({ err: (err as Error).message }, 'ARI node failed to start'));
  }

  private nodeStarted(link: NodeLink): void {
    link.started = true;
    link.connected = true;
    link.lostTimer?.cancel();
    link.lostTimer = undefined;
    const wasLost = link.lost;
    link.lost = false;
    this.o.logger.info({ node: link.name }, 'ARI node connected');
    // A node that connects after the engine started may hold calls restored from an earlier run.
    if (this.engineStarted || wasLost) this.emit({ kind: 'reconnected', outageMs: 0, node: link.name });
  }

  private armLost(link: NodeLink): void {
    link.lostTimer?.cancel();
    link.lostTimer = this.o.clock.after(this.o.nodeLostMs, () => {
      link.lostTimer = undefined;
      if (link.connected || link.lost) return;
      link.lost = true;
      this.o.logger.error({ node: link.name, afterMs: this.o.nodeLostMs }, 'ARI node lost');
      this.emit({ kind: 'node-lost', node: link.name });
      for (const l of this.nodeLostListeners) l(link.name);
    });
  }

  private onNodeEvent(link: NodeLink, e: TelephonyEvent): void {
    switch (e.kind) {
      case 'disconnected': {
        link.connected = false;
        this.armLost(link);
        // Timers are held only while no node can be reached (one node's outage stops nothing else).
        if (!this.holding && ![...this.links.values()].some((l) => l.connected)) {
          this.holding = true;
          this.emit(e);
        }
        return;
      }
      case 'reconnected': {
        link.connected = true;
        link.lostTimer?.cancel();
        link.lostTimer = undefined;
        if (link.lost) this.o.logger.warn({ node: link.name }, 'a lost ARI node is back');
        link.lost = false;
        this.holding = false;
        this.emit({ ...e, node: link.name });
        return;
      }
      default:
        this.emit(e);
    }
  }

  private emit(e: TelephonyEvent): void {
    this.listener?.(e);
  }

  async stop(): Promise<void> {
    for (const l of this.links.values()) l.lostTimer?.cancel();
    await Promise.all([...this.links.values()].map((l) => l.adapter.stop()));
  }

  /** The adapter of an id's node; a lost node's resources are gone (404). */
  private via(id: string, operation: string): AriAdapter {
    const link = this.linkOf(id);
    if (link.lost) throw new TelephonyError(404, operation, `node ${link.name} is lost`);
    return link.adapter;
  }

  /** The node an id names (for an id that names none, a connected node). */
  private linkOf(id: string): NodeLink {
    const name = this.nodeOf(id);
    return name === undefined ? this.anyLink() : this.links.get(name)!;
  }

  /** For an id that names no node (not expected with `systemname` set): a connected node. */
  private anyLink(): NodeLink {
    const links = [...this.links.values()];
    return links.find((l) => l.connected) ?? links[0]!;
  }

  answer(channelId: string): Promise<void> {
    return this.run(channelId, 'answer', (a) => a.answer(channelId));
  }
  play(channelId: string, playbackId: string, media: string): Promise<void> {
    return this.run(channelId, 'play', (a) => a.play(channelId, playbackId, media));
  }
  stopPlayback(playbackId: string): Promise<void> {
    return this.run(playbackId, 'stopPlayback', (a) => a.stopPlayback(playbackId));
  }
  hangup(channelId: string, reason: 'normal' | 'busy' | 'no_answer'): Promise<void> {
    return this.run(channelId, 'hangup', (a) => a.hangup(channelId, reason));
  }
  createBridge(bridgeId: string): Promise<void> {
    return this.run(bridgeId, 'createBridge', (a) => a.createBridge(bridgeId));
  }
  addToBridge(bridgeId: string, channelIds: string[]): Promise<void> {
    return this.run(bridgeId, 'addToBridge', (a) => a.addToBridge(bridgeId, channelIds));
  }
  removeFromBridge(bridgeId: string, channelIds: string[]): Promise<void> {
    return this.run(bridgeId, 'removeFromBridge', (a) => a.removeFromBridge(bridgeId, channelIds));
  }
  setBridgeMoh(bridgeId: string, on: boolean): Promise<void> {
    return this.run(bridgeId, 'setBridgeMoh', (a) => a.setBridgeMoh(bridgeId, on));
  }
  destroyBridge(bridgeId: string): Promise<void> {
    return this.run(bridgeId, 'destroyBridge', (a) => a.destroyBridge(bridgeId));
  }
  recordBridge(bridgeId: string, name: string): Promise<void> {
    return this.run(bridgeId, 'recordBridge', (a) => a.recordBridge(bridgeId, name));
  }
  channelMoh(channelId: string, on: boolean): Promise<void> {
    return this.run(channelId, 'channelMoh', (a) => a.channelMoh(channelId, on));
  }
  muteChannel(channelId: string, direction: 'in' | 'out' | 'both', on: boolean): Promise<void> {
    return this.run(channelId, 'muteChannel', (a) => a.muteChannel(channelId, direction, on));
  }
  playbackExists(playbackId: string): Promise<boolean> {
    return this.run(playbackId, 'playbackExists', (a) => a.playbackExists(playbackId)).catch((err) => {
      if (err instanceof TelephonyError && err.status === 404) return false;
      throw err;
    });
  }
  channelExists(channelId: string): Promise<boolean> {
    return this.run(channelId, 'channelExists', (a) => a.channelExists(channelId)).catch((err) => {
      if (err instanceof TelephonyError && err.status === 404) return false;
      throw err;
    });
  }
  continueInDialplan(channelId: string, to: DialplanTarget): Promise<void> {
    return this.run(channelId, 'continue', (a) => a.continueInDialplan(channelId, to));
  }

  /**
   * Originates on the call's node. An agent's phone registered only on other nodes is reached
   * through the inter-node trunk to one of them.
   */
  originate(r: OriginateRequest): Promise<void> {
    const node = this.nodeOf(r.channelId);
    const endpoint =
      node === undefined ? r.endpoint : remoteAgentEndpoint(r.endpoint, node, this.o.locate?.(r.endpoint));
    if (endpoint !== r.endpoint) this.trunkLegs++;
    return this.run(r.channelId, 'originate', (a) => a.originate({ ...r, endpoint }));
  }

  /** A snoop on the node of the channel listened to (the snoop id names the same call). */
  snoop(r: SnoopRequest): Promise<void> {
    return this.run(r.channelId, 'snoop', (a) => a.snoop(r));
  }
  divert(role: string, listener: TelephonyListener): void {
    for (const l of this.links.values()) l.adapter.divert(role, listener);
  }
  claim(role: string, id: string): void {
    for (const l of this.links.values()) l.adapter.claim(role, id);
  }
  release(id: string): void {
    for (const l of this.links.values()) l.adapter.release(id);
  }
  /** Every reachable node's strays (a node that does not answer has none to give now). */
  async strays(role: string): Promise<string[]> {
    const lists = await Promise.all(
      [...this.links.values()]
        .filter((l) => l.connected && !l.lost)
        .map((l) => l.adapter.strays(role).catch(() => [] as string[])),
    );
    return lists.flat();
  }

  private run<T>(id: string, operation: string, f: (a: AriAdapter) => Promise<T>): Promise<T> {
    try {
      return f(this.via(id, operation));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** A listed carrier channel the engine never saw, handed to its node's attempt gate. */
  admit(event: Extract<TelephonyEvent, { kind: 'channel-entered' }>, sipCallId: string): void {
    const link = this.linkOf(event.channelId);
    // Lost since it was listed: the channel went with its node, and the rest of the listing goes on.
    if (link.lost) return;
    link.adapter.admit(event, sipCallId);
  }

  /** The reachable nodes' channels and bridges of the apps; `nodes` says which were listed. */
  async owned(ours?: (bridgeId: string) => boolean): Promise<OwnedResources> {
    const out: OwnedResources = { channels: [], bridges: [], nodes: [] };
    await this.gather(out.nodes!, async (a) => {
      const r = await a.owned(ours);
      return () => {
        out.channels.push(...r.channels);
        out.bridges.push(...r.bridges);
      };
    });
    return out;
  }

  async listAll(): Promise<PbxListing> {
    const out: PbxListing = { channels: [], bridges: [], nodes: [] };
    await this.gather(out.nodes!, async (a) => {
      const r = await a.listAll();
      return () => {
        out.channels.push(...r.channels);
        out.bridges.push(...r.bridges);
      };
    });
    return out;
  }

  /** Asks every reachable node; a node that answers is added to `listed` (a failing one is left out). */
  private async gather(listed: string[], ask: (a: AriAdapter) => Promise<() => void>): Promise<void> {
    const reachable = [...this.links.values()].filter((l) => l.connected && !l.lost);
    await Promise.all(
      reachable.map(async (l) => {
        try {
          (await ask(l.adapter))();
          listed.push(l.name);
        } catch (err) {
          this.o.logger.warn({ node: l.name, err: (err as Error).message }, 'could not list a node');
        }
      }),
    );
  }

  /** One node's endpoints (the presence poll runs per node). */
  listEndpointsOf(node: string, tech: string): Promise<{ endpoint: string; online: boolean }[]> {
    const link = this.links.get(node);
    if (!link) return Promise.reject(new Error(`unknown node ${node}`));
    return link.adapter.listEndpoints(tech);
  }

  /** Whether the phone is on a call through any reachable node. */
  async endpointInUse(endpoint: string): Promise<boolean> {
    const answers = await Promise.all(
      [...this.links.values()]
        .filter((l) => l.connected && !l.lost)
        .map((l) => l.adapter.endpointInUse(endpoint).catch(() => false)),
    );
    return answers.some(Boolean);
  }

  /** The gate is written on every node (a node down gets it when it reconnects). */
  async setAdmissionGate(reason: string): Promise<void> {
    const links = [...this.links.values()];
    const written = await Promise.allSettled(
      links.filter((l) => l.connected && !l.lost).map((l) => l.adapter.setAdmissionGate(reason)),
    );
    const failed = written.find((w) => w.status === 'rejected');
    if (failed && written.every((w) => w.status === 'rejected')) throw failed.reason;
  }

  /** The nodes' loads together: sums of counts, the worst of delays. */
  load(): TelephonyLoad {
    const loads = [...this.links.values()].map((l) => l.adapter.load());
    return {
      restInFlight: loads.reduce((n, l) => n + l.restInFlight, 0),
      rest503: loads.reduce((n, l) => n + l.rest503, 0),
      firstAudioMs: Math.max(0, ...loads.map((l) => l.firstAudioMs ?? 0)),
      eventLateMs: Math.max(0, ...loads.map((l) => l.eventLateMs)),
    };
  }
}
