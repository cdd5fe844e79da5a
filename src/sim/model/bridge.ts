import type { AppRecord } from '../apps.ts';
import type { SimChannel } from './channel.ts';
import type { SimPlayback } from './playback.ts';

export interface BridgeJson {
  id: string;
  technology: string;
  bridge_type: string;
  bridge_class: string;
  creator: string;
  name: string;
  channels: string[];
  creationtime: string;
  video_mode: string;
}

/** A Stasis bridge. It lives until `DELETE /bridges/{id}`, even when empty. */
export class SimBridge {
  readonly channels = new Map<string, SimChannel>();
  technology: string;
  moh: string | undefined;
  playbacks: SimPlayback[] = [];
  /** Apps subscribed through their channels being in the bridge (count per app). */
  readonly implicit = new Map<AppRecord, number>();
  /** Apps subscribed with POST /applications/{app}/subscription. */
  readonly explicit = new Set<AppRecord>();
  destroyed = false;

  constructor(
    readonly id: string,
    readonly bridgeType: string,
    readonly name: string,
    readonly creationtime: string,
  ) {
    this.technology = bridgeType === 'holding' ? 'holding_bridge' : 'simple_bridge';
  }

  /**
   * The technology Asterisk settles on for the current members: two answered channels go
   * native_rtp, three or more softmix, otherwise simple_bridge. Events report the technology
   * in force before this re-evaluation, as the traces show.
   */
  evaluateTechnology(): void {
    if (this.bridgeType === 'holding') return;
    const n = this.channels.size;
    if (n >= 3) this.technology = 'softmix';
    else if (n === 2 && [...this.channels.values()].every((c) => c.state === 'Up'))
      this.technology = 'native_rtp';
    else this.technology = 'simple_bridge';
  }

  subscribers(): Set<AppRecord> {
    if (this.explicit.size === 0) return new Set(this.implicit.keys());
    return new Set([...this.implicit.keys(), ...this.explicit]);
  }

  toJSON(): BridgeJson {
    return {
      id: this.id,
      technology: this.technology,
      bridge_type: this.bridgeType,
      bridge_class: 'stasis',
      creator: 'Stasis',
      name: this.name,
      channels: [...this.channels.keys()],
      creationtime: this.creationtime,
      video_mode: 'talker',
    };
  }
}
