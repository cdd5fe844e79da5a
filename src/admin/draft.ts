import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import type { RoutingPlan } from '../plan/compile.ts';
import type { Warning } from '../plan/cross-check.ts';
import { displayPath, loadPlan } from '../plan/load.ts';
import { type RuleProblem, RulesInvalidError } from '../plan/problems.ts';

/** A set of rules files by name, as administrators upload them: `{ "lines.yaml": "…", … }`. */
export const DraftFilesSchema = z
  .record(
    z.string().regex(/^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}\.ya?ml$/, 'a file name such as "lines.yaml"'),
    z.string().max(1024 * 1024),
  )
  .refine((files) => Object.keys(files).length >= 1 && Object.keys(files).length <= 32, {
    message: 'between 1 and 32 rules files',
  });
export type DraftFiles = z.infer<typeof DraftFilesSchema>;

export type CompiledDraft =
  | { ok: true; plan: RoutingPlan; warnings: RuleProblem[] }
  | { ok: false; problems: RuleProblem[] };

/**
 * Compiles a draft the way the CLI loads a folder: its files are written to a fresh folder beside
 * the live rules folder (so `center.prompts: ../ivr-prompts/manifest.yaml` resolves to the same
 * manifest), loaded, and the folder removed. Problems name the draft's own file names
 * (`lines.yaml:lines[3].number: …`); problems of the prompt manifest keep its path.
 */
export function compileDraft(rulesDir: string, files: DraftFiles, now?: number): CompiledDraft {
  const dir = join(dirname(resolve(rulesDir)), `.rules-draft-${randomBytes(6).toString('hex')}`);
  mkdirSync(dir, { mode: 0o700 });
  try {
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text, 'utf8');
    const shown = displayPath(dir);
    const rename = <T extends RuleProblem | Warning>(p: T): T =>
      p.file === shown
        ? { ...p, file: '' }
        : p.file.startsWith(`${shown}/`)
          ? { ...p, file: basename(p.file) }
          : p;
    try {
      const loaded = loadPlan(dir, now === undefined ? {} : { now });
      return { ok: true, plan: loaded.plan, warnings: loaded.warnings.map(rename) };
    } catch (err) {
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
