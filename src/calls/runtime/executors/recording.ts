import type { Logger } from 'pino';
import { TelephonyError, type TelephonyPort } from '../../../telephony/port.ts';
import type { CallEvent, Command } from '../../core/types.ts';
import type { Live } from '../registry.ts';
import type { EngineStats } from '../stats.ts';

export type RecordingCommand = Extract<Command, { kind: 'record-bridge' }>;

/**
 * Starts the recordings the call session decided on (capabilities/recording.ts): in the call's
 * order of telephony commands, so the bridge exists (and has its members) when it is recorded.
 * A refusal goes back to the call as `command-failed`, which marks the recording failed.
 */
export class RecordingExecutor {
  constructor(
    private readonly o: {
      telephony: TelephonyPort;
      stats: EngineStats;
      logger: Logger;
      deliver: (callId: string, event: CallEvent) => boolean;
      /** Counts the request as pending PBX work until it settles (admission control). */
      track: (work: Promise<unknown>) => void;
    },
  ) {}

  submit(live: Live, c: RecordingCommand): void {
    live.chain = live.chain.then(() => this.record(live, c));
    this.o.track(live.chain);
  }

  private async record(live: Live, c: RecordingCommand): Promise<void> {
    const t = this.o.telephony;
    try {
      if (!t.recordBridge) throw new TelephonyError(501, 'recordBridge', 'the PBX port cannot record');
      await t.recordBridge(c.bridgeId, c.name);
    } catch (err) {
      const status = err instanceof TelephonyError ? err.status : undefined;
      this.o.stats.commandFailures++;
      this.o.logger.warn(
        { callId: live.state.id, recording: c.name, status, err: (err as Error).message },
        'the PBX did not record a call bridge',
      );
      this.o.deliver(live.state.id, {
        kind: 'command-failed',
        command: c,
        ...(status !== undefined ? { status } : {}),
      });
    }
  }
}
