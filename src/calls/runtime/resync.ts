import type { Logger } from 'pino';
import { listingCovers, type TelephonyEvent, type TelephonyPort } from '../../telephony/port.ts';
import type { CallEvent } from '../core/types.ts';
import { legsOf, type Registry } from './registry.ts';

export interface ResyncParts {
  registry: Registry;
  telephony: TelephonyPort;
  logger: Logger;
  deliver: (callId: string, event: CallEvent) => void;
  /** Channels whose end came after the listing was asked for (the listing may still show them). */
  endedSince: ReadonlySet<string>;
  /** Whether an id belongs to a call that has ended (its tombstone). */
  ended: (id: string) => boolean;
  hangupStray: (channelId: string, callId: string, why: string) => void;
  /** A channel found in the app that no call owns: handled as if it had just entered. */
  entered: (e: Extract<TelephonyEvent, { kind: 'channel-entered' }>) => void;
}

/**
 * After an outage Asterisk has dropped the events of the meantime: compare what the apps own
 * with the live calls. Gone channels end their calls; unknown channels are calls that arrived
 * during the outage; finished playbacks move their calls on; bridges no live call uses (of the
 * apps', or empty ones the engine created) are removed.
 *
 * The listing is one snapshot, judged against what is known when each entry is acted on: a
 * channel whose end came meanwhile is left alone, a leg the engine originated is never taken for
 * a caller, and an id whose call has ended (tombstone) is hung up, never started again.
 */
export async function resync(p: ResyncParts): Promise<void> {
  const { registry, telephony } = p;
  const owned = await telephony.owned((bridgeId) => registry.isOwnBridge(bridgeId));
  const present = new Set(owned.channels.map((c) => c.id));
  const up = new Set(owned.channels.filter((c) => c.state === 'Up').map((c) => c.id));
  // With several nodes, only the reachable ones are listed: calls on the others are left alone.
  const covered = (id: string) => listingCovers(owned, telephony, id);
  // Legs that answered while the events were lost.
  for (const live of registry.all()) {
    const s = live.state;
    if (!covered(s.id)) continue;
    const answered = (ch: string | undefined) => ch !== undefined && up.has(ch);
    if (s.stage === 'ringing' && answered(s.offer?.channelId))
      p.deliver(s.id, { kind: 'channel-answered', channel: s.offer!.channelId });
    else if (s.transfer && s.transfer.answeredAt === undefined && answered(s.transfer.channelId))
      p.deliver(s.id, { kind: 'channel-answered', channel: s.transfer.channelId });
    else if (s.stage === 'dialing' && answered(s.target?.channelId))
      p.deliver(s.id, { kind: 'channel-answered', channel: s.target!.channelId });
    else if (s.stage === 'dialing' && answered(s.callback?.channelId))
      p.deliver(s.id, { kind: 'channel-answered', channel: s.callback!.channelId! });
  }
  for (const live of registry.all()) {
    const s = live.state;
    if (!covered(s.id)) continue;
    for (const ch of legsOf(s)) {
      if (ch && !present.has(ch) && registry.has(s.id)) {
        p.deliver(s.id, {
          kind: 'channel-ended',
          channel: ch,
          cause: 0,
          causeText: 'gone during ARI outage',
          lost: true,
        });
      }
    }
    const pb = live.state.playback;
    if (pb && registry.has(s.id) && !(await telephony.playbackExists(pb.id))) {
      registry.playbackFinished(pb.id);
      p.deliver(s.id, { kind: 'playback-finished', playbackId: pb.id, failed: false });
    }
  }
  for (const ch of owned.channels) {
    if (registry.callOfChannel(ch.id) !== undefined || p.endedSince.has(ch.id)) continue;
    const madeFor = registry.made(ch.id)?.callId ?? registry.originatedFor(ch.id);
    if (madeFor !== undefined) {
      p.hangupStray(ch.id, madeFor, 'a leg the engine originated, its call gone');
      continue;
    }
    if (p.ended(ch.id) || registry.has(ch.id)) {
      p.logger.info({ callId: ch.id }, 'a channel of a call that has ended is still listed: hanging it up');
      p.hangupStray(ch.id, ch.id, 'its call has ended');
      continue;
    }
    p.logger.info({ callId: ch.id }, 'picking up a call that arrived during the outage');
    const entered: Extract<TelephonyEvent, { kind: 'channel-entered' }> = {
      kind: 'channel-entered',
      app: ch.app,
      channelId: ch.id,
      args: [],
      dialed: ch.dialed,
      callerNumber: ch.callerNumber,
      callerName: ch.callerName,
      state: ch.state,
    };
    // A carrier call's channel through the SIP edge: served only if it is the call's one channel.
    if (ch.sipCallId !== undefined && telephony.admit) telephony.admit(entered, ch.sipCallId);
    else p.entered(entered);
  }
  const bridges = new Set(
    registry
      .all()
      .map((l) => l.state.bridgeId)
      .filter(Boolean),
  );
  for (const b of owned.bridges) {
    if (!bridges.has(b)) await telephony.destroyBridge(b).catch(() => undefined);
  }
}
