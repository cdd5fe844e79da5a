import type { Logger } from 'pino';
import type { Clock } from '../../../clock.ts';
import { HotlineError } from '../../../errors.ts';
import { maskNumber } from '../../../log.ts';
import type { DialAllowList } from '../../../telephony/dial-allow-list.ts';
import { TelephonyError, type TelephonyPort } from '../../../telephony/port.ts';
import type { CallEvent, Command } from '../../core/types.ts';
import type { Live, Registry } from '../registry.ts';
import type { EngineStats } from '../stats.ts';

export type TelephonyCommand = Extract<
  Command,
  {
    kind:
      | 'answer'
      | 'play'
      | 'stop-playback'
      | 'hangup'
      | 'originate'
      | 'create-bridge'
      | 'bridge-moh'
      | 'add-to-bridge'
      | 'destroy-bridge'
      | 'remove-from-bridge';
  }
>;

export interface TelephonyExecutorOptions {
  telephony: TelephonyPort;
  registry: Registry;
  clock: Clock;
  logger: Logger;
  stats: EngineStats;
  media: (promptId: string) => string;
  deliver: (callId: string, event: CallEvent) => boolean;
  /** The endpoints the engine may originate to (roster phones, plan targets), as published now. */
  allowList: () => DialAllowList;
  /**
   * An agent's phone was refused by the allow-list: the agent is not offered calls on it again.
   * Awaited before the call hears of the failure, so the agent is released with the phone off.
   */
  agentPhoneRefused: (agentId: string, callId: string) => Promise<void>;
}

/** The endpoint of an originate is not on the allow-list: it is never sent to the PBX. */
export class DialRefusedError extends HotlineError {
  constructor(readonly endpoint: string) {
    super('dial-refused', 'the endpoint is not on the dial allow-list');
  }
}

/** An endpoint for the log: long digit runs (a number someone typed) are masked. */
const endpointForLog = (endpoint: string) => endpoint.replace(/\+?\d{5,}/g, (m) => maskNumber(m));

/**
 * Runs telephony commands against the PBX: in the call's order, except ringing and hanging up
 * legs and stopping playback, which depend on nothing queued before them. Records the ids it
 * hands out (originated channels, created bridges, playbacks) in the registry as it goes.
 */
export class TelephonyExecutor {
  /** Commands taken and not yet answered by the PBX (admission control's `pendingCommands`). */
  pending = 0;

  constructor(private readonly o: TelephonyExecutorOptions) {}

  /** Counts work for the PBX as pending until it settles either way (a failure stays with its chain). */
  track(work: Promise<unknown>): void {
    this.pending++;
    const settled = () => {
      this.pending--;
    };
    void work.then(settled, settled);
  }

  /** Takes a command; `mark` (when given) samples the action latency as it is sent. */
  submit(live: Live, c: TelephonyCommand, mark?: () => void): void {
    const r = this.o.registry;
    switch (c.kind) {
      case 'originate':
        r.originate(live, c.channelId, this.o.clock.now());
        return this.immediate(live, c, mark);
      case 'stop-playback':
        return this.immediate(live, c, mark);
      case 'hangup':
        if (c.channel !== live.state.callerChannel) return this.immediate(live, c, mark);
        break;
      case 'create-bridge':
        r.createBridge(live, c.bridgeId, this.o.clock.now());
        break;
      case 'play':
        r.playing(live, c.playbackId);
        break;
    }
    live.chain = live.chain.then(() => {
      mark?.();
      return this.execute(live, c);
    });
    this.track(live.chain);
  }

  /** Runs a command at once, outside the call's ordered chain. */
  private immediate(live: Live, c: TelephonyCommand, mark: (() => void) | undefined): void {
    mark?.();
    this.track(this.execute(live, c));
  }

  private async execute(live: Live, c: TelephonyCommand): Promise<void> {
    const id =
      c.kind === 'originate'
        ? c.channelId
        : c.kind === 'hangup'
          ? c.channel
          : c.kind === 'create-bridge' || c.kind === 'destroy-bridge'
            ? c.bridgeId
            : undefined;
    if (id === undefined) return this.attempt(live, c);
    this.o.registry.sending(id);
    try {
      await this.attempt(live, c);
    } finally {
      this.o.registry.settled(id);
    }
  }

  private async attempt(live: Live, c: TelephonyCommand): Promise<void> {
    try {
      await this.send(live, c);
      for (const ch of channelsOf(c)) live.touched.add(ch);
    } catch (err) {
      await this.failed(live, c, err);
    }
  }

  private async send(live: Live, c: TelephonyCommand): Promise<void> {
    const t = this.o.telephony;
    switch (c.kind) {
      case 'answer':
        return await t.answer(c.channel);
      case 'play':
        return await t.play(c.channel, c.playbackId, this.o.media(c.prompt));
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
        this.o.registry.gone(c.bridgeId);
        return;
      case 'remove-from-bridge':
        return await t.removeFromBridge(c.bridgeId, [c.channel]);
      case 'originate':
        if (!this.o.allowList().allows(c.endpoint, c.role)) throw new DialRefusedError(c.endpoint);
        await t.originate({
          app: live.state.app,
          channelId: c.channelId,
          endpoint: c.endpoint,
          callerId: c.callerId,
          timeoutSeconds: c.timeoutSeconds,
          variables: c.variables,
          // For the dialplan and logs only: the engine knows its legs from the registry.
          appArgs: `${c.role},${live.state.id}`,
        });
        // The call gave the leg up while the originate was on its way (the caller left, the
        // ring timer fired): a hang-up sent meanwhile may have found no channel yet.
        if (!this.o.registry.usesChannel(live.state.id, c.channelId))
          this.hangupStray(c.channelId, live.state.id, 'given up while dialling');
        return;
    }
  }

  /** A command failed: expected ends stay quiet, races are counted, refusals warned about and handled. */
  private async failed(live: Live, c: TelephonyCommand, err: unknown): Promise<void> {
    const { stats, logger } = this.o;
    const status = err instanceof TelephonyError ? err.status : undefined;
    // 404: the channel, bridge or playback is already gone; its own event tells the rest.
    if (
      status === 404 &&
      (c.kind === 'hangup' ||
        c.kind === 'destroy-bridge' ||
        c.kind === 'stop-playback' ||
        c.kind === 'remove-from-bridge')
    ) {
      if (c.kind === 'destroy-bridge') this.o.registry.gone(c.bridgeId);
      return;
    }
    const callId = live.state.id;
    if (err instanceof DialRefusedError && c.kind === 'originate') {
      stats.dialsRefused++;
      const agentId = agentOfLeg(live, c.channelId);
      logger.error(
        { callId, role: c.role, endpoint: endpointForLog(c.endpoint), ...(agentId ? { agentId } : {}) },
        'refused to dial an endpoint outside the allow-list (roster phones and plan targets)',
      );
      if (agentId) await this.o.agentPhoneRefused(agentId, callId);
    } else if (err instanceof TelephonyError && err.transport) {
      stats.commandTransportFailures++;
      logger.warn(
        { callId, command: c.kind, err: err.message },
        'PBX did not answer a command (connection broken or timed out)',
      );
    } else if (await this.lostRace(live, c, status)) {
      // The caller (or agent) hung up while the command was on its way: expected, not a refusal.
      stats.commandRaces++;
      logger.debug({ callId, command: c.kind, status }, 'a command found its channel gone (hang-up race)');
    } else {
      stats.commandFailures++;
      logger.warn({ callId, command: c.kind, status, err: (err as Error).message }, 'PBX refused a command');
    }
    if (status === 404 && c.kind === 'answer' && c.channel === live.state.callerChannel) {
      // The caller's channel does not exist (a StasisStart for a channel that was never there,
      // or whose end was not seen): no event will end this call, so it ends here.
      this.o.deliver(callId, {
        kind: 'channel-ended',
        channel: c.channel,
        cause: 0,
        causeText: 'channel not found',
        lost: true,
      });
      return;
    }
    this.o.deliver(callId, {
      kind: 'command-failed',
      command: c,
      ...(status !== undefined ? { status } : {}),
    });
  }

  /**
   * Whether a failed command lost a race with a hang-up: it names channels (play, answer, bridge
   * membership) and one of them is gone — the call no longer has it, or the PBX does not.
   */
  private async lostRace(live: Live, c: TelephonyCommand, status: number | undefined): Promise<boolean> {
    if (status !== 400 && status !== 404 && status !== 409 && status !== 422) return false;
    if (c.kind === 'originate' || c.kind === 'hangup') return false;
    // Only a channel the PBX had already taken commands for can have been lost to a hang-up
    // meanwhile; one gone before the engine's first command is a genuine "not found".
    const r = this.o.registry;
    for (const ch of channelsOf(c)) {
      if (!live.touched.has(ch)) continue;
      if (!r.has(live.state.id) || !r.usesChannel(live.state.id, ch)) return true;
      try {
        if (!(await this.o.telephony.channelExists(ch))) return true;
      } catch {
        return false;
      }
    }
    return false;
  }

  /** Hangs up a leg the engine originated whose call no longer wants it. */
  hangupStray(channelId: string, callId: string, why: string): void {
    this.o.logger.info({ callId, channelId, why }, 'hanging up a leg its call no longer has');
    this.o.telephony.hangup(channelId, 'normal').catch((err) => {
      if (!(err instanceof TelephonyError && err.status === 404))
        this.o.logger.warn({ callId, err: (err as Error).message }, 'could not hang up a stray leg');
    });
  }
}

/** The agent a leg rings: the offered agent, or the expert of a consult. */
function agentOfLeg(live: Live, channelId: string): string | undefined {
  const s = live.state;
  if (s.offer?.channelId === channelId) return s.offer.agentId;
  if (s.transfer?.channelId === channelId) return s.transfer.expert?.agentId;
  return undefined;
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
