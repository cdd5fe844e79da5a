import type { Logger } from 'pino';
import type { Clock } from '../../clock.ts';
import { HotlineError } from '../../errors.ts';
import type { TelephonyEvent } from '../../telephony/port.ts';
import { MONITOR_ROLE, type SnoopPort } from '../../telephony/snoop-port.ts';
import * as M from '../core/monitor.ts';
import type { CallState } from '../core/types.ts';

export type { MonitorAuditRecord, MonitorView, Who } from '../core/monitor.ts';

export interface MonitorsOptions {
  engine: {
    call(callId: string): CallState | undefined;
    onEnded(listener: (s: CallState) => void): void;
    onStage(listener: (s: CallState) => void): void;
  };
  telephony: SnoopPort;
  audit(record: M.MonitorAuditRecord): Promise<void>;
  clock: Clock;
  logger: Logger;
  /** How long the supervisor's phone rings before the session gives up (default 30 s). */
  ringSeconds?: number;
}

type AuditAction = M.MonitorAuditRecord['action'];

interface Live {
  s: M.MonitorSession;
  /** The session's PBX commands run in order. */
  chain: Promise<void>;
  /** Where the supervisor's leg is bridged now. */
  inBridge?: 'own' | 'call';
  ownBridge: boolean;
  /** Snoops this session hung up itself (their end is expected). */
  dropped: Set<string>;
}

/**
 * Supervisor monitoring of live calls (监听 / 耳语 / 强插): one session per call, driven by the
 * pure steps of core/monitor.ts. Every start, change of mode and end is audited. The call ending,
 * or leaving the talking stage, ends its session; so does the supervisor hanging up.
 */
export class Monitors {
  private readonly live = new Map<string, Live>();
  private readonly byCall = new Map<string, string>();
  private readonly byChannel = new Map<string, string>();
  private seq = 0;

  constructor(private readonly o: MonitorsOptions) {
    o.telephony.divert(MONITOR_ROLE, (e) => this.onEvent(e));
    o.engine.onEnded((s) => this.callGone(s.id));
    o.engine.onStage((s) => {
      if (s.stage !== 'talking') this.callGone(s.id);
    });
    // Legs and snoops an earlier run left (its sessions are gone with it): nobody listens to them.
    const strays = (ids: string[]) => {
      for (const id of ids) this.stray(id, 'left by an earlier run');
    };
    o.telephony
      .strays(MONITOR_ROLE)
      .then(strays, (err) => o.logger.warn({ err }, 'monitor: no stray listing'));
  }

  /** The live session on a call. */
  ofCall(callId: string): M.MonitorView | undefined {
    const l = this.liveOf(callId);
    return l ? M.view(l.s) : undefined;
  }

  /** Starts monitoring a talking call: the supervisor's phone is called, then put in `mode`. */
  start(who: M.Who, callId: string, mode: M.MonitorMode, endpoint: string): M.MonitorView {
    const call = this.o.engine.call(callId);
    const why = M.unmonitorable(call);
    if (why === 'no-such-call') throw new HotlineError(why, `no live call "${callId}"`);
    if (why === 'not-talking')
      throw new HotlineError(why, `call "${callId}" is not talking with an agent (${call?.stage})`);
    if (this.byCall.has(callId))
      throw new HotlineError('monitor-in-progress', `call "${callId}" is already monitored`);
    const s = M.newMonitorSession({
      id: `${callId}-mon${++this.seq}`,
      call: call!,
      ...who,
      endpoint,
      mode,
      now: this.o.clock.now(),
    });
    const l: Live = { s, chain: Promise.resolve(), ownBridge: false, dropped: new Set() };
    this.live.set(s.id, l);
    this.byCall.set(callId, s.id);
    this.own(l, s.supervisorChannel);
    this.audit(l, who, 'monitor-start');
    this.run(l, async () => {
      await this.o.telephony.originate({
        app: call!.app,
        channelId: s.supervisorChannel,
        endpoint,
        callerId: { name: `${M.modeName[mode]} ${call!.line.name}`.slice(0, 60), number: call!.dialed },
        timeoutSeconds: this.o.ringSeconds ?? 30,
        variables: {},
        appArgs: `${MONITOR_ROLE},${s.id}`,
      });
    });
    return M.view(s);
  }

  /** Changes the mode of a call's session (listen → whisper → barge, any way round). */
  switch(who: M.Who, callId: string, mode: M.MonitorMode): M.MonitorView {
    const l = this.sessionOf(callId);
    const from = l.s.mode;
    if (from === mode) return M.view(l.s);
    l.s.previousMode = from;
    l.s.mode = mode;
    this.audit(l, who, 'monitor-mode');
    if (l.s.stage === 'live') this.run(l, () => this.apply(l, from, mode));
    return M.view(l.s);
  }

  /** Ends a call's session: the supervisor's leg and snoop are hung up, the call goes on. */
  stop(who: M.Who, callId: string): M.MonitorView {
    const l = this.sessionOf(callId);
    this.end(l, 'stopped', who);
    return M.view(l.s);
  }

  /** Ends every live session, the calls going on (their engine leaves this process: handed back). */
  endAll(reason: M.MonitorEndReason): void {
    for (const l of [...this.live.values()]) this.end(l, reason);
  }

  private sessionOf(callId: string): Live {
    return this.liveOf(callId) ?? throwNoMonitor(callId);
  }

  private liveOf(callId: string): Live | undefined {
    return this.live.get(this.byCall.get(callId) ?? '');
  }

  private own(l: Live, id: string): void {
    this.byChannel.set(id, l.s.id);
    this.o.telephony.claim(MONITOR_ROLE, id);
  }

  private run(l: Live, step: () => Promise<void>): void {
    l.chain = l.chain.then(async () => {
      if (l.s.stage === 'ended') return;
      try {
        await step();
      } catch (err) {
        this.o.logger.warn(
          { monitorId: l.s.id, callId: l.s.callId, err: (err as Error).message },
          'monitor: the PBX refused a step',
        );
        this.end(l, 'failed');
      }
    });
  }

  private onEvent(e: TelephonyEvent): void {
    if (e.kind !== 'channel-entered' && e.kind !== 'channel-ended') return;
    const id =
      this.byChannel.get(e.channelId) ??
      (e.kind === 'channel-entered' && e.args[0] === MONITOR_ROLE ? e.args[1] : undefined);
    const l = id === undefined ? undefined : this.live.get(id);
    if (e.kind === 'channel-ended') {
      this.byChannel.delete(e.channelId);
      this.o.telephony.release(e.channelId);
      if (l) this.ended(l, e.channelId);
      return;
    }
    if (!l || l.s.stage === 'ended') return this.stray(e.channelId, 'of no live session');
    const s = l.s;
    if (e.channelId === s.supervisorChannel) {
      s.stage = 'live';
      this.run(l, () => this.apply(l, undefined, s.mode));
    } else if (e.channelId === s.pendingSnoop) {
      this.run(l, () => this.snoopEntered(l, e.channelId));
    } else {
      this.drop(l, e.channelId);
    }
  }

  /** A leg or snoop of no live session (ended, or of an earlier run): nobody listens to it. */
  private stray(channelId: string, why: string): void {
    this.o.logger.info({ channelId }, `monitor: hanging up a channel ${why}`);
    this.o.telephony.release(channelId);
    void this.o.telephony.hangup(channelId, 'normal').catch(() => undefined);
  }

  private ended(l: Live, channelId: string): void {
    const s = l.s;
    if (l.dropped.delete(channelId)) return;
    if (channelId === s.supervisorChannel)
      return this.end(l, s.stage === 'dialing' ? 'supervisor-unreachable' : 'supervisor-hung-up');
    // The snoop went without being asked to: the agent's leg is gone.
    if (channelId === s.snoop || channelId === s.pendingSnoop) return this.end(l, 'call-ended');
  }

  /** Puts the supervisor's leg in `to` from `from` (undefined: just answered, in no bridge). */
  private async apply(l: Live, from: M.MonitorMode | undefined, to: M.MonitorMode): Promise<void> {
    const s = l.s;
    const step = M.stepTo(from, to);
    const tel = this.o.telephony;
    if (step.kind === 'join-call') {
      if (l.inBridge === 'own') await tel.removeFromBridge(s.bridgeId, [s.supervisorChannel]);
      l.inBridge = undefined;
      this.dropSnoops(l);
      await tel.addToBridge(s.callBridge, [s.supervisorChannel]);
      l.inBridge = 'call';
    } else if (step.kind === 'snoop') {
      if (l.inBridge === 'call') {
        await tel.removeFromBridge(s.callBridge, [s.supervisorChannel]);
        l.inBridge = undefined;
      }
      if (!l.ownBridge) {
        this.own(l, s.bridgeId);
        await tel.createBridge(s.bridgeId);
        l.ownBridge = true;
      }
      if (s.pendingSnoop) this.drop(l, s.pendingSnoop);
      const snoopId = M.nextSnoopId(s);
      s.snoops++;
      s.pendingSnoop = snoopId;
      this.own(l, snoopId);
      await tel.snoop({
        channelId: s.agentChannel,
        snoopId,
        spy: step.spy,
        whisper: step.whisper,
        app: this.o.engine.call(s.callId)?.app ?? '',
        appArgs: `${MONITOR_ROLE},${s.id}`,
      });
    }
  }

  /** A snoop is in the app: it joins the supervisor's bridge, the one it replaces is hung up. */
  private async snoopEntered(l: Live, snoopId: string): Promise<void> {
    const s = l.s;
    if (s.pendingSnoop !== snoopId) return this.drop(l, snoopId);
    const joining = l.inBridge === 'own' ? [snoopId] : [snoopId, s.supervisorChannel];
    await this.o.telephony.addToBridge(s.bridgeId, joining);
    l.inBridge = 'own';
    const old = s.snoop;
    s.snoop = snoopId;
    s.pendingSnoop = undefined;
    if (old) this.drop(l, old);
  }

  /** Hangs up one of the session's snoops on purpose (its end is expected). */
  private drop(l: Live, channelId: string): void {
    l.dropped.add(channelId);
    if (l.s.snoop === channelId) l.s.snoop = undefined;
    if (l.s.pendingSnoop === channelId) l.s.pendingSnoop = undefined;
    void this.o.telephony.hangup(channelId, 'normal').catch(() => undefined);
  }

  private dropSnoops(l: Live): void {
    for (const id of [l.s.snoop, l.s.pendingSnoop]) if (id) this.drop(l, id);
  }

  private callGone(callId: string): void {
    const l = this.liveOf(callId);
    if (l) this.end(l, 'call-ended');
  }

  /** Ends a session: its legs are hung up and its bridge destroyed; the call is not touched. */
  private end(l: Live, reason: M.MonitorEndReason, who?: M.Who): void {
    const s = l.s;
    if (s.stage === 'ended') return;
    s.stage = 'ended';
    s.endedAt = this.o.clock.now();
    s.endReason = reason;
    this.live.delete(s.id);
    if (this.byCall.get(s.callId) === s.id) this.byCall.delete(s.callId);
    this.audit(l, who ?? s, 'monitor-end', reason);
    const tel = this.o.telephony;
    const legs = [s.supervisorChannel, s.snoop, s.pendingSnoop].filter((c): c is string => Boolean(c));
    // Runs after any step in progress, so nothing it creates is left behind.
    l.chain = l.chain.then(async () => {
      await Promise.all(legs.map((c) => tel.hangup(c, 'normal').catch(() => undefined)));
      if (l.ownBridge) {
        await tel.destroyBridge(s.bridgeId).catch(() => undefined);
        tel.release(s.bridgeId);
      }
      for (const c of legs) this.byChannel.delete(c);
    });
  }

  private audit(l: Live, who: M.Who, action: AuditAction, reason?: M.MonitorEndReason): void {
    const record = M.auditRecord(l.s, who, action, this.o.clock.now(), reason);
    const failed = (err: Error) =>
      this.o.logger.error({ err: err.message, record }, 'monitor: the audit log refused an entry');
    this.o.audit(record).catch(failed);
  }
}

function throwNoMonitor(callId: string): never {
  throw new HotlineError('no-such-monitor', `call "${callId}" is not monitored`);
}
