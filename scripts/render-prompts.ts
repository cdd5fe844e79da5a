/**
 * Renders every prompt of the manifest to Mandarin speech, as Asterisk plays it: 8 kHz mono
 * 16-bit PCM WAV at `ivr-prompts/<id>.wav`, and writes `file` and the measured `durationMs`
 * back into the manifest (comments and layout kept).
 *
 *   npx tsx scripts/render-prompts.ts [--manifest ivr-prompts/manifest.yaml] [--only id,id] [--speed 190] [--show]
 *
 * Needs espeak-ng (voices `cmn`, `cmn-latn-pinyin`) and sox on this machine only: the rendered files are committed,
 * so deployments and CI need neither. `--only` re-renders those ids and re-measures the others.
 * Numbers in the texts are read by kind (src/prompts/reading.ts: quantities, dates, telephone
 * numbers with 幺); `--show` prints each text as read, with its pinyin, and renders nothing.
 * Composed prompts (`say`) have no audio of their own and are skipped: their parts are rendered.
 * A recorded human voice can replace any file: keep the format and run the script with
 * `--only none` to re-measure (`hotline validate` reports a `durationMs` off by more than 20 ms).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { isMap, isSeq, parseDocument } from 'yaml';
import { readAloud } from '../src/prompts/reading.ts';
import { promptFormatProblem, readWavFile } from '../src/prompts/wav.ts';

const root = resolve(import.meta.dirname, '..');

/**
 * The text as tone-numbered pinyin (`nin2 hao3, huan1 ying2 …`). espeak-ng 1.51's `cmn` voice
 * looks characters up correctly but then reads the pinyin with English rules, so the lookup is
 * taken from its trace (`-X`, "Replace: 您 nin2") and spoken with the `cmn-latn-pinyin` voice.
 */
/** Words whose characters espeak-ng reads with the wrong one of their readings. */
const readings: Record<string, string> = {
  重新: 'chong2 xin1',
  了解: 'liao3 jie3',
  登记为: 'deng1 ji4 wei2',
  处理: 'chu3 li3',
  // espeak-ng 1.51 gives these the neutral tone
  欢: 'huan1',
  务: 'wu4',
  诉: 'su4',
};

function toPinyin(text: string): string {
  const hanzi = readAloud(text).text;
  const trace = execFileSync('espeak-ng', ['-v', 'cmn', '-q', '-X', hanzi], { encoding: 'utf8' });
  const words = [...trace.matchAll(/^Replace: (\S+)\s+(\S+)/gm)].map((m) => ({
    word: m[1] ?? '',
    pinyin: (m[2] ?? '').replace(/([1-5])(?=[a-z])/g, '$1 '),
  }));
  const pause: Record<string, string> = {
    '，': ',',
    '、': ',',
    '；': ',',
    '：': ',',
    '。': '.',
    '！': '.',
    '？': '?',
  };
  let out = '';
  let next = 0;
  for (let at = 0; at < hanzi.length; ) {
    const ch = hanzi[at] ?? '';
    const fixed = Object.keys(readings).find((w) => hanzi.startsWith(w, at));
    if (fixed) {
      // skip espeak's readings of the word's characters (they must not run past the word)
      let covered = 0;
      while (covered < fixed.length) covered += words[next++]?.word.length ?? fixed.length;
      if (covered !== fixed.length)
        throw new Error(`espeak-ng reads "${fixed}" as part of a longer word in "${text}"`);
      out += ` ${readings[fixed]}`;
      at += fixed.length;
    } else if (/\p{Script=Han}/u.test(ch)) {
      const w = words[next++];
      if (!w || !hanzi.startsWith(w.word, at))
        throw new Error(`espeak-ng has no reading for "${ch}" in "${text}"`);
      out += ` ${w.pinyin}`;
      at += w.word.length;
    } else {
      out += pause[ch] ?? ' ';
      at += 1;
    }
  }
  return out.replace(/\s+/g, ' ').trim();
}

function run(cmd: string, args: string[]): void {
  try {
    execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: Buffer };
    if (e.code === 'ENOENT') throw new Error(`${cmd} is not installed (apt-get install espeak-ng sox)`);
    throw new Error(`${cmd} failed: ${e.stderr?.toString().trim() ?? e.message}`);
  }
}

/** espeak-ng → sox: trim the voice's lead-in and tail silence, normalise, resample, short pads. */
function render(text: string, out: string, speed: number, work: string): void {
  // A fragment of a read-out ("您前面还有" + 三 + "位…") gets short pads so the pieces join up.
  const fragment = !/[。！？]$/.test(text);
  const [lead, tail] = fragment ? ['0.01', '0.03'] : ['0.08', '0.2'];
  const raw = join(work, 'raw.wav');
  run('espeak-ng', ['-v', 'cmn-latn-pinyin', '-s', String(speed), '-w', raw, toPinyin(text)]);
  run('sox', [
    // repeatable: fixed seeds for dither, so re-rendering gives the same bytes
    '-R',
    raw,
    '-r',
    '8000',
    '-c',
    '1',
    '-b',
    '16',
    '-e',
    'signed-integer',
    out,
    // leading silence below 0.5% removed, then the same at the end (reverse, trim, reverse)
    'silence',
    '1',
    '0.02',
    '0.5%',
    'reverse',
    'silence',
    '1',
    '0.02',
    '0.5%',
    'reverse',
    // telephone band, peak at -3 dBFS, then the pads before and after the voice
    'highpass',
    '120',
    'lowpass',
    '3400',
    'norm',
    '-3',
    'pad',
    lead,
    tail,
  ]);
}

function main(): void {
  const { values } = parseArgs({
    options: {
      manifest: { type: 'string', default: join(root, 'ivr-prompts/manifest.yaml') },
      only: { type: 'string' },
      speed: { type: 'string', default: '190' },
      show: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const manifestPath = resolve(values.manifest);
  const dir = dirname(manifestPath);
  const only = values.only ? new Set(values.only.split(',')) : undefined;
  const speed = Number(values.speed);
  if (!Number.isInteger(speed) || speed < 80 || speed > 400)
    throw new Error('--speed: words per minute, 80 to 400');

  const doc = parseDocument(readFileSync(manifestPath, 'utf8'));
  const prompts = doc.get('prompts');
  if (!isSeq(prompts)) throw new Error(`${manifestPath}: no "prompts" list`);
  const work = mkdtempSync(join(tmpdir(), 'render-prompts-'));
  let totalMs = 0;
  let totalBytes = 0;
  try {
    for (const item of prompts.items) {
      if (!isMap(item)) throw new Error(`${manifestPath}: every prompt must be a mapping`);
      const id = String(item.get('id'));
      if (item.has('say')) continue;
      const text = String(item.get('text'));
      if (values.show) {
        process.stdout.write(`${id}\t${readAloud(text).text}\n\t${toPinyin(text)}\n`);
        continue;
      }
      const file = `${id}.wav`;
      if (!only || only.has(id)) render(text, join(dir, file), speed, work);
      const info = readWavFile(join(dir, file));
      const problem = promptFormatProblem(info);
      if (problem) throw new Error(`${file} ${problem}`);
      item.set('file', file);
      item.set('durationMs', info.durationMs);
      totalMs += info.durationMs;
      totalBytes += info.dataBytes + 44;
      process.stdout.write(`${file}\t${info.durationMs} ms\n`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  if (values.show) return;
  writeFileSync(manifestPath, doc.toString({ lineWidth: 0, flowCollectionPadding: false }));
  process.stdout.write(
    `${prompts.items.length} prompts, ${(totalMs / 1000).toFixed(1)} s of audio, ${(totalBytes / 1024).toFixed(0)} KiB\n`,
  );
}

main();
