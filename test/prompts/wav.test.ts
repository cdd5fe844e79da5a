import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadPlan } from '../../src/plan/load.ts';
import type { PromptManifest } from '../../src/prompts/manifest.ts';
import { parseWavHeader, promptFormatProblem, readWavFile, WavFormatError } from '../../src/prompts/wav.ts';

const root = join(import.meta.dirname, '../..');

/** A WAV file in memory: RIFF header, fmt chunk, optional extra chunk, data. */
function wav(o: {
  rate?: number;
  channels?: number;
  bits?: number;
  format?: number;
  samples?: number;
  extra?: boolean;
}): Uint8Array {
  const { rate = 8000, channels = 1, bits = 16, format = 1, samples = 800, extra = false } = o;
  const block = channels * (bits / 8);
  const dataBytes = samples * block;
  const chunks: Buffer[] = [];
  const fmt = Buffer.alloc(8 + 16);
  fmt.write('fmt ', 0, 'ascii');
  fmt.writeUInt32LE(16, 4);
  fmt.writeUInt16LE(format, 8);
  fmt.writeUInt16LE(channels, 10);
  fmt.writeUInt32LE(rate, 12);
  fmt.writeUInt32LE(rate * block, 16);
  fmt.writeUInt16LE(block, 20);
  fmt.writeUInt16LE(bits, 22);
  chunks.push(fmt);
  if (extra) {
    // an odd-sized LIST chunk, padded to even length
    const list = Buffer.alloc(8 + 5 + 1);
    list.write('LIST', 0, 'ascii');
    list.writeUInt32LE(5, 4);
    chunks.push(list);
  }
  const data = Buffer.alloc(8 + dataBytes);
  data.write('data', 0, 'ascii');
  data.writeUInt32LE(dataBytes, 4);
  chunks.push(data);
  const body = Buffer.concat(chunks);
  const head = Buffer.alloc(12);
  head.write('RIFF', 0, 'ascii');
  head.writeUInt32LE(4 + body.length, 4);
  head.write('WAVE', 8, 'ascii');
  return new Uint8Array(Buffer.concat([head, body]));
}

describe('the WAV header reader', () => {
  it('reads format, rate, channels, bits and duration of 8 kHz mono 16-bit PCM', () => {
    expect(parseWavHeader(wav({ samples: 12_000 }))).toEqual({
      format: 1,
      channels: 1,
      sampleRate: 8000,
      bitsPerSample: 16,
      dataBytes: 24_000,
      durationMs: 1500,
    });
  });

  it('skips chunks before the audio, honouring their padding', () => {
    expect(parseWavHeader(wav({ extra: true, samples: 400 })).durationMs).toBe(50);
  });

  it('accepts the file as a prompt only in the Asterisk prompt format', () => {
    expect(promptFormatProblem(parseWavHeader(wav({})))).toBeUndefined();
    expect(promptFormatProblem(parseWavHeader(wav({ rate: 16000 })))).toMatch(/16000 Hz/);
    expect(promptFormatProblem(parseWavHeader(wav({ channels: 2 })))).toMatch(/2 channels/);
    expect(promptFormatProblem(parseWavHeader(wav({ bits: 8 })))).toMatch(/8-bit/);
    expect(promptFormatProblem(parseWavHeader(wav({ format: 3, bits: 32 })))).toMatch(/format code 3/);
    expect(promptFormatProblem(parseWavHeader(wav({ samples: 0 })))).toMatch(/no audio/);
  });

  it('rejects what is not a complete RIFF/WAVE file', () => {
    const good = wav({});
    expect(() => parseWavHeader(new TextEncoder().encode('ID3 not a wav file'))).toThrow(WavFormatError);
    expect(() => parseWavHeader(good.slice(0, 36))).toThrow(/no "data" chunk/);
    expect(() => parseWavHeader(good.slice(0, good.length - 10))).toThrow(/truncated/);
    try {
      parseWavHeader(new Uint8Array(4));
    } catch (err) {
      expect((err as WavFormatError).code).toBe('invalid-wav');
    }
  });
});

describe('the shipped prompts', () => {
  const manifest = parse(readFileSync(join(root, 'ivr-prompts/manifest.yaml'), 'utf8')) as PromptManifest;
  const plans = ['routing-rules', 'routing-rules/examples/puyang', 'routing-rules/examples/jilin'];

  it('cover every prompt the shipped plans play', () => {
    const ids = new Set(manifest.prompts.map((p) => p.id));
    for (const dir of plans) {
      const { plan } = loadPlan(join(root, dir));
      for (const id of plan.prompts.keys()) expect(ids).toContain(id);
    }
  });

  const recorded = manifest.prompts.filter((p) => p.say === undefined);

  it.each(recorded.map((p) => [p.id, p] as const))(
    '%s is 8 kHz mono 16-bit PCM and as long as the manifest says (±20 ms)',
    (id, entry) => {
      expect(entry.file).toBe(`${id}.wav`);
      const path = join(root, 'ivr-prompts', entry.file!);
      const info = readWavFile(path);
      expect(promptFormatProblem(info)).toBeUndefined();
      expect(info.dataBytes).toBeLessThanOrEqual(statSync(path).size - 44);
      expect(Math.abs(info.durationMs - entry.durationMs!)).toBeLessThanOrEqual(20);
    },
  );

  it('stay a reasonable size to commit', () => {
    const bytes = recorded.reduce((n, p) => n + statSync(join(root, 'ivr-prompts', p.file!)).size, 0);
    expect(bytes).toBeLessThan(8 * 1024 * 1024);
  });
});
