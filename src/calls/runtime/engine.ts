import type { Logger } from 'pino';
import { DevicePresence } from '../../acd/device-presence.ts';
import { SharedSnapshot } from '../../acd/shared-snapshot.ts';
import type { AcdStore } from '../../acd/store/port.ts';
import type { Clock, TimerHandle } from '../../clock.ts';
import type { RoutingPlan } from '../../plan/compile.ts';
import type { CallerEncryptor } from '../../records/caller-crypto.ts';
import { buildCallRecord, liveEventsSince, type RecordSink } from '../../records/record.ts';
import {
  type PbxListing,
  type PresencePort,
  TelephonyError,
  type TelephonyEvent,
  type TelephonyPort,
} from '../../telephony/port.ts';
import { handleEvent, startCall } from '../core/session.ts';
import { checkTransfer, isRefusal, resolveTarget } from '../core/transfer-target.ts';
import type { AgentNotice, CallEvent, CallState, Command, TransferMode } from '../core/types.ts';
import { noSessionStore, type SessionStore } from './session-store.ts';
import type { TicketingPort } from './ticketing.ts';

/** What an agent's desktop is told about its calls. */
export interface AgentEvent {
  agentId: string;
  event: AgentNotice;
  at: number;
  detail: Record<string, string | number | undefined>;
}

/** An agent's (or supervisor's) request about a live call. */
export type CallRequest =
  | { kind: 'transfer'; target: string; mode: TransferMode }
  | { kind: 'transfer-complete' }
  | { kind: 'transfer-cancel' }
  | { kind: 'agent-leave' }
  | { kind: 'ticket'; target: string; reason: string };

export type RequestResult =
  | { ok: true; transferId?: string }
  | {
      ok: false;
      code:
        | 'no-such-call'
        | 'not-talking'
        | 'no-such-target'
        | 'transfer-in-progress'
        | 'no-transfer'
        | 'not-answered';
      message: string;
    };

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

/** What one reconciliation found and ended. */
export interface ReconcileFindings {
  /** Channels the engine originated whose call is gone (hung up). */
  orphanChannels: number;
  /** Bridges the engine created whose call is gone (destroyed). */
  orphanBridges: number;
  /** Channels of live calls the PBX no longer has (their calls were told). */
  lostChannels: number;
  /** Calls that ended because all they had was gone. */
  endedCalls: number;
}

/** A channel the engine originated or a bridge it created, until it is gone. */
interface Created {
  kind: 'channel' | 'bridge';
  callId: string;
  at: number;
}

interface Live {
  state: CallState;
  plan: RoutingPlan;
  timers: Map<string, TimerHandle>;
  /** Telephony commands of a call run in order; each call has its own chain. */
  chain: Promise<void>;
  acdChain: Promise<void>;
  /** How many entries of the call's event log went out as live events. */
  eventsSent: number;
  /** The channels of this call in the engine's channel map (dropped when it ends). */
  channels: Set<string>;
  /** Channels the PBX has accepted a command for: a later "not found" on one is a hang-up race. */
  touched: Set<string>;
}

export interface EngineStats {
  live: number;
  started: number;
  ended: number;
  recordsWritten: number;
  recordFailures: number;
  /** Commands the PBX refused (a real refusal, logged as a warning). */
  commandFailures: number;
  /** Commands that got no answer from the PBX (connection broken or timed out). */
  commandTransportFailures: number;
  /** Commands that lost a race with a hang-up (the channel was gone): expected, not warned about. */
  commandRaces: number;
  /** Totals of every reconciliation so far. */
  reconcile: ReconcileFindings & { runs: number };
}

/** ACD queue id of a plan queue. */
export const acdQueueId = (kind: 'pool' | 'expert', id: string) => `${kind}:${id}`;

/**
 * The call engine: turns telephony events into call-session events, runs the commands the
 * sessions emit against the ports, and keeps the sessions in step with the PBX after an outage.
 */
export class CallEngine {
  private readonly calls = new Map<string, Live>();
  /** Every channel a live call owns → the call. */
  private readonly channels = new Map<string, string>();
  private readonly media: (id: string) => string;
  readonly stats: EngineStats = {
    live: 0,
    started: 0,
    ended: 0,
    recordsWritten: 0,
    recordFailures: 0,
    commandFailures: 0,
    commandTransportFailures: 0,
    commandRaces: 0,
    reconcile: { runs: 0, orphanChannels: 0, orphanBridges: 0, lostChannels: 0, endedCalls: 0 },
  };
  /** Every channel the engine originated and bridge it created, until it is gone: what it owns, known, not guessed. */
  private readonly created = new Map<string, Created>();
  private readonly devices: DevicePresence;
  private reconcileTimer?: TimerHandle;
  private reconciling = false;
  /** Channels and bridges with a command on its way (originate, hang-up, create, destroy): not judged meanwhile. */
  private readonly inFlight = new Map<string, number>();
  /** What the last reconciliation suspected; acted on only when the next one finds it again. */
  private suspects = new Set<string>();
  private stopped = false;
  private readonly endedListeners: ((state: CallState) => void)[] = [];
  private readonly stageListeners: ((state: CallState) => void)[] = [];
  private readonly agentListeners: ((event: AgentEvent) => void)[] = [];
  /**
   * While the event connection is down, timer events wait here: acting on state that missed the
   * PBX's events (an agent who answered meanwhile) could undo what happened. Released after resync.
   */
  private heldTimers: { callId: string; event: CallEvent }[] | undefined;

  /** What queue announcements count from: one shared, recent ACD snapshot. */
  private readonly positions: SharedSnapshot;

  constructor(private readonly o: EngineOptions) {
    this.media = o.media ?? ((id) => `sound:hotline/${id}`);
    this.positions = new SharedSnapshot(() => o.acd.snapshot(), o.clock);
    this.devices = new DevicePresence({
      acd: o.acd,
      clock: o.clock,
      logger: o.logger,
      ...(o.busyHoldMs !== undefined ? { busyHoldMs: o.busyHoldMs } : {}),
      ...(o.telephony.endpointInUse
        ? { inUse: (endpoint: string) => o.telephony.endpointInUse!(endpoint) }
        : {}),
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
    this.scheduleReconcile();
  }

  /** Stops the engine's own timers (reconciliation, presence); the ports are closed by their owner. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.reconcileTimer?.cancel();
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
      const live = this.adopt(state, plan, state.events.length);
      for (const ch of [
        state.callerChannel,
        state.offer?.channelId,
        state.agent?.channelId,
        state.target?.channelId,
        state.transfer?.channelId,
      ]) {
        if (ch) this.own(live, ch);
        if (ch && ch !== state.callerChannel)
          this.created.set(ch, { kind: 'channel', callId: state.id, at: now });
      }
      for (const b of [state.bridgeId, state.transfer?.consultBridgeId]) {
        if (b) this.created.set(b, { kind: 'bridge', callId: state.id, at: now });
      }
      for (const [name, token] of Object.entries(state.timers)) {
        this.arm(live, name, token, (state.timerDue?.[name] ?? now) - now);
      }
    }
    this.stats.live = this.calls.size;
    return this.calls.size;
  }

  onEnded(listener: (state: CallState) => void): void {
    this.endedListeners.push(listener);
  }

  /** Called whenever a call moves to another stage (queued, ringing, talking, survey, …). */
  onStage(listener: (state: CallState) => void): void {
    this.stageListeners.push(listener);
  }

  call(callId: string): CallState | undefined {
    return this.calls.get(callId)?.state;
  }

  /**
   * Puts this engine's waiting calls in their ACD queues again (after the store lost its state);
   * calls the store still holds are left as they are. Returns how many were put back.
   */
  async requeueWaiting(): Promise<number> {
    let n = 0;
    for (const live of this.calls.values()) {
      const s = live.state;
      if (s.stage !== 'queued' || !s.queue) continue;
      try {
        await this.o.acd.enqueue({
          callId: s.id,
          queueId: acdQueueId(s.queue.kind, s.queue.id),
          priority: s.queue.priority,
          enqueuedAt: s.queue.enqueuedAt,
          preferredSkill: s.queue.skill,
          engineId: this.o.engineId,
        });
        n++;
      } catch (err) {
        if ((err as { code?: string }).code !== 'duplicate-call') throw err;
      }
    }
    return n;
  }

  /** Events for agents' desktops (offered, connected, transfer progress, ended). */
  onAgentEvent(listener: (event: AgentEvent) => void): () => void {
    this.agentListeners.push(listener);
    return () => {
      const i = this.agentListeners.indexOf(listener);
      if (i >= 0) this.agentListeners.splice(i, 1);
    };
  }

  /** Checks a request against the call's state and the plan, then applies it. */
  request(callId: string, r: CallRequest): RequestResult {
    const live = this.calls.get(callId);
    if (!live) return { ok: false, code: 'no-such-call', message: `no live call "${callId}"` };
    const s = live.state;
    switch (r.kind) {
      case 'transfer': {
        const target = checkTransfer(s, live.plan, r.target);
        if (isRefusal(target)) return { ok: false, ...target };
        this.dispatch(callId, { kind: 'transfer-request', target: r.target, mode: r.mode });
        return { ok: true, transferId: s.transfers?.at(-1)?.id };
      }
      case 'transfer-complete':
      case 'transfer-cancel': {
        if (!s.transfer?.consultBridgeId)
          return { ok: false, code: 'no-transfer', message: 'no consult transfer is under way' };
        if (r.kind === 'transfer-complete' && s.transfer.answeredAt === undefined)
          return { ok: false, code: 'not-answered', message: 'the target has not answered yet' };
        const id = s.transfer.id;
        this.dispatch(callId, { kind: r.kind });
        return { ok: true, transferId: id };
      }
      case 'agent-leave':
        if (s.stage !== 'talking' || !s.agent)
          return { ok: false, code: 'not-talking', message: `the call is ${s.stage}` };
        this.dispatch(callId, { kind: 'agent-leave' });
        return { ok: true };
      case 'ticket': {
        const target = resolveTarget(live.plan, r.target);
        if (isRefusal(target)) return { ok: false, ...target };
        this.dispatch(callId, { kind: 'ticket-dispatch', target: r.target, reason: r.reason });
        return { ok: true, transferId: s.transfers?.at(-1)?.id };
      }
    }
  }

  liveCalls(): CallState[] {
    return [...this.calls.values()].map((l) => l.state);
  }

  /** Waits until every call's queued commands have run (tests, shutdown). */
  async settle(): Promise<void> {
    await Promise.all([...this.calls.values()].flatMap((l) => [l.chain, l.acdChain]));
  }

  /** Delivers an event to a call (timers, the dispatcher, lookups); false when the call is not live. */
  dispatch(callId: string, event: CallEvent): boolean {
    const live = this.calls.get(callId);
    if (!live) return false;
    const before = live.state.stage;
    const t0 = performance.now();
    let commands: Command[];
    try {
      commands = handleEvent(live.state, event, live.plan, this.o.clock.now());
    } catch (err) {
      this.o.logger.error(
        { callId, event: event.kind, err: (err as Error).message },
        'call session failed on an event',
      );
      commands = handleEvent(
        live.state,
        { kind: 'channel-ended', channel: live.state.callerChannel, cause: 0 },
        live.plan,
        this.o.clock.now(),
      );
      commands.unshift({ kind: 'hangup', channel: live.state.callerChannel, reason: 'normal' });
    }
    if (live.state.stage !== before && live.state.stage !== 'ended')
      for (const l of this.stageListeners) l(live.state);
    this.sendLiveEvents(live);
    if (live.state.stage !== 'ended') this.sessions.save(live.state);
    this.run(live, commands, t0);
    return true;
  }

  private onTelephony(e: TelephonyEvent): void {
    switch (e.kind) {
      case 'channel-entered': {
        const callId = this.channels.get(e.channelId);
        if (callId) {
          if (!this.dispatch(callId, { kind: 'channel-answered', channel: e.channelId })) {
            // A leg the engine originated answered after its caller had gone: nobody to connect it to.
            this.hangupStray(e.channelId, callId, 'answered after its call ended');
          }
          return;
        }
        return this.newCall(e);
      }
      case 'channel-ended': {
        this.created.delete(e.channelId);
        const callId = this.channels.get(e.channelId);
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
        const callId = this.channels.get(e.channelId);
        if (callId) this.dispatch(callId, { kind: 'dtmf', channel: e.channelId, digit: e.digit });
        return;
      }
      case 'playback-finished': {
        const callId = playbackCall(e.playbackId);
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
          .finally(() => this.releaseTimers());
      case 'disconnected':
        this.heldTimers ??= [];
        return;
    }
  }

  /** Registers a live call (new or restored) with its own command chains. */
  private adopt(state: CallState, plan: RoutingPlan, eventsSent: number): Live {
    const live: Live = {
      state,
      plan,
      timers: new Map(),
      chain: Promise.resolve(),
      acdChain: Promise.resolve(),
      eventsSent,
      channels: new Set(),
      touched: new Set(),
    };
    this.calls.set(state.id, live);
    return live;
  }

  /** Maps a channel to its call. */
  private own(live: Live, channelId: string): void {
    live.channels.add(channelId);
    this.channels.set(channelId, live.state.id);
  }

  /** Arms a call's timer; when it fires, the call gets the timer event with its token. */
  private arm(live: Live, name: string, token: number, ms: number): void {
    live.timers.get(name)?.cancel();
    live.timers.set(
      name,
      this.o.clock.after(Math.max(0, ms), () => {
        live.timers.delete(name);
        const event: CallEvent = { kind: 'timer', name, token };
        if (this.heldTimers) this.heldTimers.push({ callId: live.state.id, event });
        else this.dispatch(live.state.id, event);
      }),
    );
  }

  private newCall(e: Extract<TelephonyEvent, { kind: 'channel-entered' }>): void {
    const t0 = performance.now();
    if (e.args[0] === 'agent' || e.args[0] === 'target') {
      // An originated channel of a call that has ended: nobody to connect it to.
      this.hangupStray(e.channelId, e.args[1] ?? '', 'answered after its call ended');
      return;
    }
    const plan = this.o.plan();
    const { state, commands } = startCall(
      {
        id: e.channelId,
        app: e.app,
        callerChannel: e.channelId,
        dialed: e.dialed,
        callerNumber: e.callerNumber,
        callerName: e.callerName,
      },
      plan,
      this.o.clock.now(),
    );
    const live = this.adopt(state, plan, 0);
    this.own(live, e.channelId);
    this.stats.started++;
    this.stats.live = this.calls.size;
    this.o.logger.debug({ callId: state.id, line: state.line.id, phase: state.phase.id }, 'call arrived');
    for (const l of this.stageListeners) l(state);
    this.sendLiveEvents(live);
    this.sessions.save(state);
    this.run(live, commands, t0);
  }

  private run(live: Live, commands: Command[], t0?: number): void {
    const s = live.state;
    let measured = t0 === undefined || !this.o.onActionLatency;
    const chainTelephony = (c: Command) => {
      if (!measured) {
        measured = true;
        const sample = this.o.onActionLatency!;
        live.chain = live.chain.then(() => {
          sample(performance.now() - t0!);
          return this.telephony(live, c);
        });
        return;
      }
      live.chain = live.chain.then(() => this.telephony(live, c));
    };
    for (const c of commands) {
      switch (c.kind) {
        case 'start-timer':
          this.arm(live, c.name, c.token, c.ms);
          break;
        case 'cancel-timer':
          live.timers.get(c.name)?.cancel();
          live.timers.delete(c.name);
          break;
        case 'enqueue':
        case 'dequeue':
        case 'agent-answered':
        case 'agent-release':
        case 'agent-complete':
        case 'ask-position':
          live.acdChain = live.acdChain.then(() => this.acd(live, c));
          break;
        case 'lookup-ticket':
          void this.o.ticketing
            .lookup(c.ticketNumber)
            .catch(() => null)
            .then((prompts) => this.dispatch(s.id, { kind: 'ticket-status', prompts }));
          break;
        case 'originate':
          // Ringing an agent or target does not wait for the caller's pending requests.
          this.own(live, c.channelId);
          this.created.set(c.channelId, { kind: 'channel', callId: s.id, at: this.o.clock.now() });
          this.immediate(live, c, t0, measured);
          measured = true;
          break;
        case 'stop-playback':
          this.immediate(live, c, t0, measured);
          measured = true;
          break;
        case 'hangup':
          if (c.channel !== s.callerChannel) {
            this.immediate(live, c, t0, measured);
            measured = true;
          } else chainTelephony(c);
          break;
        case 'notify': {
          const event: AgentEvent = {
            agentId: c.agentId,
            event: c.event,
            at: this.o.clock.now(),
            detail: c.detail ?? {},
          };
          for (const l of this.agentListeners) l(event);
          break;
        }
        case 'ended':
          this.finish(live);
          break;
        case 'create-bridge':
          this.created.set(c.bridgeId, { kind: 'bridge', callId: s.id, at: this.o.clock.now() });
          chainTelephony(c);
          break;
        default:
          chainTelephony(c);
      }
    }
  }

  /** Runs a command at once, outside the call's ordered chain (it depends on nothing queued there). */
  private immediate(live: Live, c: Command, t0: number | undefined, measured: boolean): void {
    if (!measured && t0 !== undefined) this.o.onActionLatency?.(performance.now() - t0);
    void this.telephony(live, c);
  }

  private async telephony(live: Live, c: Command): Promise<void> {
    const id =
      c.kind === 'originate'
        ? c.channelId
        : c.kind === 'hangup'
          ? c.channel
          : c.kind === 'create-bridge' || c.kind === 'destroy-bridge'
            ? c.bridgeId
            : undefined;
    if (id === undefined) return this.runTelephony(live, c);
    this.inFlight.set(id, (this.inFlight.get(id) ?? 0) + 1);
    try {
      await this.runTelephony(live, c);
    } finally {
      const n = (this.inFlight.get(id) ?? 1) - 1;
      if (n > 0) this.inFlight.set(id, n);
      else this.inFlight.delete(id);
    }
  }

  private async runTelephony(live: Live, c: Command): Promise<void> {
    try {
      await this.send(live, c);
      for (const ch of channelsOf(c)) live.touched.add(ch);
    } catch (err) {
      await this.failed(live, c, err);
    }
  }

  private async send(live: Live, c: Command): Promise<void> {
    const t = this.o.telephony;
    switch (c.kind) {
      case 'answer':
        return await t.answer(c.channel);
      case 'play':
        return await t.play(c.channel, c.playbackId, this.media(c.prompt));
      case 'stop-playback':
        return await t.stopPlayback(c.playbackId);
      case 'hangup':
        return await t.hangup(c.channel, c.reason);
      case 'create-bridge':
        await t.createBridge(c.bridgeId);
        await Promise.all([
          t.addToBridge(c.bridgeId, c.channels),
          c.moh ? t.setBridgeMoh(c.bridgeId, true) : undefined,
        ]);
        return;
      case 'bridge-moh':
        return await t.setBridgeMoh(c.bridgeId, c.on);
      case 'add-to-bridge':
        await Promise.all([
          t.addToBridge(c.bridgeId, [c.channel]),
          c.stopMoh ? t.setBridgeMoh(c.bridgeId, false) : undefined,
        ]);
        return;
      case 'destroy-bridge':
        await t.destroyBridge(c.bridgeId);
        this.created.delete(c.bridgeId);
        return;
      case 'remove-from-bridge':
        return await t.removeFromBridge(c.bridgeId, [c.channel]);
      case 'originate':
        await t.originate({
          app: live.state.app,
          channelId: c.channelId,
          endpoint: c.endpoint,
          callerId: c.callerId,
          timeoutSeconds: c.timeoutSeconds,
          variables: c.variables,
          appArgs: `${c.role},${live.state.id}`,
        });
        // The call gave the leg up while the originate was on its way (the caller left, the
        // ring timer fired): a hang-up sent meanwhile may have found no channel yet.
        if (!this.usesChannel(live.state.id, c.channelId))
          this.hangupStray(c.channelId, live.state.id, 'given up while dialling');
        return;
      default:
        return;
    }
  }

  /** A command failed: expected ends stay quiet, races are counted, refusals warned about and handled. */
  private async failed(live: Live, c: Command, err: unknown): Promise<void> {
    const status = err instanceof TelephonyError ? err.status : undefined;
    // 404: the channel, bridge or playback is already gone; its own event tells the rest.
    if (
      status === 404 &&
      (c.kind === 'hangup' ||
        c.kind === 'destroy-bridge' ||
        c.kind === 'stop-playback' ||
        c.kind === 'remove-from-bridge')
    ) {
      if (c.kind === 'destroy-bridge') this.created.delete(c.bridgeId);
      return;
    }
    if (err instanceof TelephonyError && err.transport) {
      this.stats.commandTransportFailures++;
      this.o.logger.warn(
        { callId: live.state.id, command: c.kind, err: err.message },
        'PBX did not answer a command (connection broken or timed out)',
      );
    } else if (await this.lostRace(live, c, status)) {
      // The caller (or agent) hung up while the command was on its way: expected, not a refusal.
      this.stats.commandRaces++;
      this.o.logger.debug(
        { callId: live.state.id, command: c.kind, status },
        'a command found its channel gone (hang-up race)',
      );
    } else {
      this.stats.commandFailures++;
      this.o.logger.warn(
        { callId: live.state.id, command: c.kind, status, err: (err as Error).message },
        'PBX refused a command',
      );
    }
    if (status === 404 && c.kind === 'answer' && c.channel === live.state.callerChannel) {
      // The caller's channel does not exist (a StasisStart for a channel that was never there,
      // or whose end was not seen): no event will end this call, so it ends here.
      this.dispatch(live.state.id, {
        kind: 'channel-ended',
        channel: c.channel,
        cause: 0,
        causeText: 'channel not found',
        lost: true,
      });
      return;
    }
    this.dispatch(live.state.id, {
      kind: 'command-failed',
      command: c,
      ...(status !== undefined ? { status } : {}),
    });
  }

  private async acd(live: Live, c: Command): Promise<void> {
    const s = live.state;
    const acd = this.o.acd;
    try {
      switch (c.kind) {
        case 'enqueue':
          await acd.enqueue({
            callId: s.id,
            queueId: acdQueueId(c.queue.kind, c.queue.id),
            priority: c.queue.priority,
            enqueuedAt: c.queue.enqueuedAt,
            preferredSkill: c.queue.skill,
            engineId: this.o.engineId,
          });
          return;
        case 'dequeue':
          await acd.removeCall(s.id);
          return;
        case 'agent-answered':
          await acd.confirm(s.id);
          return;
        case 'agent-release':
          await acd.release(s.id, c.outcome);
          if (c.outcome === 'busy') this.devices.heldBusy(c.agentId);
          return;
        case 'agent-complete':
          await acd.complete(s.id, c.talkSeconds);
          return;
        case 'ask-position': {
          const figures = await this.position(s);
          this.dispatch(s.id, { kind: 'position', ...figures });
          return;
        }
        default:
          return;
      }
    } catch (err) {
      this.stats.commandFailures++;
      this.o.logger.warn(
        { callId: s.id, command: c.kind, code: (err as { code?: string }).code, err: (err as Error).message },
        'ACD refused a command',
      );
    }
  }

  /** The caller's place in its queue and a wait estimate from today's average talk time of its agents. */
  private async position(s: CallState): Promise<{ ahead: number; expectedWaitSeconds: number | null }> {
    if (!s.queue) return { ahead: 0, expectedWaitSeconds: null };
    const queueId = acdQueueId(s.queue.kind, s.queue.id);
    const me = s.queue;
    const snap = await this.positions.get();
    // The snapshot may be a few seconds old: count from this call's own place, not its entry there.
    const ahead = snap.calls.filter(
      (c) =>
        c.queueId === queueId &&
        c.callId !== s.id &&
        (c.priority > me.priority || (c.priority === me.priority && c.enqueuedAt < me.enqueuedAt)),
    ).length;
    const serving = snap.agents.filter(
      (a) =>
        a.status.state !== 'logged-out' && (a.pools.includes(queueId) || a.expertSeats.includes(queueId)),
    );
    const calls = serving.reduce((n, a) => n + a.status.counters.callsAnswered, 0);
    const talk = serving.reduce((n, a) => n + a.status.counters.talkSeconds, 0);
    if (serving.length === 0 || calls === 0) return { ahead, expectedWaitSeconds: null };
    return { ahead, expectedWaitSeconds: ((ahead + 1) * (talk / calls)) / serving.length };
  }

  /** Live call events for the ticketing system while the call runs (when the sink takes them). */
  private sendLiveEvents(live: Live): void {
    const sink = this.o.records;
    if (!sink.event) {
      live.eventsSent = live.state.events.length;
      return;
    }
    for (const e of liveEventsSince(live.state, live.eventsSent)) {
      sink.event(e).catch((err) => {
        this.stats.recordFailures++;
        this.o.logger.warn(
          { callId: live.state.id, err: (err as Error).message },
          'live call event not accepted',
        );
      });
    }
    live.eventsSent = live.state.events.length;
  }

  private finish(live: Live): void {
    const s = live.state;
    for (const t of live.timers.values()) t.cancel();
    live.timers.clear();
    this.calls.delete(s.id);
    this.sessions.remove(s.id);
    this.stats.live = this.calls.size;
    this.stats.ended++;
    // Keep channel mappings until the chain has run, so late events of this call's channels are ignored quietly.
    void live.chain.then(() => {
      for (const ch of live.channels) this.channels.delete(ch);
    });
    this.sendLiveEvents(live);
    const record = buildCallRecord(s, this.o.recordCipher ? { encrypt: this.o.recordCipher } : {});
    this.o.records.write(record).then(
      () => {
        this.stats.recordsWritten++;
      },
      (err) => {
        this.stats.recordFailures++;
        this.o.logger.error(
          { callId: s.id, err: (err as Error).message },
          'call record could not be written',
        );
      },
    );
    for (const l of this.endedListeners) l(s);
  }

  /** After resync, timers that fell due during the outage fire (stale ones are ignored by their token). */
  private releaseTimers(): void {
    const held = this.heldTimers ?? [];
    this.heldTimers = undefined;
    for (const { callId, event } of held) this.dispatch(callId, event);
  }

  /**
   * Whether a failed command lost a race with a hang-up: it names channels (play, answer, bridge
   * membership) and one of them is gone — the call no longer has it, or the PBX does not.
   */
  private async lostRace(live: Live, c: Command, status: number | undefined): Promise<boolean> {
    if (status !== 400 && status !== 404 && status !== 409 && status !== 422) return false;
    if (c.kind === 'originate' || c.kind === 'hangup') return false;
    // Only a channel the PBX had already taken commands for can have been lost to a hang-up
    // meanwhile; one gone before the engine's first command is a genuine "not found".
    for (const ch of channelsOf(c)) {
      if (!live.touched.has(ch)) continue;
      if (!this.calls.has(live.state.id) || !this.usesChannel(live.state.id, ch)) return true;
      try {
        if (!(await this.o.telephony.channelExists(ch))) return true;
      } catch {
        return false;
      }
    }
    return false;
  }

  /** Whether a live call still has this channel as one of its legs. */
  private usesChannel(callId: string, channelId: string): boolean {
    const s = this.calls.get(callId)?.state;
    if (!s || s.stage === 'ended') return false;
    return (
      s.callerChannel === channelId ||
      s.offer?.channelId === channelId ||
      s.agent?.channelId === channelId ||
      s.target?.channelId === channelId ||
      s.transfer?.channelId === channelId
    );
  }

  /** Hangs up a leg the engine originated whose call no longer wants it. */
  private hangupStray(channelId: string, callId: string, why: string): void {
    this.o.logger.info({ callId, channelId, why }, 'hanging up a leg its call no longer has');
    this.o.telephony.hangup(channelId, 'normal').catch((err) => {
      if (!(err instanceof TelephonyError && err.status === 404))
        this.o.logger.warn({ callId, err: (err as Error).message }, 'could not hang up a stray leg');
    });
  }

  private scheduleReconcile(): void {
    const every = this.o.reconcileEveryMs ?? 30_000;
    if (every <= 0 || this.stopped) return;
    this.reconcileTimer = this.o.clock.after(every, () => {
      void this.reconcile()
        .catch((err) =>
          this.o.logger.warn({ err: (err as Error).message }, 'reconciliation with the PBX failed'),
        )
        .finally(() => this.scheduleReconcile());
    });
  }

  /** Whether a reconciliation is running now (tests driving time wait for it). */
  get reconcilingNow(): boolean {
    return this.reconciling;
  }

  /**
   * Compares what the engine owns with what the PBX holds (one listing of channels and bridges)
   * and ends the difference: legs the engine originated and bridges it created whose call is gone
   * are hung up / destroyed; live calls' channels the PBX no longer has are reported gone to their
   * calls (a call left with nothing ends with its record). A difference is acted on only when two
   * reconciliations in a row find it, with no command on its way for it and the resource older
   * than the grace: events and requests in flight settle in between, so nothing is judged on a
   * moment's race. Skipped during an event outage (the resync after it does this).
   */
  async reconcile(): Promise<ReconcileFindings> {
    const found: ReconcileFindings = { orphanChannels: 0, orphanBridges: 0, lostChannels: 0, endedCalls: 0 };
    if (this.heldTimers || this.reconciling || this.stopped) return found;
    this.reconciling = true;
    try {
      const old = this.o.clock.now() - (this.o.reconcileGraceMs ?? 10_000);
      const listing: PbxListing = await this.o.telephony.listAll();
      if (this.heldTimers) return found;
      const channels = new Set(listing.channels.map((c) => c.id));
      const bridges = new Set(listing.bridges.map((b) => b.id));
      const previous = this.suspects;
      const now = new Set<string>();
      /** True when `key` was suspected last time too (and is remembered for next time). */
      const confirmed = (key: string) => {
        now.add(key);
        return previous.has(key);
      };
      for (const [id, r] of [...this.created]) {
        if (r.at > old || this.inFlight.has(id)) continue;
        const present = r.kind === 'channel' ? channels.has(id) : bridges.has(id);
        const s = this.calls.get(r.callId)?.state;
        const used =
          r.kind === 'channel'
            ? this.usesChannel(r.callId, id)
            : s !== undefined && (s.bridgeId === id || s.transfer?.consultBridgeId === id);
        if (!present) {
          // Gone from the PBX, its end handled (or its event missed): nothing left to do.
          if (!used) this.created.delete(id);
          continue;
        }
        if (used || !confirmed(`orphan:${id}`)) continue;
        this.created.delete(id);
        if (r.kind === 'channel') {
          found.orphanChannels++;
          this.o.logger.warn(
            { callId: r.callId, channelId: id },
            'reconciliation: hanging up an orphaned leg',
          );
          await this.o.telephony.hangup(id, 'normal').catch(() => undefined);
        } else {
          found.orphanBridges++;
          this.o.logger.warn(
            { callId: r.callId, bridgeId: id },
            'reconciliation: destroying an orphaned bridge',
          );
          await this.o.telephony.destroyBridge(id).catch(() => undefined);
        }
      }
      for (const live of [...this.calls.values()]) {
        const s = live.state;
        if (s.arrivedAt > old) continue;
        const legs = [
          s.offer?.channelId,
          s.transfer?.channelId,
          s.target?.channelId,
          s.agent?.channelId,
          s.callerChannel,
        ];
        for (const ch of legs) {
          if (!ch || channels.has(ch) || this.inFlight.has(ch)) continue;
          if (!this.calls.has(s.id) || !this.usesChannel(s.id, ch)) continue;
          const made = this.created.get(ch);
          // A leg the engine made whose end it has seen is no longer in `created`.
          if (ch !== s.callerChannel && !made) continue;
          if ((made && made.at > old) || !confirmed(`lost:${ch}`)) continue;
          found.lostChannels++;
          this.o.logger.warn({ callId: s.id, channelId: ch }, 'reconciliation: a leg of a live call is gone');
          this.created.delete(ch);
          this.dispatch(s.id, {
            kind: 'channel-ended',
            channel: ch,
            cause: 0,
            causeText: 'gone (reconciliation)',
            lost: true,
          });
          if (!this.calls.has(s.id)) found.endedCalls++;
        }
      }
      this.suspects = now;
      const total = this.stats.reconcile;
      total.runs++;
      total.orphanChannels += found.orphanChannels;
      total.orphanBridges += found.orphanBridges;
      total.lostChannels += found.lostChannels;
      total.endedCalls += found.endedCalls;
      return found;
    } finally {
      this.reconciling = false;
    }
  }

  /**
   * After an outage Asterisk has dropped the events of the meantime: compare what the apps own
   * with the live calls. Gone channels end their calls; unknown channels are calls that arrived
   * during the outage; finished playbacks move their calls on; unknown bridges are removed.
   */
  async resync(): Promise<void> {
    const owned = await this.o.telephony.owned();
    const present = new Set(owned.channels.map((c) => c.id));
    const up = new Set(owned.channels.filter((c) => c.state === 'Up').map((c) => c.id));
    // Legs that answered while the events were lost.
    for (const live of [...this.calls.values()]) {
      const s = live.state;
      const answered = (ch: string | undefined) => ch !== undefined && up.has(ch);
      if (s.stage === 'ringing' && answered(s.offer?.channelId))
        this.dispatch(s.id, { kind: 'channel-answered', channel: s.offer!.channelId });
      else if (s.transfer && s.transfer.answeredAt === undefined && answered(s.transfer.channelId))
        this.dispatch(s.id, { kind: 'channel-answered', channel: s.transfer.channelId });
      else if (s.stage === 'dialing' && answered(s.target?.channelId))
        this.dispatch(s.id, { kind: 'channel-answered', channel: s.target!.channelId });
    }
    for (const live of [...this.calls.values()]) {
      const s = live.state;
      for (const ch of [
        s.offer?.channelId,
        s.transfer?.channelId,
        s.target?.channelId,
        s.agent?.channelId,
        s.callerChannel,
      ]) {
        if (ch && !present.has(ch) && this.calls.has(s.id)) {
          this.dispatch(s.id, {
            kind: 'channel-ended',
            channel: ch,
            cause: 0,
            causeText: 'gone during ARI outage',
            lost: true,
          });
        }
      }
      const pb = live.state.playback;
      if (pb && this.calls.has(s.id) && !(await this.o.telephony.playbackExists(pb.id))) {
        this.dispatch(s.id, { kind: 'playback-finished', playbackId: pb.id, failed: false });
      }
    }
    for (const ch of owned.channels) {
      if (!this.channels.has(ch.id)) {
        this.o.logger.info({ callId: ch.id }, 'picking up a call that arrived during the outage');
        this.onTelephony({
          kind: 'channel-entered',
          app: ch.app,
          channelId: ch.id,
          args: [],
          dialed: ch.dialed,
          callerNumber: ch.callerNumber,
          callerName: ch.callerName,
          state: ch.state,
        });
      }
    }
    const bridges = new Set([...this.calls.values()].map((l) => l.state.bridgeId).filter(Boolean));
    for (const b of owned.bridges) {
      if (!bridges.has(b)) await this.o.telephony.destroyBridge(b).catch(() => undefined);
    }
  }
}

/** The channels a command names. */
function channelsOf(c: Command): string[] {
  switch (c.kind) {
    case 'answer':
    case 'play':
    case 'add-to-bridge':
    case 'remove-from-bridge':
    case 'hangup':
      return [c.channel];
    case 'create-bridge':
      return c.channels;
    case 'originate':
      return [c.channelId];
    default:
      return [];
  }
}

/** Playback ids are `<callId>-p<n>`. */
function playbackCall(playbackId: string): string | undefined {
  const i = playbackId.lastIndexOf('-p');
  return i > 0 ? playbackId.slice(0, i) : undefined;
}
