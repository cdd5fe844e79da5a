import type { AriEvent } from './apps.ts';
import type { SimBridge } from './model/bridge.ts';
import type { SimChannel } from './model/channel.ts';
import type { SimPlayback } from './model/playback.ts';
import { asteriskTime } from './time.ts';

/**
 * Builds ARI events shaped like the recorded ones: `type`, `timestamp`, the event's own fields,
 * the object snapshot(s), then `asterisk_id` (the registry appends `application`).
 */
export class EventFactory {
  constructor(
    private readonly now: () => number,
    private readonly asteriskId: string,
  ) {}

  private stamp(): string {
    return asteriskTime(this.now());
  }

  channel(type: string, channel: SimChannel, fields?: Record<string, unknown>): AriEvent {
    return {
      type,
      timestamp: this.stamp(),
      ...fields,
      channel: channel.toJSON(),
      asterisk_id: this.asteriskId,
    };
  }

  bridge(type: string, bridge: SimBridge, channel?: SimChannel): AriEvent {
    const event: AriEvent = { type, timestamp: this.stamp(), bridge: bridge.toJSON() };
    if (channel) event.channel = channel.toJSON();
    event.asterisk_id = this.asteriskId;
    return event;
  }

  playback(type: string, playback: SimPlayback): AriEvent {
    return { type, timestamp: this.stamp(), playback: playback.toJSON(), asterisk_id: this.asteriskId };
  }

  dial(peer: SimChannel, dialstatus: string, dialstring: string): AriEvent {
    return {
      type: 'Dial',
      timestamp: this.stamp(),
      dialstatus,
      forward: '',
      dialstring,
      peer: peer.toJSON(),
      asterisk_id: this.asteriskId,
    };
  }

  plain(type: string, fields?: Record<string, unknown>): AriEvent {
    return { type, timestamp: this.stamp(), ...fields, asterisk_id: this.asteriskId };
  }
}
