import {
  type CallerStep,
  type InjectCallParams,
  type InjectedCall,
  injectCall,
  sendDigits,
} from './callers.ts';
import type { SimCore } from './core.ts';
import type { EndpointSettings } from './endpoints.ts';
import { SimControlError } from './errors.ts';
import type { Faults, RestFailure } from './faults.ts';
import type { BridgeJson } from './model/bridge.ts';
import type { ChannelJson, ChannelKind } from './model/channel.ts';
import type { CallOutcome } from './outcomes.ts';
import {
  dtmfSchema,
  endpointSettingsSchema,
  endpointStringSchema,
  failRestSchema,
  injectCallSchema,
  parseInput,
} from './schemas.ts';
import type { SimServer } from './server.ts';

/**
 * The simulator's control API: inject callers, script endpoints, inject faults, and look at
 * what happened. Every duration is in simulated ms (multiplied by `timeScale`).
 */
export interface SimStats {
  liveChannels: number;
  liveBridges: number;
  callsInjected: number;
  callsFallback: number;
  /** Of those, shed by the admission gate (the engine was shedding). */
  callsShed: number;
  callsCompleted: number;
  eventsSent: number;
  eventsDropped: number;
  restRequests: number;
}

export interface SimChannelInfo extends ChannelJson {
  kind: ChannelKind;
  app: string | undefined;
  inStasis: boolean;
  bridgeId: string | undefined;
  endpoint: string;
  /** A snoop channel: the channel it listens to and its directions. */
  snoop?: { of: string; spy: string; whisper: string };
  /** The music-on-hold class playing on the channel itself (ARI `POST /channels/{id}/moh`). */
  moh?: string;
  /** The channel's muted directions. */
  muted?: ('in' | 'out')[];
}

export type { CallerStep, CallOutcome, EndpointSettings, InjectCallParams, InjectedCall, RestFailure };

export class AriSimulator {
  readonly ariUrl: string;
  /** The simulator's AMI side, when started with `ami: true` (address and account). */
  ami?: { host: string; port: number; user: string; secret: string };
  /** @internal the AMI server, closed with the simulator. */
  amiServer?: { close(): Promise<void>; dropConnections(): number; eventsSent: number };

  constructor(
    readonly url: string,
    private readonly core: SimCore,
    private readonly server: SimServer,
    private readonly faults: Faults,
  ) {
    this.ariUrl = `${url}/ari`;
  }

  get timeScale(): number {
    return this.core.timers.timeScale;
  }

  injectCall(params: InjectCallParams): InjectedCall {
    return injectCall(this.core, parseInput(injectCallSchema, params));
  }

  setEndpoint(endpoint: string, settings: EndpointSettings): void {
    const name = parseInput(endpointStringSchema, endpoint, 'endpoint');
    const parsed = parseInput(endpointSettingsSchema, settings);
    const change = this.core.endpoints.set(name, parsed);
    if (change.wasOnline !== change.online) this.announceEndpoint(change.key);
  }

  private announceEndpoint(key: string): void {
    const endpoint = this.core.endpoints.json(key);
    if (!endpoint) return;
    const targets = this.core.apps
      .list()
      .filter((app) => app.endpoints.has(key) || app.endpoints.has(endpoint.technology));
    const core = this.core;
    core.deliver(core.ev.plain('EndpointStateChange', { endpoint }), targets);
    const contact_info = {
      uri: `sip:${endpoint.resource}@127.0.0.1:5060`,
      contact_status: endpoint.state === 'online' ? 'Reachable' : 'Unreachable',
      aor: endpoint.resource,
      roundtrip_usec: endpoint.state === 'online' ? '1000' : '0',
    };
    core.deliver(core.ev.plain('ContactStatusChange', { endpoint, contact_info }), targets);
    // The AMI side sends its ContactStatus event.
    core.hooks.emit('contact-status', endpoint);
  }

  private channel(channelId: string) {
    const channel = this.core.channels.get(channelId);
    if (!channel || channel.hangingUp) {
      throw new SimControlError('sim-unknown-channel', `no live channel ${channelId}`, 404, 'channelId');
    }
    return channel;
  }

  /** The far end of `channelId` hangs up (SIP BYE). */
  hangup(channelId: string, cause?: number): void {
    const channel = this.channel(channelId);
    this.core.remoteHangup(channel, channel.kind === 'inbound' ? 'caller' : 'remote', cause);
  }

  /** The far end of `channelId` sends DTMF. */
  sendDtmf(channelId: string, digits: string, gapMs?: number): void {
    const input = parseInput(dtmfSchema, { digits, gapMs });
    sendDigits(this.core, this.channel(channelId), input.digits, input.gapMs ?? 250, 280);
  }

  /**
   * Sends `payload` as one frame over the WebSocket of `app`, unchecked: a string goes as is (it
   * need not be JSON), anything else JSON-encoded. For tests of events a client does not expect
   * (unknown types, missing or wrongly typed fields, ids it never saw). Returns whether a
   * connected WebSocket took the frame (false while the app has none, like a dropped event).
   */
  injectRawEvent(app: string, payload: unknown): boolean {
    if (typeof app !== 'string' || app.length === 0)
      throw new SimControlError('sim-invalid-input', 'app: expected an application name', 400, 'app');
    const frame = typeof payload === 'string' ? payload : JSON.stringify(payload);
    if (frame === undefined)
      throw new SimControlError('sim-invalid-input', 'payload: not serialisable as JSON', 400, 'payload');
    const socket = this.core.apps.get(app)?.socket;
    if (!socket) return false;
    socket.send(frame);
    return true;
  }

  /**
   * The event WebSockets as tests see them: how many are attached, the frames sent on them, and
   * whether new connections are refused now (a test driving time waits for what is in flight).
   */
  eventWire(): { sockets: number; framesSent: number; refusing: boolean } {
    return { ...this.server.eventWire(), refusing: this.faults.refusingWebSockets() };
  }

  dropWebSockets(app?: string): number {
    return this.server.dropSockets(app);
  }

  /** New WebSocket connections fail (503) for `ms` simulated ms. */
  refuseWebSockets(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0)
      throw new SimControlError('sim-invalid-input', 'ms: must be >= 0', 400, 'ms');
    this.faults.refuseWebSockets(ms * this.core.timers.timeScale);
  }

  failNextRest(rule: {
    method?: string;
    pathPrefix?: string;
    status: RestFailure['status'];
    count?: number;
  }): void {
    this.faults.failNextRest(parseInput(failRestSchema, rule));
  }

  stats(): SimStats {
    const { counters, apps } = this.core;
    return {
      liveChannels: this.core.channels.size,
      liveBridges: this.core.bridges.size,
      callsInjected: counters.callsInjected,
      callsFallback: counters.callsFallback,
      callsShed: counters.callsShed,
      callsCompleted: counters.callsCompleted,
      eventsSent: apps.eventsSent,
      eventsDropped: apps.eventsDropped,
      restRequests: counters.restRequests,
    };
  }

  channels(): SimChannelInfo[] {
    return [...this.core.channels.values()].map((c) => ({
      ...c.toJSON(),
      kind: c.kind,
      app: c.app,
      inStasis: c.inStasis,
      bridgeId: c.bridge?.id,
      endpoint: c.endpoint,
      ...(c.snoop ? { snoop: { ...c.snoop } } : {}),
      ...(c.moh !== undefined ? { moh: c.moh } : {}),
      ...(c.muted.size > 0 ? { muted: [...c.muted].sort() } : {}),
    }));
  }

  bridges(): BridgeJson[] {
    return [...this.core.bridges.values()].map((b) => b.toJSON());
  }

  callOutcome(channelId: string): CallOutcome | undefined {
    return this.core.outcomes.get(channelId);
  }

  onCallEnded(listener: (outcome: CallOutcome) => void): () => void {
    this.core.hooks.on('call-ended', listener);
    return () => this.core.hooks.off('call-ended', listener);
  }

  /** Every ARI REST request with the status it got (for trace comparisons). */
  onRest(listener: (entry: { method: string; path: string; status: number }) => void): () => void {
    this.core.hooks.on('rest', listener);
    return () => this.core.hooks.off('rest', listener);
  }

  on(event: 'call-ended', listener: (outcome: CallOutcome) => void): this {
    this.core.hooks.on(event, listener);
    return this;
  }

  off(event: 'call-ended', listener: (outcome: CallOutcome) => void): this {
    this.core.hooks.off(event, listener);
    return this;
  }

  /** Closes the AMI connections (an AMI outage); the engine's AMI client reconnects. */
  dropAmiConnections(): number {
    return this.amiServer?.dropConnections() ?? 0;
  }

  /** Events the app received only because of an endpoint subscription (doubles and calls it does not own). */
  get eventsByEndpointSubscription(): number {
    return this.core.apps.eventsByEndpoint;
  }

  async stop(): Promise<void> {
    await this.amiServer?.close();
    for (const channel of this.core.channels.values()) channel.cancelTimers();
    await this.server.close();
  }
}
