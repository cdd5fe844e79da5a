import type { TimerHandle } from '../../clock.ts';
import type { AppRecord } from '../apps.ts';
import type { CallOutcomeRecord } from '../outcomes.ts';
import type { SimBridge } from './bridge.ts';
import type { SimPlayback } from './playback.ts';

export type ChannelState = 'Down' | 'Ring' | 'Ringing' | 'Up';
/**
 * inbound: a caller entering Stasis(); originated: POST /channels; created: POST /channels/create;
 * snoop: POST /channels/{id}/snoop (see snoop.ts).
 */
export type ChannelKind = 'inbound' | 'originated' | 'created' | 'snoop';

export interface CallerId {
  name: string;
  number: string;
}

export interface Dialplan {
  context: string;
  exten: string;
  priority: number;
  app_name: string;
  app_data: string;
}

export interface ChannelJson {
  id: string;
  name: string;
  state: ChannelState;
  protocol_id: string;
  caller: CallerId;
  connected: CallerId;
  accountcode: string;
  dialplan: Dialplan;
  creationtime: string;
  language: string;
  /** ari.conf's channelvars, when the dialplan set one (the carrier's SIP Call-ID). */
  channelvars?: Record<string, string>;
}

export interface ChannelInit {
  id: string;
  name: string;
  kind: ChannelKind;
  state: ChannelState;
  endpoint: string;
  protocolId: string;
  caller: CallerId;
  connected: CallerId;
  dialplan: Dialplan;
  creationtime: string;
}

/** A live channel and everything the simulator tracks about it. */
export class SimChannel {
  readonly id: string;
  readonly name: string;
  readonly kind: ChannelKind;
  readonly endpoint: string;
  readonly creationtime: string;
  state: ChannelState;
  protocolId: string;
  caller: CallerId;
  connected: CallerId;
  dialplan: Dialplan;
  language = 'en';
  /** The app that owns the channel (its Stasis app, or the app named at originate). */
  app: string | undefined;
  inStasis = false;
  stasisArgs: string[] = [];
  /** Apps that receive this channel's events. */
  readonly subscribers = new Set<AppRecord>();
  /**
   * How many subscriptions each app holds on the channel, as Asterisk counts them: one for being
   * in its Stasis app (dropped as StasisEnd is sent), one for being originated or created for it,
   * one per `POST /applications/{app}/subscription` of `channel:<id>`. The app gets the channel's
   * events while it holds at least one.
   */
  readonly subscriptions = new Map<AppRecord, number>();
  bridge: SimBridge | undefined;
  playbacks: SimPlayback[] = [];
  moh: string | undefined;
  ringing = false;
  held = false;
  /** The muted directions (ARI `POST /channels/{id}/mute`): `in` what the phone sends, `out` what it hears. */
  readonly muted = new Set<'in' | 'out'>();
  answeredAt: number | undefined;
  /** Set once a dial attempt (originate or /dial) has started. */
  dialed = false;
  dialstring = '';
  readonly vars = new Map<string, string>();
  /** What ari.conf's channelvars show of the channel (the project's: HOTLINE_SIP_CALL_ID). */
  channelvars: Record<string, string> | undefined;
  private readonly timers = new Set<TimerHandle>();
  hangingUp = false;
  destroyed = false;
  outcome: CallOutcomeRecord | undefined;
  /** A snoop channel: the channel it listens to and its directions (see snoop.ts). */
  snoop:
    | { of: string; spy: 'none' | 'in' | 'out' | 'both'; whisper: 'none' | 'in' | 'out' | 'both' }
    | undefined;
  /** The snoop channels on this channel. */
  readonly snoops = new Set<SimChannel>();

  constructor(init: ChannelInit) {
    this.id = init.id;
    this.name = init.name;
    this.kind = init.kind;
    this.state = init.state;
    this.endpoint = init.endpoint;
    this.protocolId = init.protocolId;
    this.caller = init.caller;
    this.connected = init.connected;
    this.dialplan = init.dialplan;
    this.creationtime = init.creationtime;
  }

  toJSON(): ChannelJson {
    return {
      id: this.id,
      name: this.name,
      state: this.state,
      protocol_id: this.protocolId,
      caller: this.caller,
      connected: this.connected,
      accountcode: '',
      dialplan: this.dialplan,
      creationtime: this.creationtime,
      language: this.language,
      ...(this.channelvars ? { channelvars: { ...this.channelvars } } : {}),
    };
  }

  /** Remembers a timer so that it is cancelled when the channel goes away. */
  track(handle: TimerHandle): void {
    this.timers.add(handle);
  }

  untrack(handle: TimerHandle): void {
    this.timers.delete(handle);
  }

  cancelTimers(): void {
    for (const t of this.timers) t.cancel();
    this.timers.clear();
  }
}
