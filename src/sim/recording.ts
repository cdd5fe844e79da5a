import { badRequest, conflict, SimRestError, unprocessable } from './errors.ts';
import type { SimBridge } from './model/bridge.ts';
import type { SimWorld } from './world.ts';

/**
 * Recordings as Asterisk's ARI has them: `POST /bridges/{id}/record` starts a live recording
 * (answered `queued`, then `RecordingStarted` with state `recording`); it ends when stopped or
 * when its bridge goes (`RecordingFinished`, state `done`, with its durations), and becomes a
 * stored recording (`/recordings/stored`) whose file is a WAV (8 kHz, 16-bit mono) as long as the
 * recording, a faint tone so it is not empty. Canceling discards it. As on Asterisk (whose stored
 * recordings are the files in its recording folder), a recording is listed among the stored ones
 * from its start, its file as long as it is so far.
 */
export interface LiveRecordingJson {
  name: string;
  format: string;
  target_uri: string;
  state: 'queued' | 'recording' | 'paused' | 'done' | 'failed' | 'canceled';
  duration?: number;
  talking_duration?: number;
  silence_duration?: number;
}

interface Live {
  name: string;
  format: string;
  bridge: SimBridge;
  startedAt: number;
  state: LiveRecordingJson['state'];
  /** Silence detection on (maxSilenceSeconds > 0): only then does Asterisk report talk and silence. */
  detectsSilence: boolean;
}

interface Stored {
  name: string;
  format: string;
  durationMs: number;
}

/** The formats the simulator records in (Asterisk refuses others with 422). */
const FORMATS = new Set(['wav']);
/** The longest file the simulator makes (longer recordings are cut, as a disk quota would). */
const MAX_FILE_SECONDS = 600;

/** The recordings of one simulated Asterisk. */
export class SimRecordings {
  readonly live = new Map<string, Live>();
  readonly stored = new Map<string, Stored>();

  constructor(private readonly world: SimWorld) {}

  private json(r: Live, durationMs?: number): LiveRecordingJson {
    const json: LiveRecordingJson = {
      name: r.name,
      format: r.format,
      target_uri: `bridge:${r.bridge.id}`,
      state: r.state,
    };
    if (durationMs !== undefined) {
      const duration = Math.round(durationMs / 1000);
      json.duration = duration;
      if (r.detectsSilence) Object.assign(json, { talking_duration: duration, silence_duration: 0 });
    }
    return json;
  }

  private send(type: string, r: Live, durationMs?: number): void {
    const w = this.world;
    w.deliver(w.ev.plain(type, { recording: this.json(r, durationMs) }), r.bridge.subscribers());
  }

  /** `POST /bridges/{id}/record`: 201 with the recording `queued`; `RecordingStarted` follows. */
  recordBridge(
    bridge: SimBridge,
    o: {
      name: string | undefined;
      format: string | undefined;
      ifExists: string | undefined;
      maxSilenceSeconds?: number | undefined;
    },
  ): LiveRecordingJson {
    if (!o.name) throw badRequest('Missing required parameter: name');
    if (!o.format) throw badRequest('Missing required parameter: format');
    const ifExists = o.ifExists ?? 'fail';
    if (!['fail', 'overwrite', 'append'].includes(ifExists)) throw badRequest('ifExists invalid');
    if (!FORMATS.has(o.format)) throw unprocessable(`Format '${o.format}' not supported`);
    if (this.live.has(o.name) || (this.stored.has(o.name) && ifExists === 'fail'))
      throw conflict(`Recording '${o.name}' already exists and can not be overwritten`);
    const r: Live = {
      name: o.name,
      format: o.format,
      bridge,
      startedAt: this.world.timers.now(),
      state: 'queued',
      detectsSilence: (o.maxSilenceSeconds ?? 0) > 0,
    };
    this.live.set(r.name, r);
    const queued = this.json(r);
    r.state = 'recording';
    this.world.timers.after(0, () => {
      if (this.live.get(r.name) === r) this.send('RecordingStarted', r);
    });
    return queued;
  }

  getLive(name: string): LiveRecordingJson {
    const r = this.live.get(name);
    if (!r) throw recordingNotFound();
    return this.json(r);
  }

  /** Stops a live recording and keeps it (`POST /recordings/live/{name}/stop`). */
  stop(name: string): void {
    const r = this.live.get(name);
    if (!r) throw recordingNotFound();
    this.finish(r);
  }

  /** Stops a live recording and discards it (`DELETE /recordings/live/{name}`). */
  cancel(name: string): void {
    const r = this.live.get(name);
    if (!r) throw recordingNotFound();
    this.live.delete(name);
    r.state = 'canceled';
    this.send('RecordingFinished', r);
  }

  /** The bridge goes: its recordings end and are stored. */
  bridgeGone(bridge: SimBridge): void {
    for (const r of [...this.live.values()]) if (r.bridge === bridge) this.finish(r);
  }

  private finish(r: Live): void {
    this.live.delete(r.name);
    const durationMs = Math.max(0, this.world.timers.now() - r.startedAt);
    r.state = 'done';
    this.stored.set(r.name, { name: r.name, format: r.format, durationMs });
    this.send('RecordingFinished', r, durationMs);
  }

  /** The files: finished recordings, and the ones still recording (their length so far). */
  private files(): Stored[] {
    const now = this.world.timers.now();
    const live = [...this.live.values()]
      .filter((r) => !this.stored.has(r.name))
      .map((r) => ({ name: r.name, format: r.format, durationMs: now - r.startedAt }));
    return [...this.stored.values(), ...live];
  }

  listStored(): { name: string; format: string }[] {
    return this.files().map(({ name, format }) => ({ name, format }));
  }

  getStored(name: string): { name: string; format: string } {
    const s = this.files().find((f) => f.name === name);
    if (!s) throw recordingNotFound();
    return { name: s.name, format: s.format };
  }

  deleteStored(name: string): void {
    if (!this.stored.delete(name)) throw recordingNotFound();
  }

  /** The stored recording's file: a WAV as long as the recording (at least a tenth of a second). */
  file(name: string): Buffer {
    const s = this.files().find((f) => f.name === name);
    if (!s) throw recordingNotFound();
    return wav(Math.min(MAX_FILE_SECONDS * 1000, Math.max(100, s.durationMs)));
  }
}

const recordingNotFound = (): SimRestError =>
  new SimRestError(404, 'sim-recording-not-found', 'Recording not found');

/** A PCM WAV (8 kHz, 16-bit, mono) of `ms` milliseconds: a faint 440 Hz tone. */
export function wav(ms: number): Buffer {
  const rate = 8000;
  const samples = Math.round((rate * ms) / 1000);
  const data = samples * 2;
  const out = Buffer.alloc(44 + data);
  out.write('RIFF', 0, 'ascii');
  out.writeUInt32LE(36 + data, 4);
  out.write('WAVE', 8, 'ascii');
  out.write('fmt ', 12, 'ascii');
  out.writeUInt32LE(16, 16);
  out.writeUInt16LE(1, 20);
  out.writeUInt16LE(1, 22);
  out.writeUInt32LE(rate, 24);
  out.writeUInt32LE(rate * 2, 28);
  out.writeUInt16LE(2, 32);
  out.writeUInt16LE(16, 34);
  out.write('data', 36, 'ascii');
  out.writeUInt32LE(data, 40);
  for (let i = 0; i < samples; i++)
    out.writeInt16LE(Math.round(1000 * Math.sin((2 * Math.PI * 440 * i) / rate)), 44 + i * 2);
  return out;
}

const byWorld = new WeakMap<SimWorld, SimRecordings>();

/** The recordings of a simulated Asterisk (made on first use). */
export function recordingsOf(world: SimWorld): SimRecordings {
  let r = byWorld.get(world);
  if (!r) {
    r = new SimRecordings(world);
    byWorld.set(world, r);
  }
  return r;
}
