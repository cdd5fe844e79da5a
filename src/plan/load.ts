import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { checkPromptFiles } from '../prompts/files.ts';
import { type PromptEntry, PromptManifest } from '../prompts/manifest.ts';
import { checkPromptBudget } from './checks/prompt-budget.ts';
import { compilePlan, type RoutingPlan } from './compile.ts';
import { crossCheck } from './cross-check.ts';
import { formatPath, joinPath, type RuleProblem, RulesInvalidError, type Warning } from './problems.ts';
import type { Located, RawRules } from './raw-rules.ts';
import { type CenterRule, type ListSection, listSections, RulesFile } from './schema.ts';
import {
  capProblems,
  documentExceeds,
  moreProblems,
  RulesLimitError,
  textExceeds,
  type YamlLimitProblem,
  type YamlLimits,
  yamlLimits,
} from './yaml-limits.ts';

export interface LoadedPlan {
  plan: RoutingPlan;
  warnings: Warning[];
  files: string[];
  /** Absolute path of the prompt manifest the plan uses. */
  manifestPath: string;
}

export interface LoadOptions {
  now?: number;
  /**
   * Folders a relative `center.prompts` is resolved against, in order (default: the rules folder
   * itself). A published version compiled in a scratch folder passes the folder it was published
   * from, then the engine's own rules folder.
   */
  bases?: readonly string[];
  /**
   * Folders a prompt manifest may be in besides the rules folder (and `bases`); the project's
   * shipped `ivr-prompts/` always may.
   */
  promptRoots?: readonly string[];
}

/** The project's own folder (where the shipped `ivr-prompts/` is), whatever the working directory. */
const projectRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));

/** The project's shipped prompts folder: a rules folder's manifest may always be in it. */
export const shippedPromptsDir = join(projectRoot, 'ivr-prompts');

/** Whether `path` is `root` or inside it (both absolute and normalized). */
function isInside(path: string, root: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
}

function realpathOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/**
 * Where a rules set's prompt manifest may be: each rules folder it is compiled against, the
 * `ivr-prompts/` folder beside each (the project's layout: `routing-rules/` and `ivr-prompts/` side
 * by side, wherever it is installed), the configured prompts folders and the shipped `ivr-prompts/`.
 */
export function promptRootsOf(rulesDirs: readonly string[], configured: readonly string[] = []): string[] {
  const dirs = rulesDirs.map((d) => resolve(d));
  return [
    ...new Set([
      ...dirs,
      ...dirs.map((d) => join(dirname(d), 'ivr-prompts')),
      ...configured.map((d) => resolve(d)),
      shippedPromptsDir,
    ]),
  ];
}

/**
 * The containment rule for files a rules set names (`center.prompts`): the path is relative, and
 * resolves (symbolic links followed) inside one of `roots`: the rules folder, the folders it is
 * compiled against (`bases`), the prompts folders the engine allows and the shipped `ivr-prompts/`.
 * Returns why a path breaks the rule (nothing of the file is read), or undefined.
 */
export function outsideRoots(written: string, path: string, roots: readonly string[]): string | undefined {
  if (isAbsolute(written) || /^[A-Za-z]:[\\/]/.test(written)) {
    return 'must be a path relative to the rules folder (absolute paths are refused)';
  }
  const real = realpathOrSelf(path);
  const allowed = roots.map((r) => realpathOrSelf(resolve(r)));
  if (allowed.some((root) => isInside(resolve(path), root) && isInside(real, root))) return undefined;
  return 'must name a file inside the rules folder or a prompts folder (ivr-prompts/ beside it); this path leads outside them';
}

/**
 * Where a rules folder's `center.prompts` is: the path as written, resolved against the folder of
 * the rules file that names it (or the given `bases`, in order). When nothing is there and the path
 * is relative (a rules folder copied away from the project, e.g. `cp -r routing-rules /tmp/x`), the
 * path without its leading `../` is looked up in the project's folder, where the shipped
 * `ivr-prompts/` is; `fallback` is then set so that the loader can warn which manifest it used.
 */
export function resolvePromptManifest(
  written: string,
  bases: readonly string[],
  roots: readonly string[] = bases,
): { path: string; fallback?: string } {
  const first = resolve(bases[0] ?? '.', written);
  // Only paths the containment rule allows are looked for: whether a file exists elsewhere is not told.
  const allowed = (p: string) => outsideRoots(written, p, roots) === undefined;
  if (isAbsolute(written) || (allowed(first) && existsSync(first))) return { path: first };
  for (const base of bases.slice(1)) {
    const candidate = resolve(base, written);
    if (allowed(candidate) && existsSync(candidate)) return { path: candidate, fallback: first };
  }
  const parts = written.split(/[\\/]/);
  let i = 0;
  while (i < parts.length && (parts[i] === '..' || parts[i] === '.' || parts[i] === '')) i++;
  const inProject = resolve(projectRoot, ...parts.slice(i));
  if (i < parts.length && inProject.startsWith(projectRoot + sep) && existsSync(inProject))
    return { path: inProject, fallback: first };
  return { path: first };
}

/** How file names appear in problems: relative to the working directory when inside it. */
export function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith('..') ? rel : file;
}

/**
 * Loads a rules folder: every `*.yaml`/`*.yml` file directly in `dir` (sub-folders such as
 * `examples/` are other plans). Validates each file, merges them, cross-checks, compiles.
 * Throws RulesInvalidError listing every problem; nothing is half-loaded.
 */
export function loadPlan(dir: string, options: LoadOptions = {}): LoadedPlan {
  const problems: RuleProblem[] = [];
  const loadWarnings: Warning[] = [];
  const raw = readRules(resolve(dir), problems, loadWarnings, options);
  if (!raw) throw invalid(problems);
  const warnings = [...loadWarnings, ...crossCheck(raw, problems, options.now ?? Date.now())];
  if (problems.length > 0) throw invalid(problems);
  const files = [...new Set(listSections.flatMap((s) => raw[s].map((x) => x.file))), raw.center.file];
  const plan = compilePlan(raw);
  warnings.push(...checkPromptBudget(raw, plan, options.now ?? Date.now()));
  return { plan, warnings, files, manifestPath: raw.manifestPath };
}

/**
 * The id of the center a rules folder is for, from the file holding its `center` section (the
 * files are parsed and schema-checked; nothing is cross-checked or compiled). Throws
 * RulesInvalidError when no file gives it. The engine names its versions and ledgers with it
 * before the plan itself is loaded.
 */
export function readCenterId(dir: string): string {
  const problems: RuleProblem[] = [];
  const files = readRuleFiles(resolve(dir), problems);
  const center = files && centerOf(files.center, dir, problems);
  if (!center) throw invalid(problems);
  return center.value.id;
}

/**
 * The error for a rule set's problems, at most `yamlLimits.maxProblems` of them: RulesLimitError
 * naming the bound when a file exceeded one of `YamlLimits`.
 */
function invalid(problems: RuleProblem[]): RulesInvalidError {
  const shown = capProblems(problems, yamlLimits.maxProblems);
  const limit = problems.find((p): p is YamlLimitProblem => 'limit' in p);
  return limit ? new RulesLimitError(limit.limit, shown) : new RulesInvalidError(shown);
}

interface RuleFiles {
  center: Located<CenterRule> | undefined;
  sections: Record<ListSection, Located<unknown>[]>;
}

/** Parses every rules file directly in `dir`; the list sections concatenated, the one `center`. */
function readRuleFiles(dir: string, problems: RuleProblem[]): RuleFiles | undefined {
  const shownDir = displayPath(dir);
  let names: string[];
  try {
    if (!statSync(dir).isDirectory()) {
      problems.push({ file: shownDir, path: '', message: 'is not a folder of rules files' });
      return undefined;
    }
    names = readdirSync(dir)
      .filter((n) => /\.ya?ml$/.test(n))
      .sort();
  } catch (err) {
    problems.push({
      file: shownDir,
      path: '',
      message: `cannot read the rules folder (${(err as NodeJS.ErrnoException).code})`,
    });
    return undefined;
  }
  if (names.length === 0) {
    problems.push({ file: shownDir, path: '', message: 'no rules files (*.yaml) in this folder' });
    return undefined;
  }

  const sections = Object.fromEntries(listSections.map((s) => [s, [] as Located<unknown>[]])) as Record<
    ListSection,
    Located<unknown>[]
  >;
  let center: Located<CenterRule> | undefined;

  for (const name of names) {
    const file = displayPath(join(dir, name));
    const content = parseYamlFile(join(dir, name), file, RulesFile, problems);
    if (!content) continue;
    if (content.center) {
      if (center) {
        problems.push({ file, path: 'center', message: `"center" is already defined in ${center.file}` });
      } else {
        center = { value: content.center, file, path: 'center' };
      }
    }
    for (const section of listSections) {
      const items = content[section] as unknown[] | undefined;
      items?.forEach((value, i) => {
        sections[section].push({ value, file, path: `${section}[${i}]` });
      });
    }
  }
  return { center, sections };
}

/** The center section, or undefined with a problem saying none was found (unless others were). */
function centerOf(
  center: Located<CenterRule> | undefined,
  dir: string,
  problems: RuleProblem[],
): Located<CenterRule> | undefined {
  if (!center && problems.length === 0) {
    problems.push({
      file: displayPath(dir),
      path: '',
      message: 'no file defines the "center" section (id, name, timezone, prompts)',
    });
  }
  return center;
}

function readRules(
  dir: string,
  problems: RuleProblem[],
  warnings: Warning[],
  options: LoadOptions,
): RawRules | undefined {
  const files = readRuleFiles(dir, problems);
  if (!files) return undefined;
  const { sections } = files;
  const center = centerOf(files.center, dir, problems);
  if (!center) return undefined;

  // Every rules file is directly in `dir`: the folder of the file that names the prompts.
  const bases = options.bases && options.bases.length > 0 ? options.bases : [dir];
  const roots = promptRootsOf([dir, ...bases], options.promptRoots);
  const written = center.value.prompts;
  const where = resolvePromptManifest(written, bases, roots);
  const outside = outsideRoots(written, where.path, roots);
  if (outside) {
    problems.push({ file: center.file, path: 'center.prompts', message: outside });
    return undefined;
  }
  const manifestPath = where.path;
  const manifestFile = displayPath(manifestPath);
  if (where.fallback) {
    warnings.push({
      file: center.file,
      path: 'center.prompts',
      message: `${center.value.prompts} is not beside this rules folder (no ${where.fallback}); using ${manifestPath}`,
    });
  }
  const prompts = new Map<string, Located<PromptEntry>>();
  const manifest = parseYamlFile(
    manifestPath,
    manifestFile,
    PromptManifest,
    problems,
    { file: center.file, path: 'center.prompts' },
    // Whatever the manifest is, keys it may not have are not echoed (paths the schema knows are).
    { echoKeys: false },
  );
  manifest?.prompts.forEach((entry, i) => {
    const path = `prompts[${i}]`;
    if (prompts.has(entry.id)) {
      problems.push({
        file: manifestFile,
        path: `${path}.id`,
        message: `prompt id "${entry.id}" is defined twice`,
      });
    } else {
      prompts.set(entry.id, { value: entry, file: manifestFile, path });
    }
  });
  if (manifest) {
    for (const p of checkPromptFiles(dirname(manifestPath), manifest.prompts)) {
      problems.push({ file: manifestFile, path: p.path, message: p.message });
    }
  }
  if (problems.length > 0) return undefined;

  return { dir, center, manifestFile, manifestPath, prompts, ...sections } as RawRules;
}

/** How much of a file problems may show. */
interface ParseOptions {
  limits?: YamlLimits;
  /**
   * Keys the schema does not know are named in problem paths (default true; false for files the
   * rules only point to). Paths made of the schema's own keys and list indexes are always shown.
   */
  echoKeys?: boolean;
}

/** A key as a problem path shows it: at most 64 characters. */
function shownKey(key: PropertyKey): PropertyKey {
  if (typeof key !== 'string' || key.length <= 64) return key;
  return `${key.slice(0, 61)}...`;
}

/**
 * Reads, parses and schema-checks one YAML file; reports problems as FILE:PATH. The file is held to
 * `YamlLimits` (size, aliases, nesting, expanded size, key length) before it is turned into data; a
 * file exceeding one gets a problem carrying `limit`, and at most `maxProblems` problems per file.
 */
export function parseYamlFile<S extends z.ZodType>(
  fullPath: string,
  file: string,
  schema: S,
  problems: RuleProblem[],
  referrer?: { file: string; path: string },
  options: ParseOptions = {},
): z.infer<S> | undefined {
  const limits = options.limits ?? yamlLimits;
  const refuse = (limit: YamlLimitProblem['limit'], message: string) => {
    const problem: YamlLimitProblem = { file, path: '', message, limit };
    problems.push(problem);
    return undefined;
  };
  let text: string;
  try {
    if (statSync(fullPath).size > limits.maxBytes) {
      return refuse('size', `is larger than ${limits.maxBytes} bytes`);
    }
    text = readFileSync(fullPath, 'utf8');
  } catch (err) {
    const where = referrer ?? { file, path: '' };
    problems.push({ ...where, message: `cannot read ${file} (${(err as NodeJS.ErrnoException).code})` });
    return undefined;
  }
  const early = textExceeds(text, limits);
  if (early) return refuse(early.limit, early.message);
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length > 0) {
    const shown = doc.errors.slice(0, limits.maxProblems).map((e): RuleProblem => {
      const pos = e.linePos?.[0];
      return {
        file,
        path: pos ? `@${pos.line}:${pos.col}` : '',
        message: `YAML syntax error: ${e.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '')}`,
      };
    });
    problems.push(...capProblems(shown, limits.maxProblems, file));
    return undefined;
  }
  const exceeded = documentExceeds(doc, limits);
  if (exceeded) return refuse(exceeded.limit, exceeded.message);
  let data: unknown;
  try {
    // Expansion is bounded by `documentExceeds`: each alias is one reference, measured once.
    data = doc.toJS({ maxAliasCount: -1 });
  } catch (err) {
    // e.g. an alias to an anchor that does not exist (`*name`)
    problems.push({ file, path: '', message: `YAML error: ${(err as Error).message.split('\n')[0]}` });
    return undefined;
  }
  if (data === null || data === undefined) {
    problems.push({ file, path: '', message: 'the file is empty' });
    return undefined;
  }
  if (typeof data !== 'object' || Array.isArray(data)) {
    problems.push({ file, path: '', message: 'must be a mapping of sections (center, lines, menus, …)' });
    return undefined;
  }
  const parsed = schema.safeParse(data);
  if (!parsed.success) {
    const found: RuleProblem[] = [];
    const echo = options.echoKeys ?? true;
    for (const issue of parsed.error.issues) {
      if (found.length > limits.maxProblems) break;
      const base = formatPath(issue.path.map(shownKey));
      if (issue.code === 'unrecognized_keys') {
        if (!echo) {
          found.push({ file, path: base, message: 'has fields this file may not have' });
          continue;
        }
        for (const key of issue.keys) {
          const message =
            base === '' && schema === (RulesFile as z.ZodType)
              ? `unknown section "${String(shownKey(key))}" (sections: center, ${listSections.join(', ')})`
              : 'unknown field (check its spelling)';
          found.push({ file, path: joinPath(base, String(shownKey(key))), message });
        }
      } else {
        const message = /received undefined$/.test(issue.message) ? 'is required' : issue.message;
        found.push({ file, path: base, message });
      }
    }
    const total = found.length > limits.maxProblems ? parsed.error.issues.length : found.length;
    const shown = found.slice(0, limits.maxProblems);
    if (total > shown.length) shown.push(moreProblems(total - shown.length, limits.maxProblems, file));
    problems.push(...shown);
    return undefined;
  }
  return parsed.data;
}
