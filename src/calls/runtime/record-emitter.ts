import type { Logger } from 'pino';
import type { CallerEncryptor } from '../../records/caller-crypto.ts';
import { buildCallRecord, liveEventsSince, type RecordSink } from '../../records/record.ts';
import type { CallState } from '../core/types.ts';
import type { Live } from './registry.ts';
import type { EngineStats } from './stats.ts';

/** Sends a call's live events while it runs, and its record when it ends. */
export class RecordEmitter {
  constructor(
    private readonly o: {
      records: RecordSink;
      recordCipher?: CallerEncryptor | undefined;
      stats: EngineStats;
      logger: Logger;
    },
  ) {}

  /** Live call events for the ticketing system since the last ones sent (when the sink takes them). */
  liveEvents(live: Live): void {
    const sink = this.o.records;
    if (!sink.event) {
      live.eventsSent = live.state.events.length;
      return;
    }
    for (const e of liveEventsSince(live.state, live.eventsSent)) {
      sink.event(e).catch((err) => {
        this.o.stats.recordFailures++;
        this.o.logger.warn(
          { callId: live.state.id, err: (err as Error).message },
          'live call event not accepted',
        );
      });
    }
    live.eventsSent = live.state.events.length;
  }

  /** Writes the record of a call that ended; resolves once the sink has it durably, else rejects. */
  async record(s: CallState): Promise<void> {
    const record = buildCallRecord(s, this.o.recordCipher ? { encrypt: this.o.recordCipher } : {});
    try {
      await this.o.records.write(record);
      this.o.stats.recordsWritten++;
    } catch (err) {
      this.o.stats.recordFailures++;
      this.o.logger.error({ callId: s.id, err: (err as Error).message }, 'call record could not be written');
      throw err;
    }
  }
}
