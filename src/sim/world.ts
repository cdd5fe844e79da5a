import type { TimerHandle } from '../clock.ts';
import type { AppRecord, AriEvent } from './apps.ts';
import type { EventFactory } from './events.ts';
import type { SimBridge } from './model/bridge.ts';
import type { SimChannel } from './model/channel.ts';
import type { SimPlayback } from './model/playback.ts';
import type { SimTimers } from './time.ts';

/** What a channel waits for in a scripted call: to be answered, bridged, or a prompt to start. */
export type WaitKind = 'answered' | 'bridged' | 'playback';

/**
 * The part of the simulated Asterisk that bridging and media work on: its channels, bridges and
 * playbacks, its timers and event delivery. The core (`core.ts`) is one; bridging and media take
 * this rather than the core, so the core can call them without a circle of imports.
 */
export interface SimWorld {
  readonly channels: Map<string, SimChannel>;
  readonly bridges: Map<string, SimBridge>;
  readonly playbacks: Map<string, SimPlayback>;
  readonly timers: SimTimers;
  readonly ev: EventFactory;
  nextUniqueId(): string;
  promptMs(media: string): number;
  /** Runs `fn` after `simMs` simulated ms unless the channel is gone by then. */
  later(channel: SimChannel, simMs: number, fn: () => void): TimerHandle;
  emit(channel: SimChannel, type: string, fields?: Record<string, unknown>): void;
  deliver(event: AriEvent, targets: Iterable<AppRecord>): void;
  signal(channel: SimChannel, kind: WaitKind): void;
}
