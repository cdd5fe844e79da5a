import type { TimerHandle } from '../../clock.ts';
import type { RoutingPlan } from '../../plan/compile.ts';
import type { CallState } from '../core/types.ts';

/** A live call and what the runtime keeps beside its state. */
export interface Live {
  state: CallState;
  plan: RoutingPlan;
  timers: Map<string, TimerHandle>;
  /** Telephony commands of a call run in order; each call has its own chain. */
  chain: Promise<void>;
  acdChain: Promise<void>;
  /** How many entries of the call's event log went out as live events. */
  eventsSent: number;
  /** The channels of this call in the channel map (dropped when it ends). */
  channels: Set<string>;
  /** Channels the PBX has accepted a command for: a later "not found" on one is a hang-up race. */
  touched: Set<string>;
  /** Playbacks started for this call (dropped from the playback map when it ends). */
  playbacks: Set<string>;
}

/** A channel the engine originated or a bridge it created, until it is gone. */
export interface Created {
  kind: 'channel' | 'bridge';
  callId: string;
  at: number;
}

/**
 * Who owns what: live calls, channel → call, the channels the engine originated and bridges it
 * created, playback → call, and the ids with a command on its way. Every id is recorded when it
 * is handed out; none is ever parsed back out of a string.
 */
export class Registry {
  private readonly calls = new Map<string, Live>();
  /** Every channel a live call owns → the call. */
  private readonly channels = new Map<string, string>();
  /** Every channel the engine originated and bridge it created, until it is gone. */
  private readonly created = new Map<string, Created>();
  /** Originated channels → their call, until the channel's end: a late answer is a stray leg. */
  private readonly originated = new Map<string, string>();
  /** Playback ids → their call, from the `play` command until the playback or the call ends. */
  private readonly playbacks = new Map<string, string>();
  /** Channels and bridges with a command on its way (originate, hang-up, create, destroy). */
  private readonly inFlight = new Map<string, number>();

  /** Registers a live call (new or restored) with its own command chains. */
  adopt(state: CallState, plan: RoutingPlan, eventsSent: number): Live {
    const live: Live = {
      state,
      plan,
      timers: new Map(),
      chain: Promise.resolve(),
      acdChain: Promise.resolve(),
      eventsSent,
      channels: new Set(),
      touched: new Set(),
      playbacks: new Set(),
    };
    this.calls.set(state.id, live);
    return live;
  }

  /** Registers a restored call's channels, bridges and playback as this engine's. */
  restore(live: Live, now: number): void {
    const state = live.state;
    for (const ch of legsOf(state)) {
      if (!ch) continue;
      this.own(live, ch);
      if (ch !== state.callerChannel) this.originate(live, ch, now);
    }
    for (const b of [state.bridgeId, state.transfer?.consultBridgeId]) {
      if (b) this.createBridge(live, b, now);
    }
    if (state.playback) this.playing(live, state.playback.id);
  }

  get(callId: string): Live | undefined {
    return this.calls.get(callId);
  }

  has(callId: string): boolean {
    return this.calls.has(callId);
  }

  get size(): number {
    return this.calls.size;
  }

  /** The live calls, as a list taken now (safe while calls end). */
  all(): Live[] {
    return [...this.calls.values()];
  }

  /** What the engine originated or created, as a list taken now. */
  madeAll(): [string, Created][] {
    return [...this.created];
  }

  /** The channel originated or bridge created under this id, while not known to be gone. */
  made(id: string): Created | undefined {
    return this.created.get(id);
  }

  /** An orphan the reconciliation is ending: no longer counted as made (its end event may follow). */
  abandon(id: string): void {
    this.created.delete(id);
  }

  /** Maps a channel to its call. */
  own(live: Live, channelId: string): void {
    live.channels.add(channelId);
    this.channels.set(channelId, live.state.id);
  }

  callOfChannel(channelId: string): string | undefined {
    return this.channels.get(channelId);
  }

  /** A channel the engine originates for a call. */
  originate(live: Live, channelId: string, now: number): void {
    this.own(live, channelId);
    this.created.set(channelId, { kind: 'channel', callId: live.state.id, at: now });
    this.originated.set(channelId, live.state.id);
  }

  /** The call a channel was originated for, while the channel may still be there. */
  originatedFor(channelId: string): string | undefined {
    return this.originated.get(channelId);
  }

  /** A bridge the engine creates for a call. */
  createBridge(live: Live, bridgeId: string, now: number): void {
    this.created.set(bridgeId, { kind: 'bridge', callId: live.state.id, at: now });
  }

  /** Whether the engine created this bridge and has not seen it go. */
  isOwnBridge(bridgeId: string): boolean {
    return this.created.get(bridgeId)?.kind === 'bridge';
  }

  /** A channel has ended (its event came): neither created nor originated any longer. */
  channelEnded(channelId: string): void {
    this.created.delete(channelId);
    this.originated.delete(channelId);
  }

  /** A created channel or bridge the PBX no longer has. */
  gone(id: string): void {
    this.created.delete(id);
    this.originated.delete(id);
  }

  /** A playback started for a call. */
  playing(live: Live, playbackId: string): void {
    live.playbacks.add(playbackId);
    this.playbacks.set(playbackId, live.state.id);
  }

  /** The call a playback was started for; forgotten once it finished. */
  playbackFinished(playbackId: string): string | undefined {
    const callId = this.playbacks.get(playbackId);
    this.playbacks.delete(playbackId);
    const live = callId === undefined ? undefined : this.calls.get(callId);
    live?.playbacks.delete(playbackId);
    return callId;
  }

  /** Takes an ended call out of the live calls; its channels stay mapped until `dropChannels`. */
  remove(live: Live): void {
    this.calls.delete(live.state.id);
    for (const p of live.playbacks) this.playbacks.delete(p);
    live.playbacks.clear();
  }

  dropChannels(live: Live): void {
    for (const ch of live.channels) this.channels.delete(ch);
  }

  /** Marks a command on its way for a channel or bridge until `settled`. */
  sending(id: string): void {
    this.inFlight.set(id, (this.inFlight.get(id) ?? 0) + 1);
  }

  settled(id: string): void {
    const n = (this.inFlight.get(id) ?? 1) - 1;
    if (n > 0) this.inFlight.set(id, n);
    else this.inFlight.delete(id);
  }

  isSending(id: string): boolean {
    return this.inFlight.has(id);
  }

  /** Whether a live call still has this channel as one of its legs. */
  usesChannel(callId: string, channelId: string): boolean {
    const s = this.calls.get(callId)?.state;
    if (!s || s.stage === 'ended') return false;
    return legsOf(s).includes(channelId);
  }
}

/**
 * A call's legs: offer, transfer, target, agent, caller (in the order they are judged), and a
 * call-back's legs: the one ringing the caller, and its agent's (the caller has none until they
 * answer: `''`).
 */
export function legsOf(s: CallState): (string | undefined)[] {
  return [
    s.offer?.channelId,
    s.transfer?.channelId,
    s.target?.channelId,
    s.agent?.channelId,
    s.callerChannel,
    s.callback?.channelId,
    s.callback?.agent?.channelId,
  ];
}
