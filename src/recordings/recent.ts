import type { CallState } from '../calls/core/types.ts';
import { maskNumber } from '../log.ts';

/** A recorded call as the supervisors' playback page lists it: the caller masked. */
export interface RecordedCall {
  callId: string;
  caller: string;
  dialed: string;
  line: string;
  agentId?: string;
  arrivedAt: string;
  endedAt?: string;
  disposition?: string;
  recordings: string[];
}

/**
 * The recorded calls that ended in this process, newest last, up to `capacity`: what the playback
 * page shows beside each stored recording (the stored list itself comes from the PBX and
 * outlives a restart; a recording made before one is listed without these details).
 */
export class RecentRecordings {
  private readonly calls = new Map<string, RecordedCall>();
  private readonly byName = new Map<string, string>();

  constructor(private readonly capacity = 1000) {}

  /** A call ended: kept when it has recordings. */
  ended(s: CallState): void {
    const recordings = (s.recordings ?? []).filter((r) => !r.failed).map((r) => r.name);
    if (recordings.length === 0) return;
    const agent = s.events.find((e) => e.what === 'connected')?.detail?.agent;
    const call: RecordedCall = {
      callId: s.id,
      caller: maskNumber(s.callerNumber),
      dialed: s.dialed,
      line: s.line.name,
      ...(typeof agent === 'string' ? { agentId: agent } : {}),
      arrivedAt: new Date(s.arrivedAt).toISOString(),
      ...(s.endedAt !== undefined ? { endedAt: new Date(s.endedAt).toISOString() } : {}),
      ...(s.disposition ? { disposition: s.disposition } : {}),
      recordings,
    };
    this.calls.delete(s.id);
    this.calls.set(s.id, call);
    for (const name of recordings) this.byName.set(name, s.id);
    while (this.calls.size > this.capacity) {
      const [oldest] = this.calls.values();
      this.calls.delete(oldest!.callId);
      for (const name of oldest!.recordings) this.byName.delete(name);
    }
  }

  /** The call a recording is of, when it ended in this process. */
  callOf(name: string): RecordedCall | undefined {
    const id = this.byName.get(name);
    return id === undefined ? undefined : this.calls.get(id);
  }
}
