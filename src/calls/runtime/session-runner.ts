import type { Logger } from 'pino';
import type { ShedReason } from '../../admission/admission.ts';
import { ENGINE_SHED_CONTEXT } from '../../admission/gate.ts';
import { shedCall } from '../../admission/shed-call.ts';
import type { Clock } from '../../clock.ts';
import type { RoutingPlan } from '../../plan/compile.ts';
import { pbxDialOf } from '../../plan/pbx-direct.ts';
import type { TelephonyEvent } from '../../telephony/port.ts';
import { handleEvent, startCall } from '../core/session.ts';
import type { CallEvent, CallState, Command } from '../core/types.ts';
import type { CallEnds } from './call-ends.ts';
import type { CommandBus } from './command-bus.ts';
import { handOver } from './executors/hand-over.ts';
import type { TelephonyExecutor } from './executors/telephony.ts';
import type { RecordEmitter } from './record-emitter.ts';
import type { Live, Registry } from './registry.ts';
import type { SessionStore } from './session-store.ts';
import type { EngineStats } from './stats.ts';
import type { CallTimers } from './timers.ts';

export interface SessionRunnerParts {
  registry: Registry;
  timers: CallTimers;
  emitter: RecordEmitter;
  ends: CallEnds;
  sessions: SessionStore;
  stats: EngineStats;
  clock: Clock;
  logger: Logger;
  plan: () => RoutingPlan;
  /** Where the commands a session emits go (set once the bus is built). */
  bus: () => CommandBus;
  /** Counts shed calls' hand-overs as pending PBX work. */
  telephony: TelephonyExecutor;
  /** What a hand-over to the dialplan uses (see executors/hand-over.ts). */
  handOver: Parameters<typeof handOver>[0];
  /** Samples event-to-action latency (the shed call's hand-over is its first PBX request). */
  onActionLatency?: ((ms: number) => void) | undefined;
  /** Recording is on: new calls record their bridges (capabilities/recording.ts). */
  recording?: boolean | undefined;
}

/**
 * Steps the call sessions: starts a call, feeds it events, saves it, tells listeners of its
 * stages, and lets it go when it ends. The commands each step emits go to the command bus.
 */
export class SessionRunner {
  readonly endedListeners: ((state: CallState) => void)[] = [];
  readonly stageListeners: ((state: CallState) => void)[] = [];

  constructor(private readonly p: SessionRunnerParts) {}

  /** Delivers an event to a call; false when the call is not live. */
  dispatch(callId: string, event: CallEvent): boolean {
    const { registry, clock, logger } = this.p;
    const live = registry.get(callId);
    if (!live) return false;
    const before = live.state.stage;
    const t0 = clock.elapsedMs();
    let commands: Command[];
    try {
      commands = handleEvent(live.state, event, live.plan, clock.now());
    } catch (err) {
      logger.error(
        { callId, event: event.kind, err: (err as Error).message },
        'call session failed on an event',
      );
      const channel = live.state.callerChannel;
      commands = handleEvent(
        live.state,
        { kind: 'channel-ended', channel, cause: 0 },
        live.plan,
        clock.now(),
      );
      commands.unshift({ kind: 'hangup', channel, reason: 'normal' });
    }
    if (live.state.stage !== before && live.state.stage !== 'ended')
      for (const l of this.stageListeners) l(live.state);
    this.p.emitter.liveEvents(live);
    if (live.state.stage !== 'ended') this.p.sessions.save(live.state);
    this.p.bus().run(live, commands, t0);
    return true;
  }

  /** A channel entered that no call owns: a new call starts on the current plan. */
  arrive(e: Extract<TelephonyEvent, { kind: 'channel-entered' }>, t0: number): void {
    const { registry, stats } = this.p;
    const plan = this.p.plan();
    const { channelId, app, dialed, callerNumber, callerName } = e;
    const pbxDial = pbxDialOf(e.args);
    const call = {
      ...{ id: channelId, app, callerChannel: channelId, dialed, callerNumber, callerName },
      ...(pbxDial ? { pbxDial } : {}),
      ...(this.p.recording ? { record: true } : {}),
    };
    const { state, commands } = startCall(call, plan, this.p.clock.now());
    const live = registry.adopt(state, plan, 0);
    registry.own(live, channelId);
    stats.started++;
    stats.live = registry.size;
    this.p.logger.debug({ callId: state.id, line: state.line.id, phase: state.phase.id }, 'call arrived');
    for (const l of this.stageListeners) l(state);
    this.p.emitter.liveEvents(live);
    this.p.sessions.save(state);
    this.p.bus().run(live, commands, t0);
  }

  /**
   * A new call admission control sheds: it ends in the engine at once (disposition `shed` with
   * the reason: its record is written by the ordinary end, exactly once) and its channel continues
   * in the dialplan's safety net (`[hotline-engine-shed]` at the label of the reason).
   */
  shed(e: Extract<TelephonyEvent, { kind: 'channel-entered' }>, t0: number, reason: ShedReason): void {
    const { registry, stats, clock } = this.p;
    const plan = this.p.plan();
    const { channelId, app, dialed, callerNumber, callerName } = e;
    const call = { id: channelId, app, callerChannel: channelId, dialed, callerNumber, callerName };
    const state = shedCall(call, plan, clock.now(), reason);
    const live = registry.adopt(state, plan, 0);
    registry.own(live, channelId);
    stats.started++;
    stats.shed++;
    const sample = this.p.onActionLatency;
    sample?.(clock.elapsedMs() - t0);
    // The label names the reason: [hotline-engine-shed] sets HOTLINE_SHED to it (see gate.ts). The
    // context matches digits only: a call with no dialed number goes on as its line's number.
    const extension = /^[0-9]+$/.test(dialed) ? dialed : (plan.lines.get(state.line.id)?.number ?? '12345');
    const to = { context: ENGINE_SHED_CONTEXT, extension, priority: 1, label: reason };
    this.p.telephony.track(handOver(this.p.handOver, { callId: state.id, channelId, to }));
    this.p.logger.debug({ callId: state.id, line: state.line.id, reason }, 'call shed to the safety net');
    this.finish(live);
  }

  /**
   * Takes back calls saved by an earlier run: their channels, and their timers from their due
   * times. A call that had ended (its final state kept, its end not complete) is completed — its
   * record, then its tombstone — never started again.
   */
  restore(states: CallState[]): number {
    const { registry, timers } = this.p;
    const plan = this.p.plan();
    const now = this.p.clock.now();
    for (const state of states) {
      if (state.stage === 'ended') {
        this.p.logger.info({ callId: state.id }, 'completing the end of a call of an earlier run');
        this.p.ends.complete(state);
        continue;
      }
      if (!plan.lines.has(state.line.id)) {
        this.p.sessions.remove(state.id);
        continue;
      }
      const live = registry.adopt(state, plan, state.events.length);
      registry.restore(live, now);
      for (const [name, token] of Object.entries(state.timers))
        timers.arm(live, name, token, (state.timerDue?.[name] ?? now) - now);
    }
    this.p.stats.live = registry.size;
    return registry.size;
  }

  /**
   * The call ended: it leaves the registry, its timers stop, and its end is made durable (final
   * state kept, record written, session replaced by its tombstone: see CallEnds).
   */
  finish(live: Live): void {
    const { registry, stats, emitter } = this.p;
    this.p.timers.cancelAll(live);
    registry.remove(live);
    stats.live = registry.size;
    stats.ended++;
    // Keep channel mappings until the chain has run, so late events of this call's channels are ignored quietly.
    void live.chain.then(() => registry.dropChannels(live));
    emitter.liveEvents(live);
    this.p.ends.complete(live.state, live.channels);
    for (const l of this.endedListeners) l(live.state);
  }
}
