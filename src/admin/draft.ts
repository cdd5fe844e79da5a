import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { RoutingPlan } from '../plan/compile.ts';
import type { RuleProblem } from '../plan/problems.ts';

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

/** The rules files of a folder (`*.yaml`/`*.yml` directly in it), to seed the first version. */
export function readRulesFolder(dir: string): DraftFiles {
  const files: DraftFiles = {};
  for (const name of readdirSync(dir).sort()) {
    if (/\.ya?ml$/.test(name)) files[name] = readFileSync(join(dir, name), 'utf8');
  }
  return files;
}
