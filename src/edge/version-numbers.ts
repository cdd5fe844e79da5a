import { compileFiles } from '../admin/draft.ts';
import { type PlanNumbers, planNumbers } from './number-check.ts';

/** A published rules version to compile for the edge (plain data: it is handed to a worker thread). */
export interface VersionCompileTask {
  files: Record<string, string>;
  /** Folders its relative paths resolve against (the version's own, then the edge's). */
  bases: string[];
  /** The center the edge serves: a version for another center is not used. */
  centerId: string;
}

/** The version's numbers, or why the edge does not use it. */
export type VersionNumbers = { ok: true; numbers: PlanNumbers } | { ok: false; reason: string };

/**
 * Runs in the edge's compile worker (version-numbers-worker.mjs): compiles the version whole, as
 * an engine would, and returns only what the edge answers from, never the plan.
 */
export function compileVersionNumbers(task: VersionCompileTask): VersionNumbers {
  const compiled = compileFiles(task.files, task.bases);
  if (!compiled.ok)
    return { ok: false, reason: `it does not load here (${compiled.problems.length} problems)` };
  if (compiled.plan.center.id !== task.centerId)
    return { ok: false, reason: `it is for center "${compiled.plan.center.id}"` };
  return { ok: true, numbers: planNumbers(compiled.plan) };
}
