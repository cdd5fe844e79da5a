import { EventEmitter } from 'node:events';
import type { Clock, TimerHandle } from '../clock.ts';
import type { Logger } from '../log.ts';
import { GateDraws } from './admission-gate.ts';
import { type AppRecord, AppRegistry, type AriEvent } from './apps.ts';
import { leaveBridge } from './bridging.ts';
import { causeTxt } from './causes.ts';
import { EndpointRegistry, parseEndpoint } from './endpoints.ts';
import { EventFactory } from './events.ts';
import { failChannelPlaybacks } from './media.ts';
import type { SimBridge } from './model/bridge.ts';
import type { ChannelState, SimChannel } from './model/channel.ts';
import type { SimPlayback } from './model/playback.ts';
import { type CallOutcome, type HangupBy, OutcomeBook } from './outcomes.ts';
import { snoopGone, spiedGone } from './snoop.ts';
import { SimTimers } from './time.ts';
import type { SimWorld, WaitKind } from './world.ts';

export interface CoreOptions {
  clock: Clock;
  timeScale: number;
  asteriskId: string;
  /** Asterisk's `systemname`: prefixes unique ids (`<name>-<epoch>.<seq>`). */
  systemName?: string | undefined;
  promptDurations: Record<string, number>;
  defaultPlaybackMs: number;
  logger: Logger;
  /** Where calls that take the dialplan's safety net leave their notes (see safety-net.ts). */
  safetyNetSpool?: string | undefined;
}

export interface RestLogEntry {
  method: string;
  path: string;
  status: number;
}

interface Waiter {
  kind: WaitKind;
  fn: () => void;
}

/**
 * The simulator's state (channels, bridges, playbacks, apps, endpoints) and the channel
 * life cycle: Stasis entry, answer, the hangup sequences seen in the traces, destruction.
 * Bridging, media and dialling live in their own modules and work on this core.
 */
export class SimCore implements SimWorld {
  readonly channels = new Map<string, SimChannel>();
  readonly bridges = new Map<string, SimBridge>();
  readonly playbacks = new Map<string, SimPlayback>();
  readonly apps = new AppRegistry();
  readonly endpoints = new EndpointRegistry();
  readonly outcomes = new OutcomeBook();
  readonly timers: SimTimers;
  readonly ev: EventFactory;
  readonly log: Logger;
  readonly hooks = new EventEmitter();
  readonly counters = {
    callsInjected: 0,
    callsFallback: 0,
    callsShed: 0,
    callsCompleted: 0,
    restRequests: 0,
  };
  readonly globalVars = new Map<string, string>();
  /** The admission gate's share per app (see admission-gate.ts). */
  readonly gates = new GateDraws();
  private readonly waiters = new Map<string, Waiter[]>();
  private readonly idBase: number;
  private uniqueSeq = 0;
  private nameSeq = 0;

  constructor(readonly options: CoreOptions) {
    this.timers = new SimTimers(options.clock, options.timeScale);
    this.ev = new EventFactory(() => options.clock.now(), options.asteriskId);
    this.log = options.logger;
    this.idBase = Math.floor(options.clock.now() / 1000);
    this.hooks.setMaxListeners(0);
  }

  /** Asterisk-style unique id: `<epoch seconds>.<sequence>`, after `<systemname>-` when set. */
  nextUniqueId(): string {
    this.uniqueSeq++;
    const name = this.options.systemName;
    return name ? `${name}-${this.idBase}.${this.uniqueSeq}` : `${this.idBase}.${this.uniqueSeq}`;
  }

  /** Channel name like `PJSIP/agent1001-0000000e`. */
  channelName(tech: string, resource: string): string {
    this.nameSeq++;
    return `${tech}/${resource}-${this.nameSeq.toString(16).padStart(8, '0')}`;
  }

  promptMs(media: string): number {
    return this.options.promptDurations[media] ?? this.options.defaultPlaybackMs;
  }

  /** Runs `fn` after `simMs` simulated ms unless the channel is gone by then. */
  later(channel: SimChannel, simMs: number, fn: () => void): TimerHandle {
    const handle: TimerHandle = this.timers.after(simMs, () => {
      channel.untrack(handle);
      if (!channel.destroyed) fn();
    });
    channel.track(handle);
    return handle;
  }

  emit(channel: SimChannel, type: string, fields?: Record<string, unknown>): void {
    this.apps.deliver(this.ev.channel(type, channel, fields), channel.subscribers);
  }

  deliver(event: AriEvent, targets: Iterable<AppRecord>): void {
    this.apps.deliver(event, targets);
  }

  addChannel(channel: SimChannel): void {
    this.channels.set(channel.id, channel);
    this.endpoints.attach(channel.endpoint, channel.id);
    this.endpointChanged(channel.endpoint);
  }

  /** An endpoint's channel list changed: Asterisk tells apps subscribed to it (EndpointStateChange). */
  private endpointChanged(endpoint: string): void {
    if (this.apps.endpointSubscriptions === 0) return;
    const address = parseEndpoint(endpoint);
    if (!address) return;
    const targets = this.apps.endpointApps(address.tech, address.resource);
    const json = this.endpoints.json(`${address.tech}/${address.resource}`);
    if (targets.length === 0 || !json) return;
    this.deliver(this.ev.plain('EndpointStateChange', { endpoint: json }), targets);
    this.apps.eventsByEndpoint += targets.length;
  }

  /** One more subscription of `app` to the channel (Stasis entry, originate/create, or explicit). */
  subscribe(channel: SimChannel, app: AppRecord): void {
    channel.subscriptions.set(app, (channel.subscriptions.get(app) ?? 0) + 1);
    channel.subscribers.add(app);
    app.channels.add(channel.id);
  }

  /**
   * Drops one subscription of `app` to the channel; the app stops receiving the channel's events
   * when it held no other. False when it held none.
   */
  unsubscribe(channel: SimChannel, app: AppRecord): boolean {
    const count = channel.subscriptions.get(app);
    if (count === undefined) return false;
    if (count > 1) {
      channel.subscriptions.set(app, count - 1);
      return true;
    }
    channel.subscriptions.delete(app);
    channel.subscribers.delete(app);
    app.channels.delete(channel.id);
    return true;
  }

  setState(channel: SimChannel, state: ChannelState): void {
    if (channel.state === state) return;
    channel.state = state;
    this.emit(channel, 'ChannelStateChange');
    if (state === 'Up') this.markAnswered(channel);
  }

  private markAnswered(channel: SimChannel): void {
    channel.answeredAt = this.timers.now();
    const outcome = channel.outcome;
    if (outcome && !outcome.answered) {
      outcome.answered = true;
      outcome.answeredAfterMs = Math.round(this.timers.simElapsedSince(outcome.startedAtReal));
    }
    this.signal(channel, 'answered');
  }

  /** Puts the channel in Stasis(app, args...) and sends StasisStart. */
  enterStasis(channel: SimChannel, app: AppRecord, args: string[]): void {
    channel.app = app.name;
    channel.inStasis = true;
    channel.stasisArgs = args;
    channel.dialplan = { ...channel.dialplan, app_name: 'Stasis', app_data: [app.name, ...args].join(',') };
    this.subscribe(channel, app);
    this.emit(channel, 'StasisStart', { args });
  }

  answer(channel: SimChannel): void {
    this.setState(channel, 'Up');
  }

  /** `DELETE /channels/{id}`: soft hangup (cause 32), StasisEnd, then destruction with `cause`. */
  hangupByApp(channel: SimChannel, cause: number): void {
    if (channel.hangingUp) return;
    channel.hangingUp = true;
    this.emitQos(channel);
    this.emit(channel, 'ChannelHangupRequest', { cause: 32, soft: true });
    if (channel.dialed && channel.state !== 'Up') {
      // The app gave up on an outbound leg still ringing: Asterisk CANCELs the INVITE.
      this.deliver(this.ev.dial(channel, 'CANCEL', channel.dialstring), channel.subscribers);
    }
    const wasInStasis = this.teardown(channel);
    if (wasInStasis && channel.kind === 'inbound')
      this.emit(channel, 'ChannelHangupRequest', { cause, soft: true });
    this.destroy(channel, cause, undefined, 'app');
  }

  /**
   * The far end sends BYE. ChannelHangupRequest carries no cause; the final cause is 16 when the
   * channel was bridged and 0 ("Unknown") otherwise, as recorded in traces d and g.
   */
  remoteHangup(channel: SimChannel, by: HangupBy, cause?: number): void {
    if (channel.hangingUp) return;
    channel.hangingUp = true;
    const wasBridged = channel.bridge !== undefined;
    this.emitQos(channel);
    this.emit(channel, 'ChannelHangupRequest');
    const wasInStasis = this.teardown(channel);
    if (wasInStasis && channel.kind === 'inbound')
      this.emit(channel, 'ChannelHangupRequest', { cause: 16, soft: true });
    this.destroy(channel, cause ?? (wasBridged ? 16 : 0), undefined, by);
  }

  /** Leaves bridge, fails playbacks, ends Stasis. Returns whether the channel was in Stasis. */
  teardown(channel: SimChannel): boolean {
    if (channel.bridge) leaveBridge(this, channel.bridge, channel);
    failChannelPlaybacks(this, channel);
    channel.moh = undefined;
    if (!channel.inStasis) return false;
    channel.inStasis = false;
    // As Asterisk 22 does (res_stasis app_send_end_msg): the app drops the subscription Stasis gave
    // it, then StasisEnd goes to the app. Later events of the channel (the hangup request that
    // follows, ChannelDestroyed) reach it only through another subscription: originate/create,
    // an explicit channel or endpoint subscription, or subscribeAll.
    const app = channel.app === undefined ? undefined : this.apps.get(channel.app);
    if (app) this.unsubscribe(channel, app);
    this.deliver(this.ev.channel('StasisEnd', channel), app ? [app] : []);
    this.emit(channel, 'ChannelVarset', { variable: 'STASISSTATUS', value: 'SUCCESS' });
    return true;
  }

  /** Sends ChannelDestroyed and forgets the channel. */
  destroy(channel: SimChannel, cause: number, techCause: number | undefined, by: HangupBy): void {
    if (channel.destroyed) return;
    channel.hangingUp = true;
    if (channel.bridge) leaveBridge(this, channel.bridge, channel);
    if (channel.playbacks.length > 0) failChannelPlaybacks(this, channel);
    const appName = channel.kind === 'originated' ? 'AppDial2' : '';
    const appData = channel.kind === 'originated' ? '(Outgoing Line)' : '';
    channel.dialplan = { ...channel.dialplan, app_name: appName, app_data: appData };
    const fields: Record<string, unknown> = { cause, cause_txt: causeTxt(cause) };
    if (techCause !== undefined) fields.tech_cause = techCause;
    this.emit(channel, 'ChannelDestroyed', fields);
    channel.destroyed = true;
    channel.cancelTimers();
    this.waiters.delete(channel.id);
    this.channels.delete(channel.id);
    this.endpoints.detach(channel.endpoint, channel.id);
    this.endpointChanged(channel.endpoint);
    for (const app of channel.subscribers) app.channels.delete(channel.id);
    channel.subscribers.clear();
    channel.subscriptions.clear();
    if (channel.snoops.size > 0) spiedGone(this, channel);
    if (channel.snoop) snoopGone(this, channel);
    const outcome = channel.outcome;
    if (outcome) {
      outcome.ended = true;
      outcome.hangupBy = by;
      outcome.hangupCause = cause;
      outcome.durationMs = Math.round(this.timers.simElapsedSince(outcome.startedAtReal));
    }
    if (channel.kind === 'inbound') {
      this.counters.callsCompleted++;
      if (outcome) this.callEnded(outcome);
    }
  }

  callEnded(outcome: CallOutcome): void {
    if (this.hooks.listenerCount('call-ended') === 0) return;
    const { startedAtReal: _ignored, ...plain } = outcome as CallOutcome & { startedAtReal?: number };
    this.hooks.emit('call-ended', plain);
  }

  /** RTP statistics variables Asterisk sets on an answered channel as it hangs up. */
  private emitQos(channel: SimChannel): void {
    if (channel.state !== 'Up') return;
    for (const variable of [
      'RTPAUDIOQOS',
      'RTPAUDIOQOSJITTER',
      'RTPAUDIOQOSLOSS',
      'RTPAUDIOQOSRTT',
      'RTPAUDIOQOSMES',
    ]) {
      this.emit(channel, 'ChannelVarset', { variable, value: '' });
    }
  }

  waitFor(channel: SimChannel, kind: WaitKind, fn: () => void): void {
    const list = this.waiters.get(channel.id);
    if (list) list.push({ kind, fn });
    else this.waiters.set(channel.id, [{ kind, fn }]);
  }

  signal(channel: SimChannel, kind: WaitKind): void {
    const list = this.waiters.get(channel.id);
    if (!list) return;
    const due = list.filter((w) => w.kind === kind);
    if (due.length === 0) return;
    const rest = list.filter((w) => w.kind !== kind);
    if (rest.length > 0) this.waiters.set(channel.id, rest);
    else this.waiters.delete(channel.id);
    for (const w of due) w.fn();
  }

  restLogged(entry: RestLogEntry): void {
    if (this.hooks.listenerCount('rest') > 0) this.hooks.emit('rest', entry);
  }
}
