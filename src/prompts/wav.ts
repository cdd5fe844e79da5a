import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { HotlineError } from '../errors.ts';

/**
 * The RIFF/WAVE header of a prompt file, read without any audio tool. Asterisk plays
 * `sound:hotline/<id>` from `<id>.wav` as signed linear audio, so prompts must be PCM.
 */
export interface WavInfo {
  /** 1 = PCM (also reported for WAVE_FORMAT_EXTENSIBLE whose sub-format is PCM). */
  format: number;
  channels: number;
  sampleRate: number;
  bitsPerSample: number;
  /** Bytes of audio in the `data` chunk. */
  dataBytes: number;
  /** Audio length in milliseconds (rounded). */
  durationMs: number;
}

/** The Asterisk prompt format: 8 kHz, mono, 16-bit signed PCM. */
export const PROMPT_FORMAT = { sampleRate: 8000, channels: 1, bitsPerSample: 16 } as const;

/** The bytes are not a WAV file this code can read. */
export class WavFormatError extends HotlineError {
  constructor(message: string) {
    super('invalid-wav', message);
  }
}

const WAVE_FORMAT_PCM = 1;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;

function fourCC(bytes: Uint8Array, at: number): string {
  return String.fromCharCode(bytes[at] ?? 0, bytes[at + 1] ?? 0, bytes[at + 2] ?? 0, bytes[at + 3] ?? 0);
}

/**
 * Parses the header of a WAV file. `bytes` holds at least the chunks up to the start of the
 * `data` chunk's audio; `fileSize` is the whole file's length (defaults to `bytes.length`),
 * used to reject a file shorter than its header claims. Throws WavFormatError.
 */
export function parseWavHeader(bytes: Uint8Array, fileSize = bytes.length): WavInfo {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 12 || fourCC(bytes, 0) !== 'RIFF' || fourCC(bytes, 8) !== 'WAVE') {
    throw new WavFormatError('not a RIFF/WAVE file');
  }
  let fmt: Omit<WavInfo, 'dataBytes' | 'durationMs'> | undefined;
  let byteRate = 0;
  let at = 12;
  while (at + 8 <= bytes.length) {
    const id = fourCC(bytes, at);
    const size = view.getUint32(at + 4, true);
    const body = at + 8;
    if (id === 'fmt ') {
      if (size < 16 || body + size > bytes.length) throw new WavFormatError('the "fmt " chunk is truncated');
      let format = view.getUint16(body, true);
      if (format === WAVE_FORMAT_EXTENSIBLE) {
        // The sub-format GUID starts with the plain format code.
        if (size < 40) throw new WavFormatError('the extensible "fmt " chunk is truncated');
        format = view.getUint16(body + 24, true);
      }
      fmt = {
        format,
        channels: view.getUint16(body + 2, true),
        sampleRate: view.getUint32(body + 4, true),
        bitsPerSample: view.getUint16(body + 14, true),
      };
      byteRate = view.getUint32(body + 8, true);
    } else if (id === 'data') {
      if (!fmt) throw new WavFormatError('the "data" chunk comes before the "fmt " chunk');
      if (body + size > fileSize) {
        throw new WavFormatError(`the file is truncated: the "data" chunk claims ${size} bytes`);
      }
      const expectedRate = fmt.sampleRate * fmt.channels * Math.ceil(fmt.bitsPerSample / 8);
      if (byteRate === 0 || byteRate !== expectedRate) {
        throw new WavFormatError(`inconsistent byte rate ${byteRate} (expected ${expectedRate})`);
      }
      return { ...fmt, dataBytes: size, durationMs: Math.round((size * 1000) / byteRate) };
    }
    // Chunks are padded to an even length.
    at = body + size + (size % 2);
  }
  throw new WavFormatError(fmt ? 'no "data" chunk' : 'no "fmt " chunk');
}

/** Why a WAV header is not an Asterisk prompt (8 kHz mono 16-bit PCM), or undefined when it is. */
export function promptFormatProblem(info: WavInfo): string | undefined {
  const wrong: string[] = [];
  if (info.format !== WAVE_FORMAT_PCM) wrong.push(`format code ${info.format}, not PCM`);
  if (info.sampleRate !== PROMPT_FORMAT.sampleRate) wrong.push(`${info.sampleRate} Hz`);
  if (info.channels !== PROMPT_FORMAT.channels) wrong.push(`${info.channels} channels`);
  if (info.bitsPerSample !== PROMPT_FORMAT.bitsPerSample) wrong.push(`${info.bitsPerSample}-bit`);
  if (info.dataBytes === 0) wrong.push('no audio');
  return wrong.length > 0 ? `must be 8 kHz mono 16-bit PCM WAV (found ${wrong.join(', ')})` : undefined;
}

/** How much of a file is read to find the header: generous for LIST/INFO chunks before `data`. */
const HEADER_BYTES = 64 * 1024;

/** Reads the header of a WAV file on disk (not its audio). Throws WavFormatError or the fs error. */
export function readWavFile(path: string): WavInfo {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const head = new Uint8Array(Math.min(size, HEADER_BYTES));
    readSync(fd, head, 0, head.length, 0);
    return parseWavHeader(head, size);
  } finally {
    closeSync(fd);
  }
}
