import { resolve } from 'node:path';
import { isComposed, type PromptEntry } from './manifest.ts';
import { promptFormatProblem, readWavFile, WavFormatError } from './wav.ts';

/** One prompt whose audio cannot be played, located in the manifest (`prompts[3].file`). */
export interface PromptFileProblem {
  /** Index of the entry in the manifest's `prompts` list. */
  index: number;
  path: string;
  message: string;
}

/** The manifest's `durationMs` may differ from the file's by this much (rounding, re-rendering). */
export const DURATION_TOLERANCE_MS = 20;

/**
 * The rule: a manifest whose entries carry no `file` at all is text only (a plan being written,
 * test fixtures) and nothing is checked. As soon as one entry names a file, the manifest is
 * rendered audio and every entry must name one, and each file must exist next to the manifest
 * as 8 kHz mono 16-bit PCM WAV whose length matches `durationMs` (when given) within 20 ms.
 * The shipped `ivr-prompts/manifest.yaml` names a file for every prompt, so it is checked.
 * Composed prompts (`say`) have no audio of their own and are not counted here: their parts are.
 */
export function filesRequired(entries: readonly PromptEntry[]): boolean {
  return entries.some((e) => e.file !== undefined);
}

/** Checks the audio files of a prompt manifest; `manifestDir` is the folder files are relative to. */
export function checkPromptFiles(manifestDir: string, entries: readonly PromptEntry[]): PromptFileProblem[] {
  if (!filesRequired(entries)) return [];
  const problems: PromptFileProblem[] = [];
  entries.forEach((entry, index) => {
    const path = `prompts[${index}].file`;
    if (isComposed(entry)) return;
    if (entry.file === undefined) {
      problems.push({
        index,
        path,
        message: `prompt "${entry.id}" has no audio file (the manifest names files, so every prompt needs one)`,
      });
      return;
    }
    const problem = fileProblem(resolve(manifestDir, entry.file), entry);
    if (problem) {
      const where = problem.onDuration ? `prompts[${index}].durationMs` : path;
      problems.push({ index, path: where, message: problem.message });
    }
  });
  return problems;
}

function fileProblem(
  fullPath: string,
  entry: PromptEntry,
): { message: string; onDuration?: boolean } | undefined {
  let info: ReturnType<typeof readWavFile>;
  try {
    info = readWavFile(fullPath);
  } catch (err) {
    if (err instanceof WavFormatError)
      return { message: `${entry.file} is not a valid WAV file: ${err.message}` };
    const code = (err as NodeJS.ErrnoException).code;
    return {
      message: code === 'ENOENT' ? `${entry.file} does not exist` : `cannot read ${entry.file} (${code})`,
    };
  }
  const format = promptFormatProblem(info);
  if (format) return { message: `${entry.file} ${format}` };
  if (
    entry.durationMs !== undefined &&
    Math.abs(entry.durationMs - info.durationMs) > DURATION_TOLERANCE_MS
  ) {
    return {
      message: `is ${entry.durationMs} ms but ${entry.file} lasts ${info.durationMs} ms (re-run scripts/render-prompts.ts)`,
      onDuration: true,
    };
  }
  return undefined;
}
