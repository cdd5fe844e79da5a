import type { Readable } from 'node:stream';

/**
 * Where the call recordings are kept: Asterisk's stored recordings, read over ARI (the adapter is
 * src/telephony/ari/recordings.ts). The engine makes them (POST /bridges/{id}/record); the
 * retention sweep deletes old ones; the API streams them to supervisors.
 */
export interface StoredRecording {
  name: string;
  format: string;
}

/** A stored recording's audio, as the PBX sends it (all of it, or the byte range asked for). */
export interface RecordingAudio {
  stream: Readable;
  /** Content type the PBX gave (the API always serves wav as `audio/wav`). */
  type: string;
  /** Bytes in the stream, when the PBX said. */
  length?: number;
}

export interface RecordingStore {
  /** Every stored recording (the engine's are those named `hotline-…`). */
  list(): Promise<StoredRecording[]>;
  /** Deletes one; false when there was none of that name. */
  remove(name: string): Promise<boolean>;
  /** The recording's audio, or undefined when there is none of that name. */
  audio(name: string): Promise<RecordingAudio | undefined>;
}
