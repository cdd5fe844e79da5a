import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { z } from 'zod';
import { HotlineError } from '../errors.ts';
import type { RoutingPlan } from '../plan/compile.ts';
import { displayPath, loadPlan } from '../plan/load.ts';
import { type RuleProblem, RulesInvalidError, type Warning } from '../plan/problems.ts';
import { RulesLimitError, type YamlLimitName, yamlLimits } from '../plan/yaml-limits.ts';

/** Bytes of one rules file of a draft (UTF-8): larger files are refused before anything is parsed. */
export const maxDraftFileBytes = yamlLimits.maxBytes;

/** A set of rules files by name, as administrators upload them: `{ "lines.yaml": "…", … }`. */
export const DraftFilesSchema = z
  .record(
    z.string().regex(/^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}\.ya?ml$/, 'a file name such as "lines.yaml"'),
    z.string().max(maxDraftFileBytes),
  )
  .refine((files) => Object.keys(files).length >= 1 && Object.keys(files).length <= 32, {
    message: 'between 1 and 32 rules files',
  });
export type DraftFiles = z.infer<typeof DraftFilesSchema>;

export type CompiledDraft =
  | { ok: true; plan: RoutingPlan; warnings: RuleProblem[] }
  | { ok: false; problems: RuleProblem[]; limit?: YamlLimitName };

/** The bound a draft exceeded: its compile time or memory, or a bound of its YAML. */
export type DraftLimit = 'time' | 'memory' | YamlLimitName;

/** A draft exceeds a compile budget or a YAML bound (422, naming the limit). */
export class DraftTooComplexError extends HotlineError {
  readonly statusCode = 422;
  constructor(
    readonly limit: DraftLimit,
    message: string,
    readonly problems: readonly RuleProblem[] = [],
  ) {
    super('draft-too-complex', message);
  }
}

/** A draft's file is larger than `maxDraftFileBytes` (413). */
export class DraftTooLargeError extends HotlineError {
  readonly statusCode = 413;
  readonly limit = 'file-size';
  constructor(
    readonly file: string,
    readonly maxBytes: number,
  ) {
    super('draft-too-large', `${file} is larger than ${maxBytes} bytes (the limit of one rules file)`);
  }
}

/** Drafts are being compiled at the pool's capacity; the client may try again (429). */
export class DraftsBusyError extends HotlineError {
  readonly statusCode = 429;
  constructor() {
    super('too-many-requests', 'too many rules drafts are being compiled; try again shortly');
  }
}

/** The file of a draft larger than `maxBytes` (UTF-8), if any. */
export function oversizedFile(
  files: Record<string, unknown>,
  maxBytes = maxDraftFileBytes,
): string | undefined {
  for (const [name, text] of Object.entries(files)) {
    if (typeof text === 'string' && Buffer.byteLength(text, 'utf8') > maxBytes) return name;
  }
  return undefined;
}

/**
 * Compiles a set of rules files the way the CLI loads a folder: written to a scratch folder of
 * their own, loaded with relative paths (`center.prompts`) resolved against `bases` in order,
 * and the folder removed. Problems name the files' own names (`lines.yaml:lines[3].number: …`);
 * problems of the prompt manifest keep its path. Runs in the draft workers (see draft-pool.ts)
 * and, for the engine's own versions at start, on the main thread.
 */
export function compileFiles(
  files: DraftFiles,
  bases: readonly string[],
  now?: number,
  promptRoots?: readonly string[],
): CompiledDraft {
  const dir = mkdtempSync(join(tmpdir(), 'hotline-rules-'));
  try {
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, basename(name)), text, 'utf8');
    const shown = displayPath(dir);
    const rename = <T extends RuleProblem | Warning>(p: T): T =>
      p.file === shown
        ? { ...p, file: '' }
        : p.file.startsWith(`${shown}/`)
          ? { ...p, file: basename(p.file) }
          : p;
    try {
      const loaded = loadPlan(dir, {
        bases: bases.map((b) => resolve(b)),
        ...(now === undefined ? {} : { now }),
        ...(promptRoots ? { promptRoots } : {}),
      });
      return { ok: true, plan: loaded.plan, warnings: loaded.warnings.map(rename) };
    } catch (err) {
      if (err instanceof RulesLimitError) {
        return { ok: false, problems: err.problems.map(rename), limit: err.limit };
      }
      if (err instanceof RulesInvalidError) return { ok: false, problems: err.problems.map(rename) };
      throw err;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The rules files of a folder (`*.yaml`/`*.yml` directly in it), to seed the first version. */
export function readRulesFolder(dir: string): DraftFiles {
  const files: DraftFiles = {};
  for (const name of readdirSync(dir).sort()) {
    if (/\.ya?ml$/.test(name)) files[name] = readFileSync(join(dir, name), 'utf8');
  }
  return files;
}
