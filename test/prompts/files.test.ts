import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPlan } from '../../src/plan/load.ts';
import { RulesInvalidError } from '../../src/plan/problems.ts';
import { checkPromptFiles, filesRequired } from '../../src/prompts/files.ts';
import { removePlan, writePlan } from '../support/rules-fixture.ts';

const shipped = join(import.meta.dirname, '../../ivr-prompts');

/** A temp folder with a real prompt, a stereo WAV and a text file named .wav. */
function promptDir(): string {
  const dir = writePlan({}, {});
  copyFileSync(join(shipped, 'survey-thanks.wav'), join(dir, 'thanks.wav'));
  const stereo = Buffer.alloc(44 + 1600);
  stereo.write('RIFF', 0, 'ascii');
  stereo.writeUInt32LE(36 + 1600, 4);
  stereo.write('WAVEfmt ', 8, 'ascii');
  stereo.writeUInt32LE(16, 16);
  stereo.writeUInt16LE(1, 20);
  stereo.writeUInt16LE(2, 22);
  stereo.writeUInt32LE(8000, 24);
  stereo.writeUInt32LE(32000, 28);
  stereo.writeUInt16LE(4, 32);
  stereo.writeUInt16LE(16, 34);
  stereo.write('data', 36, 'ascii');
  stereo.writeUInt32LE(1600, 40);
  writeFileSync(join(dir, 'stereo.wav'), stereo);
  writeFileSync(join(dir, 'notes.wav'), 'not audio');
  return dir;
}

describe('prompt files', () => {
  it('are not required while no entry of the manifest names a file', () => {
    const entries = [{ id: 'a', text: '一' }];
    expect(filesRequired(entries)).toBe(false);
    expect(checkPromptFiles('/nonexistent', entries)).toEqual([]);
  });

  it('are required for every entry once one names a file, and must be valid prompts', () => {
    const dir = promptDir();
    try {
      const problems = checkPromptFiles(dir, [
        { id: 'thanks', text: '谢谢', file: 'thanks.wav' },
        { id: 'none', text: '无' },
        { id: 'gone', text: '缺', file: 'gone.wav' },
        { id: 'stereo', text: '立体声', file: 'stereo.wav' },
        { id: 'notes', text: '文本', file: 'notes.wav' },
        { id: 'stale', text: '旧', file: 'thanks.wav', durationMs: 100 },
      ]);
      expect(problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
        'prompts[1].file: prompt "none" has no audio file (the manifest names files, so every prompt needs one)',
        'prompts[2].file: gone.wav does not exist',
        'prompts[3].file: stereo.wav must be 8 kHz mono 16-bit PCM WAV (found 2 channels)',
        'prompts[4].file: notes.wav is not a valid WAV file: not a RIFF/WAVE file',
        expect.stringMatching(/^prompts\[5\]\.durationMs: is 100 ms but thanks\.wav lasts \d+ ms/),
      ]);
    } finally {
      removePlan(dir);
    }
  });

  it('make validation fail with MANIFEST:prompts[i].file when a rule names a prompt without audio', () => {
    const dir = writePlan({
      'prompts/manifest.yaml': `prompts:
  - { id: welcome, text: 欢迎致电12345, file: welcome.wav }
  - { id: notice, text: 过渡期提示 }
  - { id: gone, text: 号码已注销 }
  - { id: pick, text: 请选择 }
  - { id: wrong, text: 输入有误 }
`,
    });
    try {
      mkdirSync(join(dir, 'prompts'), { recursive: true });
      copyFileSync(join(shipped, 'welcome-12345.wav'), join(dir, 'prompts/welcome.wav'));
      let error: unknown;
      try {
        loadPlan(dir);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(RulesInvalidError);
      const lines = (error as RulesInvalidError).problems.map((p) => `${p.file}:${p.path}`);
      expect(lines.every((l) => /manifest\.yaml:prompts\[[1-4]\]\.file$/.test(l))).toBe(true);
      expect(lines).toHaveLength(4);
    } finally {
      removePlan(dir);
    }
  });
});
