import type { Logger } from 'pino';
import { parseRecordingName } from '../calls/core/recording-name.ts';
import type { CallState } from '../calls/core/types.ts';
import type { Clock } from '../clock.ts';
import { RecentRecordings, type RecordedCall } from './recent.ts';
import { RetentionSweep } from './retention.ts';
import type { RecordingAudio, RecordingStore } from './store.ts';

/** Recording settings (RECORDING on): how long recordings are kept, how often old ones are swept. */
export interface RecordingSettings {
  retentionDays: number;
  sweepEveryMs: number;
}

/** One recorded call in the playback page's list: its recordings, and its details when known here. */
export interface RecordingListEntry {
  callId: string;
  /** When its first recording began (ISO). */
  startedAt: string;
  recordings: string[];
  /** The call's details (caller masked), when it ended in this process. */
  call?: RecordedCall;
}

/**
 * Call recordings as a service: the stored recordings (the PBX's), the details of the recorded
 * calls that ended here, and the retention sweep. The engine makes the recordings itself
 * (capabilities/recording.ts); this serves the playback API and keeps the store within retention.
 */
export class Recordings {
  readonly recent = new RecentRecordings();
  readonly retention: RetentionSweep;

  constructor(
    readonly store: RecordingStore,
    o: RecordingSettings & { clock: Clock; logger: Logger },
  ) {
    this.retention = new RetentionSweep({
      store,
      clock: o.clock,
      logger: o.logger,
      retentionDays: o.retentionDays,
      everyMs: o.sweepEveryMs,
    });
  }

  /** Follows an engine's ended calls (for the list's details). */
  follow(engine: { onEnded(listener: (s: CallState) => void): void }): void {
    engine.onEnded((s) => this.recent.ended(s));
  }

  start(): void {
    this.retention.start();
  }

  async stop(): Promise<void> {
    await this.retention.stop();
  }

  /** The call a recording is of (for the access ledger): known here, else read from its name. */
  callIdOf(name: string): string | undefined {
    return this.recent.callOf(name)?.callId ?? parseRecordingName(name)?.callId;
  }

  /** The recorded calls kept in the store, newest first (at most `limit`). */
  async list(limit: number): Promise<RecordingListEntry[]> {
    const byCall = new Map<string, RecordingListEntry & { at: number }>();
    for (const r of await this.store.list()) {
      const parsed = parseRecordingName(r.name);
      if (!parsed) continue;
      const call = this.recent.callOf(r.name);
      const callId = call?.callId ?? parsed.callId;
      const entry = byCall.get(callId);
      if (!entry) {
        byCall.set(callId, {
          callId,
          at: parsed.startedAt,
          startedAt: new Date(parsed.startedAt).toISOString(),
          recordings: [r.name],
          ...(call ? { call } : {}),
        });
      } else {
        entry.recordings.push(r.name);
        if (parsed.startedAt < entry.at) {
          entry.at = parsed.startedAt;
          entry.startedAt = new Date(parsed.startedAt).toISOString();
        }
      }
    }
    return [...byCall.values()]
      .sort((a, b) => b.at - a.at || (a.callId < b.callId ? -1 : 1))
      .slice(0, limit)
      .map(({ at: _at, ...e }) => ({ ...e, recordings: e.recordings.sort() }));
  }

  /** A recording's audio, or undefined when the store has none of that name. */
  audio(name: string): Promise<RecordingAudio | undefined> {
    return this.store.audio(name);
  }
}
