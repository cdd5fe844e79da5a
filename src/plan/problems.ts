import { HotlineError } from '../errors.ts';

/** One thing wrong with a rule set, located as `FILE:PATH` (PATH like `lines[3].phases[1].until`). */
export interface RuleProblem {
  file: string;
  /** Path inside the file; empty for problems of the whole file; `@line:col` for syntax errors. */
  path: string;
  message: string;
}

/** Something worth saying about a rule set that still loads, located like a problem. */
export interface Warning {
  file: string;
  path: string;
  message: string;
  /**
   * `hotline validate` fails on this warning (exit 1) while the engine still loads the rules: a
   * missing holiday notice must be fixed before a release, yet must not stop a running center.
   */
  failsValidate?: true;
}

export function formatProblem(p: RuleProblem): string {
  if (!p.path) return `${p.file}: ${p.message}`;
  return `${p.file}:${p.path}: ${p.message}`;
}

export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out;
}

export function joinPath(base: string, rest: string): string {
  if (!rest) return base;
  if (!base) return rest;
  return rest.startsWith('[') ? `${base}${rest}` : `${base}.${rest}`;
}

/** The rule set is invalid; nothing of it was loaded. */
export class RulesInvalidError extends HotlineError {
  readonly problems: readonly RuleProblem[];
  constructor(problems: RuleProblem[]) {
    const sorted = [...problems].sort(
      (a, b) => a.file.localeCompare(b.file) || a.path.localeCompare(b.path, 'en', { numeric: true }),
    );
    super(
      'rules-invalid',
      `${sorted.length} problem(s) in the routing rules:\n${sorted.map(formatProblem).join('\n')}`,
    );
    this.problems = sorted;
  }
}

/** A dialed number that no line of the plan answers. */
export class UnknownNumberError extends HotlineError {
  constructor(readonly number: string) {
    super('unknown-number', `no line of the routing plan answers number "${number}"`);
  }
}

/** Bad input to a plan query (explain): an unparseable time, digits, … */
export class PlanQueryError extends HotlineError {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super('invalid-query', `${field}: ${message}`);
  }
}
