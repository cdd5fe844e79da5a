import { DevicePresence } from '../../acd/device-presence.ts';
import { SharedSnapshot } from '../../acd/shared-snapshot.ts';
import { AdmissionMonitor } from '../../admission/monitor.ts';
import type { CallEvent } from '../core/types.ts';
import { CallEnds } from './call-ends.ts';
import { CommandBus } from './command-bus.ts';
import { AcdExecutor } from './executors/acd.ts';
import { DeskExecutor } from './executors/desk.ts';
import { NotifyExecutor } from './executors/notify.ts';
import { RecordingExecutor } from './executors/recording.ts';
import { TelephonyExecutor } from './executors/telephony.ts';
import { TicketingExecutor } from './executors/ticketing.ts';
import type { EngineOptions } from './options.ts';
import { Reconciler } from './reconcile.ts';
import { RecordEmitter } from './record-emitter.ts';
import { Registry } from './registry.ts';
import { SessionRunner } from './session-runner.ts';
import { noSessionStore } from './session-store.ts';
import type { EngineStats } from './stats.ts';
import { CallTimers } from './timers.ts';
import { Tombstones } from './tombstones.ts';

export type EngineParts = ReturnType<typeof buildParts>;

/** Builds the engine's parts and wires them to each other; events reach calls through the runner. */
export function buildParts(o: EngineOptions, stats: EngineStats) {
  const { clock, logger } = o;
  const registry = new Registry();
  const deliver = (callId: string, event: CallEvent) => runner.dispatch(callId, event);
  const devices = new DevicePresence({
    acd: o.acd,
    clock,
    logger,
    ...(o.busyHoldMs !== undefined ? { busyHoldMs: o.busyHoldMs } : {}),
    ...(o.telephony.endpointInUse
      ? { inUse: (endpoint: string) => o.telephony.endpointInUse!(endpoint) }
      : {}),
  });
  const timers = new CallTimers(clock, deliver);
  const telephony = new TelephonyExecutor({
    ...{ telephony: o.telephony, registry, clock, logger, stats, deliver },
    media: o.media ?? ((id) => `sound:hotline/${id}`),
    allowList: o.dialAllowList,
    // Marked unavailable, the agent is not offered again on that phone until it registers anew.
    agentPhoneRefused: (agentId, callId) =>
      o.acd.setDeviceAvailable(agentId, false).then(
        () => undefined,
        (err) =>
          logger.warn({ callId, agentId, err: (err as Error).message }, 'could not take a refused phone off'),
      ),
  });
  const acd = new AcdExecutor({
    ...{ engineId: o.engineId, acd: o.acd, devices, stats, logger, deliver },
    positions: new SharedSnapshot(() => o.acd.snapshot(), clock),
  });
  const notify = new NotifyExecutor(clock);
  const emitter = new RecordEmitter({ records: o.records, recordCipher: o.recordCipher, stats, logger });
  const sessions = o.sessions ?? noSessionStore;
  const tombstones = new Tombstones();
  const ends = new CallEnds({ sessions, emitter, tombstones, clock, logger });
  const runner: SessionRunner = new SessionRunner({
    ...{ registry, timers, emitter, ends, sessions, stats, clock, logger, plan: o.plan, telephony },
    handOver: { telephony: o.telephony, logger, stats },
    bus: () => bus,
    onActionLatency: (ms) => bus.sample(ms),
    recording: o.recording,
  });
  // Admission control needs a port that can hand a call back to the dialplan.
  if (o.admission && !o.telephony.continueInDialplan)
    logger.warn('admission control is off: the telephony port cannot continue a channel in the dialplan');
  const admission =
    o.admission && o.telephony.continueInDialplan
      ? new AdmissionMonitor(
          o.admission,
          {
            pendingCommands: () => telephony.pending,
            telephonyLoad: () => o.telephony.load?.(),
            ...(o.pbxQueuePercent ? { pbxQueuePercent: o.pbxQueuePercent } : {}),
          },
          logger.child({ component: 'admission' }),
        )
      : undefined;
  // While it sheds, the dialplan keeps new calls away from the engine (src/admission/gate.ts).
  const setGate = o.telephony.setAdmissionGate?.bind(o.telephony);
  if (admission && setGate) admission.onGate((reason) => setGate(reason));
  const latency = o.onActionLatency;
  const bus = new CommandBus({
    ...{ timers, telephony, acd, notify },
    recording: new RecordingExecutor({
      ...{ telephony: o.telephony, stats, logger, deliver },
      track: (work) => telephony.track(work),
    }),
    desk: new DeskExecutor({ telephony: o.telephony, stats, logger, track: (work) => telephony.track(work) }),
    ticketing: new TicketingExecutor(o.ticketing, deliver),
    finish: (live) => runner.finish(live),
    elapsedMs: () => clock.elapsedMs(),
    onActionLatency:
      admission && latency
        ? (ms) => {
            admission.actionLatency(ms);
            latency(ms);
          }
        : admission
          ? (ms) => admission.actionLatency(ms)
          : latency,
  });
  const reconciler = new Reconciler({
    ...{ registry, telephony: o.telephony, clock, logger, stats, deliver },
    outage: () => timers.holding,
    everyMs: o.reconcileEveryMs,
    graceMs: o.reconcileGraceMs,
  });
  return {
    ...{ registry, devices, timers, telephony, acd, notify, sessions, tombstones, ends },
    ...{ runner, reconciler, bus, admission },
  };
}
