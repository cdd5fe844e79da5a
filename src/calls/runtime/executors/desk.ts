import type { Logger } from 'pino';
import { TelephonyError, type TelephonyPort } from '../../../telephony/port.ts';
import type { Command } from '../../core/types.ts';
import type { Live } from '../registry.ts';
import type { EngineStats } from '../stats.ts';

export type DeskCommand = Extract<Command, { kind: 'channel-moh' | 'channel-mute' }>;

/**
 * Runs the agent's hold and mute (capabilities/hold.ts) against the PBX: music on hold on the
 * citizen's channel, the agent's channel muted; in the call's order of telephony commands. A
 * channel already gone (404) is the call ending: its own event tells the rest. Other refusals are
 * counted and logged; the session's figures stand (the agent sees the state it asked for).
 */
export class DeskExecutor {
  constructor(
    private readonly o: {
      telephony: TelephonyPort;
      stats: EngineStats;
      logger: Logger;
      /** Counts the request as pending PBX work until it settles (admission control). */
      track: (work: Promise<unknown>) => void;
    },
  ) {}

  submit(live: Live, c: DeskCommand): void {
    live.chain = live.chain.then(() => this.run(live, c));
    this.o.track(live.chain);
  }

  private async run(live: Live, c: DeskCommand): Promise<void> {
    const t = this.o.telephony;
    try {
      if (c.kind === 'channel-moh') {
        if (!t.channelMoh) throw new TelephonyError(501, 'channelMoh', 'the PBX port cannot hold');
        await t.channelMoh(c.channel, c.on);
      } else {
        if (!t.muteChannel) throw new TelephonyError(501, 'muteChannel', 'the PBX port cannot mute');
        await t.muteChannel(c.channel, c.direction, c.on);
      }
    } catch (err) {
      const status = err instanceof TelephonyError ? err.status : undefined;
      if (status === 404) return;
      this.o.stats.commandFailures++;
      this.o.logger.warn(
        { callId: live.state.id, command: c.kind, on: c.on, status, err: (err as Error).message },
        'the PBX refused a hold or mute',
      );
    }
  }
}
