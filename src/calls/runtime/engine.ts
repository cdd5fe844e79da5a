import type { Logger } from 'pino';
import { DevicePresence } from '../../acd/device-presence.ts';
import { SharedSnapshot } from '../../acd/shared-snapshot.ts';
import type { AcdStore } from '../../acd/store/port.ts';
import { type Clock, elapsedMs } from '../../clock.ts';
import type { RoutingPlan } from '../../plan/compile.ts';
import type { CallerEncryptor } from '../../records/caller-crypto.ts';
import type { RecordSink } from '../../records/record.ts';
import type { PresencePort, TelephonyEvent, TelephonyPort } from '../../telephony/port.ts';
import { handleEvent, startCall } from '../core/session.ts';
import type { CallEvent, CallState, Command } from '../core/types.ts';
import { CommandBus } from './command-bus.ts';
import { AcdExecutor } from './executors/acd.ts';
import { type AgentEvent, NotifyExecutor } from './executors/notify.ts';
import { TelephonyExecutor } from './executors/telephony.ts';
import { TicketingExecutor } from './executors/ticketing.ts';
import { Reconciler } from './reconcile.ts';
import { RecordEmitter } from './record-emitter.ts';
import { type Live, Registry } from './registry.ts';
import { applyRequest, type CallRequest, type RequestResult } from './requests.ts';
import { resync } from './resync.ts';
import { noSessionStore, type SessionStore } from './session-store.ts';
import { type EngineStats, newStats, type ReconcileFindings } from './stats.ts';
import type { TicketingPort } from './ticketing.ts';
import { CallTimers } from './timers.ts';

export { acdQueueId } from './executors/acd.ts';
export type { AgentEvent } from './executors/notify.ts';
export type { CallRequest, RequestResult } from './requests.ts';
export type { EngineStats, ReconcileFindings } from './stats.ts';

export interface EngineOptions {
  engineId: string;
  telephony: TelephonyPort;
  acd: AcdStore;
  records: RecordSink;
  ticketing: TicketingPort;
  clock: Clock;
  logger: Logger;
  /** The plan new calls start on; a call keeps the plan it started with until it ends. */
  plan: () => RoutingPlan;
  /** Media URI of a prompt, e.g. `sound:hotline/welcome-12345`. */
  media?: (promptId: string) => string;
  /** Where live sessions are kept so a restarted engine picks its calls up again (default: nowhere). */
  sessions?: SessionStore;
  /** Encrypts caller numbers in call records (AES-256-GCM); without it records carry the masked number only. */
  recordCipher?: CallerEncryptor;
  /** Measures event-to-action latency: ms from an event's arrival to its first PBX request (benchmarks). */
  onActionLatency?: (ms: number) => void;
  /** Where softphone registration comes from (AMI, or a poll); without it only the ACD API sets it. */
  presence?: PresencePort;
  /** How long an agent whose phone answered busy is not offered calls (default 30 s). */
  busyHoldMs?: number;
  /** How often the channels and bridges the engine owns are compared with the PBX's (0: never; default 30 s). */
  reconcileEveryMs?: number;
  /** Resources younger than this are left out of a reconciliation (their events may be on the way; default 10 s). */
  reconcileGraceMs?: number;
}

/**
 * The call engine: turns telephony events into call-session events and hands the commands the
 * sessions emit to the command bus. The parts: registry (who owns what), timers, executors,
 * records, reconciliation and resync.
 */
export class CallEngine {
  readonly stats: EngineStats = newStats();
  private readonly registry = new Registry();
  private readonly devices: DevicePresence;
  private readonly timers: CallTimers;
  private readonly bus: CommandBus;
  private readonly telephony: TelephonyExecutor;
  private readonly acd: AcdExecutor;
  private readonly notify: NotifyExecutor;
  private readonly emitter: RecordEmitter;
  private readonly reconciler: Reconciler;
  private readonly endedListeners: ((state: CallState) => void)[] = [];
  private readonly stageListeners: ((state: CallState) => void)[] = [];

  constructor(private readonly o: EngineOptions) {
    const { clock, logger, stats } = { ...o, stats: this.stats };
    const deliver = (callId: string, event: CallEvent) => this.dispatch(callId, event);
    const registry = this.registry;
    this.devices = new DevicePresence({
      acd: o.acd,
      clock,
      logger,
      ...(o.busyHoldMs !== undefined ? { busyHoldMs: o.busyHoldMs } : {}),
      ...(o.telephony.endpointInUse
        ? { inUse: (endpoint: string) => o.telephony.endpointInUse!(endpoint) }
        : {}),
    });
    this.timers = new CallTimers(clock, deliver);
    const media = o.media ?? ((id) => `sound:hotline/${id}`);
    this.telephony = new TelephonyExecutor({
      telephony: o.telephony,
      registry,
      clock,
      logger,
      stats,
      media,
      deliver,
    });
    const positions = new SharedSnapshot(() => o.acd.snapshot(), clock);
    const { engineId, acd, devices } = { ...o, devices: this.devices };
    this.acd = new AcdExecutor({ engineId, acd, devices, positions, stats, logger, deliver });
    this.notify = new NotifyExecutor(clock);
    this.emitter = new RecordEmitter({ records: o.records, recordCipher: o.recordCipher, stats, logger });
    this.bus = new CommandBus({
      timers: this.timers,
      telephony: this.telephony,
      acd: this.acd,
      ticketing: new TicketingExecutor(o.ticketing, deliver),
      notify: this.notify,
      finish: (live) => this.finish(live),
      elapsedMs: () => elapsedMs(clock),
      onActionLatency: o.onActionLatency,
    });
    this.reconciler = new Reconciler({
      ...{ registry, telephony: o.telephony, clock, logger, stats, deliver },
      outage: () => this.timers.holding,
      everyMs: o.reconcileEveryMs,
      graceMs: o.reconcileGraceMs,
    });
  }

  private get sessions(): SessionStore {
    return this.o.sessions ?? noSessionStore;
  }

  /**
   * Starts the engine. Sessions saved by an earlier run of this engine are restored first; once
   * the PBX connection is up they are checked against what the PBX still has (resync).
   */
  async start(): Promise<void> {
    const restored = this.restore(await this.sessions.load());
    await this.devices.start();
    await this.o.telephony.start((e) => this.onTelephony(e));
    if (restored > 0) {
      this.o.logger.warn({ calls: restored }, 'picking up the calls of an earlier run');
      await this.resync();
    }
    await this.o.presence?.start((changes, full) => this.devices.apply(changes, full));
    this.reconciler.schedule();
  }

  /** Stops the engine's own timers (reconciliation, presence); the ports are closed by their owner. */
  async stop(): Promise<void> {
    this.reconciler.stop();
    this.devices.stop();
    await this.o.presence?.stop();
  }

  /** Takes back calls saved by an earlier run: their channels, and their timers from their due times. */
  private restore(states: CallState[]): number {
    const plan = this.o.plan();
    const now = this.o.clock.now();
    for (const state of states) {
      if (state.stage === 'ended' || !plan.lines.has(state.line.id)) {
        this.sessions.remove(state.id);
        continue;
      }
      const live = this.registry.adopt(state, plan, state.events.length);
      this.registry.restore(live, now);
      for (const [name, token] of Object.entries(state.timers))
        this.timers.arm(live, name, token, (state.timerDue?.[name] ?? now) - now);
    }
    this.stats.live = this.registry.size;
    return this.registry.size;
  }

  onEnded(listener: (state: CallState) => void): void {
    this.endedListeners.push(listener);
  }

  /** Called whenever a call moves to another stage (queued, ringing, talking, survey, …). */
  onStage(listener: (state: CallState) => void): void {
    this.stageListeners.push(listener);
  }

  /** Events for agents' desktops (offered, connected, transfer progress, ended). */
  onAgentEvent(listener: (event: AgentEvent) => void): () => void {
    return this.notify.listen(listener);
  }

  call(callId: string): CallState | undefined {
    return this.registry.get(callId)?.state;
  }

  liveCalls(): CallState[] {
    return [...this.registry.calls.values()].map((l) => l.state);
  }

  /** Puts this engine's waiting calls in their ACD queues again (after the store lost its state). */
  requeueWaiting(): Promise<number> {
    return this.acd.requeue(this.registry.calls.values());
  }

  /** Checks a request against the call's state and the plan, then applies it. */
  request(callId: string, r: CallRequest): RequestResult {
    return applyRequest(this.registry.get(callId), callId, r, (event) => this.dispatch(callId, event));
  }

  /** Waits until every call's queued commands have run (tests, shutdown). */
  async settle(): Promise<void> {
    await Promise.all([...this.registry.calls.values()].flatMap((l) => [l.chain, l.acdChain]));
  }

  /** Delivers an event to a call (timers, the dispatcher, lookups); false when the call is not live. */
  dispatch(callId: string, event: CallEvent): boolean {
    const live = this.registry.get(callId);
    if (!live) return false;
    const before = live.state.stage;
    const t0 = elapsedMs(this.o.clock);
    let commands: Command[];
    try {
      commands = handleEvent(live.state, event, live.plan, this.o.clock.now());
    } catch (err) {
      this.o.logger.error(
        { callId, event: event.kind, err: (err as Error).message },
        'call session failed on an event',
      );
      const caller = live.state.callerChannel;
      commands = handleEvent(
        live.state,
        { kind: 'channel-ended', channel: caller, cause: 0 },
        live.plan,
        this.o.clock.now(),
      );
      commands.unshift({ kind: 'hangup', channel: caller, reason: 'normal' });
    }
    if (live.state.stage !== before && live.state.stage !== 'ended')
      for (const l of this.stageListeners) l(live.state);
    this.emitter.liveEvents(live);
    if (live.state.stage !== 'ended') this.sessions.save(live.state);
    this.bus.run(live, commands, t0);
    return true;
  }

  private onTelephony(e: TelephonyEvent): void {
    const callOf = (channelId: string) => this.registry.callOfChannel(channelId);
    switch (e.kind) {
      case 'channel-entered': {
        const callId = callOf(e.channelId);
        // A leg the engine originated answered after its caller had gone: nobody to connect it to.
        if (callId && !this.dispatch(callId, { kind: 'channel-answered', channel: e.channelId }))
          this.telephony.hangupStray(e.channelId, callId, 'answered after its call ended');
        return callId ? undefined : this.newCall(e);
      }
      case 'channel-ended': {
        this.registry.channelEnded(e.channelId);
        const callId = callOf(e.channelId);
        if (callId)
          this.dispatch(callId, {
            kind: 'channel-ended',
            channel: e.channelId,
            cause: e.cause,
            causeText: e.causeText,
          });
        return;
      }
      case 'dtmf': {
        const callId = callOf(e.channelId);
        if (callId) this.dispatch(callId, { kind: 'dtmf', channel: e.channelId, digit: e.digit });
        return;
      }
      case 'playback-finished': {
        const callId = this.registry.playbackFinished(e.playbackId);
        if (callId)
          this.dispatch(callId, { kind: 'playback-finished', playbackId: e.playbackId, failed: e.failed });
        return;
      }
      case 'endpoint-state':
        return this.devices.apply([{ endpoint: e.endpoint, online: e.online }]);
      case 'reconnected':
        return void this.resync()
          .catch((err) =>
            this.o.logger.error({ err: (err as Error).message }, 'resynchronisation after reconnect failed'),
          )
          .finally(() => this.timers.release());
      case 'disconnected':
        return this.timers.hold();
    }
  }

  private newCall(e: Extract<TelephonyEvent, { kind: 'channel-entered' }>): void {
    const t0 = elapsedMs(this.o.clock);
    const strayOf = this.registry.originatedFor(e.channelId);
    // A channel the engine originated for a call that has ended: nobody to connect it to.
    if (strayOf !== undefined)
      return this.telephony.hangupStray(e.channelId, strayOf, 'answered after its call ended');
    const plan = this.o.plan();
    const { channelId, app, dialed, callerNumber, callerName } = e;
    const call = { id: channelId, app, callerChannel: channelId, dialed, callerNumber, callerName };
    const { state, commands } = startCall(call, plan, this.o.clock.now());
    const live = this.registry.adopt(state, plan, 0);
    this.registry.own(live, e.channelId);
    this.stats.started++;
    this.stats.live = this.registry.size;
    this.o.logger.debug({ callId: state.id, line: state.line.id, phase: state.phase.id }, 'call arrived');
    for (const l of this.stageListeners) l(state);
    this.emitter.liveEvents(live);
    this.sessions.save(state);
    this.bus.run(live, commands, t0);
  }

  /** The call ended: it leaves the registry, its timers stop, its record is written. */
  private finish(live: Live): void {
    this.timers.cancelAll(live);
    this.registry.remove(live);
    this.sessions.remove(live.state.id);
    this.stats.live = this.registry.size;
    this.stats.ended++;
    // Keep channel mappings until the chain has run, so late events of this call's channels are ignored quietly.
    void live.chain.then(() => this.registry.dropChannels(live));
    this.emitter.liveEvents(live);
    this.emitter.record(live);
    for (const l of this.endedListeners) l(live.state);
  }

  /** Whether a reconciliation is running now (tests driving time wait for it). */
  get reconcilingNow(): boolean {
    return this.reconciler.running;
  }

  /** Compares what the engine owns with what the PBX holds and ends the difference (see Reconciler). */
  reconcile(): Promise<ReconcileFindings> {
    return this.reconciler.run();
  }

  /** After an event outage, brings the live calls in step with what the PBX's apps own now. */
  resync(): Promise<void> {
    const { registry, o } = this;
    const deliver = (callId: string, event: CallEvent) => this.dispatch(callId, event);
    const entered = (e: Extract<TelephonyEvent, { kind: 'channel-entered' }>) => this.onTelephony(e);
    return resync({ registry, telephony: o.telephony, logger: o.logger, deliver, entered });
  }
}
