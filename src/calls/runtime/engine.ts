import type { AdmissionMonitor } from '../../admission/monitor.ts';
import type { TelephonyEvent } from '../../telephony/port.ts';
import type { CallEvent, CallState } from '../core/types.ts';
import type { EndStep } from './call-ends.ts';
import type { AgentEvent } from './executors/notify.ts';
import type { EngineOptions } from './options.ts';
import { buildParts, type EngineParts } from './parts.ts';
import { applyRequest, type CallRequest, type RequestResult } from './requests.ts';
import { resync } from './resync.ts';
import { type EngineStats, newStats, type ReconcileFindings } from './stats.ts';

export type { EndStep } from './call-ends.ts';
export { acdQueueId } from './executors/acd.ts';
export type { AgentEvent } from './executors/notify.ts';
export type { EngineOptions } from './options.ts';
export type { CallRequest, RequestResult } from './requests.ts';
export type { EngineStats, ReconcileFindings } from './stats.ts';

/**
 * What the engine's originated legs carry as their first Stasis argument (`<role>,<call id>`);
 * `monitor`: supervisor monitoring's legs and snoops, which reach the engine only when no monitor
 * service takes them (see calls/runtime/monitors.ts).
 */
const ORIGINATED_ROLES = new Set(['agent', 'target', 'monitor']);

/**
 * The call engine: turns telephony events into call-session events; the parts do the rest —
 * the registry knows who owns what, the session runner steps the calls, the command bus hands
 * each command to its executor, timers wait out event outages, reconcile and resync keep the
 * calls in step with the PBX.
 */
export class CallEngine {
  readonly stats: EngineStats = newStats();
  private readonly p: EngineParts;
  /** Channels whose end came while a resync runs (its listing may still show them). */
  private readonly endedDuringResync = new Set<Set<string>>();

  constructor(private readonly o: EngineOptions) {
    this.p = buildParts(o, this.stats);
  }

  /**
   * Starts the engine. Sessions saved by an earlier run of this engine are restored first; once
   * the PBX connection is up they are checked against what the PBX still has (resync).
   */
  async start(): Promise<void> {
    const { p, o } = this;
    p.tombstones.load(await p.sessions.tombstones(o.clock.now()));
    const saved = await p.sessions.load();
    const restored = p.runner.restore(saved);
    // Calls that had ended are completed, not restored: a leg of theirs still up is hung up by the resync.
    const completing = saved.filter((s) => s.stage === 'ended').length;
    await p.devices.start();
    await o.telephony.start((e) => this.onTelephony(e));
    if (restored + completing > 0) {
      o.logger.warn({ calls: restored, completing }, 'picking up the calls of an earlier run');
      await this.resync();
      o.logger.info({ calls: p.registry.size }, 'the calls of an earlier run are resynchronised');
    }
    await o.presence?.start((changes, full) => p.devices.apply(changes, full));
    p.reconciler.schedule();
    p.admission?.start();
  }

  /** Stops the engine's own timers (reconciliation, presence); the ports are closed by their owner. */
  async stop(): Promise<void> {
    this.p.admission?.stop();
    this.p.reconciler.stop();
    this.p.ends.stop();
    this.p.devices.stop();
    await this.o.presence?.stop();
  }

  /**
   * Admission control (src/admission): its state, what it measured last, calls shed by reason.
   * Undefined when the engine runs without it (every call is taken).
   */
  get admission(): AdmissionMonitor | undefined {
    return this.p.admission;
  }

  onEnded(listener: (state: CallState) => void): void {
    this.p.runner.endedListeners.push(listener);
  }

  /** Each durable step of a call's end (final state kept, record written, tombstone): see CallEnds. */
  onEndStep(listener: (callId: string, step: EndStep) => void): void {
    this.p.ends.stepListeners.push(listener);
  }

  /** Telephony commands taken and not yet answered by the PBX (shed calls' hand-overs included). */
  get commandsPending(): number {
    return this.p.telephony.pending;
  }

  /** Calls that ended and whose end (record, tombstone) is still being written. */
  get endsPending(): number {
    return this.p.ends.pending;
  }

  /** Called whenever a call moves to another stage (queued, ringing, talking, survey, …). */
  onStage(listener: (state: CallState) => void): void {
    this.p.runner.stageListeners.push(listener);
  }

  /** Events for agents' desktops (offered, connected, transfer progress, ended). */
  onAgentEvent(listener: (event: AgentEvent) => void): () => void {
    return this.p.notify.listen(listener);
  }

  call(callId: string): CallState | undefined {
    return this.p.registry.get(callId)?.state;
  }

  liveCalls(): CallState[] {
    return this.p.registry.all().map((l) => l.state);
  }

  /**
   * Puts this engine's waiting calls in their ACD queues again (after the store lost its state);
   * calls the store still holds are left as they are. Returns how many were put back.
   */
  requeueWaiting(): Promise<number> {
    return this.p.acd.requeue(this.p.registry.all());
  }

  /** Checks a request against the call's state and the plan, then applies it. */
  request(callId: string, r: CallRequest): RequestResult {
    return applyRequest(this.p.registry.get(callId), callId, r, (e) => this.dispatch(callId, e));
  }

  /** Waits until every call's queued commands have run (tests, shutdown). */
  async settle(): Promise<void> {
    await Promise.all(this.p.registry.all().flatMap((l) => [l.chain, l.acdChain]));
  }

  /** Delivers an event to a call (timers, the dispatcher, lookups); false when the call is not live. */
  dispatch(callId: string, event: CallEvent): boolean {
    return this.p.runner.dispatch(callId, event);
  }

  /**
   * The ACD reserved an agent for one of this engine's entries (a call, or a consult waiting for
   * an expert): the call it belongs to is told. False when that call is not live.
   */
  offered(entry: string, agentId: string, endpoint: string): boolean {
    return this.dispatch(this.p.acd.callOf(entry), { kind: 'agent-reserved', agentId, endpoint });
  }

  /** The live call an ACD entry belongs to (the call's own id, or a consult waiting for an expert). */
  callOfEntry(entry: string): CallState | undefined {
    return this.call(this.p.acd.callOf(entry));
  }

  private onTelephony(e: TelephonyEvent): void {
    const { registry, telephony, timers } = this.p;
    switch (e.kind) {
      case 'channel-entered': {
        const t0 = this.o.clock.elapsedMs();
        const callId = registry.callOfChannel(e.channelId);
        const stray = callId ?? registry.originatedFor(e.channelId);
        // A leg the engine originated answered after its call had gone: nobody to connect it to.
        if (callId !== undefined && this.dispatch(callId, { kind: 'channel-answered', channel: e.channelId }))
          return;
        if (stray !== undefined)
          return telephony.hangupStray(e.channelId, stray, 'answered after its call ended');
        if (this.p.tombstones.has(e.channelId, this.o.clock.now())) {
          this.o.logger.info(
            { callId: e.channelId },
            'a channel of a call that has ended came back (stale listing): hanging it up',
          );
          return telephony.hangupStray(e.channelId, e.channelId, 'its call has ended');
        }
        // A leg the engine originated (its app arguments say so) is never a caller.
        if (ORIGINATED_ROLES.has(e.args[0] ?? '') && e.args.length >= 2)
          return telephony.hangupStray(e.channelId, e.args[1]!, 'an originated leg with no live call');
        if (registry.has(e.channelId)) return;
        // Over its limits the engine takes no NEW call: the safety net serves it (calls already
        // here keep full service). See src/admission.
        const verdict = this.p.admission?.admit();
        if (verdict && !verdict.admit) {
          this.p.admission!.noteShed(verdict.reason);
          return this.p.runner.shed(e, t0, verdict.reason);
        }
        return this.p.runner.arrive(e, t0);
      }
      case 'channel-ended': {
        for (const ended of this.endedDuringResync) ended.add(e.channelId);
        registry.channelEnded(e.channelId);
        const callId = registry.callOfChannel(e.channelId);
        const { cause, causeText } = e;
        if (callId) this.dispatch(callId, { kind: 'channel-ended', channel: e.channelId, cause, causeText });
        return;
      }
      case 'dtmf': {
        const callId = registry.callOfChannel(e.channelId);
        if (callId) this.dispatch(callId, { kind: 'dtmf', channel: e.channelId, digit: e.digit });
        return;
      }
      case 'playback-finished': {
        const callId = registry.playbackFinished(e.playbackId);
        const { playbackId, failed } = e;
        if (callId) this.dispatch(callId, { kind: 'playback-finished', playbackId, failed });
        return;
      }
      case 'endpoint-state':
        return this.p.devices.apply([{ endpoint: e.endpoint, online: e.online }]);
      case 'reconnected':
        return void this.resync()
          .catch((err) =>
            this.o.logger.error({ err: (err as Error).message }, 'resynchronisation after reconnect failed'),
          )
          .finally(() => timers.release());
      case 'disconnected':
        return timers.hold();
      case 'node-lost':
        return this.nodeLost(e.node);
    }
  }

  /**
   * Several nodes: an Asterisk node is gone. Its calls' legs went with it, so each of its calls
   * ends now with disposition `pbx-lost` (its record written, its agent released); commands for
   * the node's channels find them gone.
   */
  private nodeLost(node: string): void {
    const { telephony, logger } = this.o;
    const lost = this.p.registry.all().filter((l) => telephony.nodeOf?.(l.state.id) === node);
    logger.error({ node, calls: lost.length }, 'Asterisk node lost: ending its calls as pbx-lost');
    for (const live of lost) this.dispatch(live.state.id, { kind: 'pbx-lost', node });
  }

  /** Whether a reconciliation is running now (tests driving time wait for it). */
  get reconcilingNow(): boolean {
    return this.p.reconciler.running;
  }

  /** Compares what the engine owns with what the PBX holds and ends the difference (see Reconciler). */
  reconcile(): Promise<ReconcileFindings> {
    return this.p.reconciler.run();
  }

  /**
   * After an outage Asterisk has dropped the events of the meantime: compare what the apps own
   * with the live calls (see resync.ts).
   */
  async resync(): Promise<void> {
    const { registry, tombstones, telephony } = this.p;
    const ended = new Set<string>();
    this.endedDuringResync.add(ended);
    try {
      await resync({
        ...{ registry, telephony: this.o.telephony, logger: this.o.logger },
        endedSince: ended,
        ended: (id) => tombstones.has(id, this.o.clock.now()),
        hangupStray: (channelId, callId, why) => telephony.hangupStray(channelId, callId, why),
        deliver: (callId, event) => this.dispatch(callId, event),
        entered: (e) => this.onTelephony(e),
      });
    } finally {
      this.endedDuringResync.delete(ended);
    }
  }
}
