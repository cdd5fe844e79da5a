// Entry of the rules-draft workers (see draft-pool.ts). Worker threads do not share the main
// thread's module hooks, so this plain module loads the TypeScript sources through tsx itself,
// the same way under `hotline serve` (bin/hotline.js) and under the test runner.
import { register } from 'tsx/esm/api';

register();
const { compileFiles } = await import('./draft.ts');

/**
 * One draft compiled: `{ files, bases, now, promptRoots }` in, a CompiledDraft out (plain data:
 * the plan's Maps and Sets survive the structured clone back to the main thread).
 */
export default function compileDraft(task) {
  if (task.warm) return { ok: true };
  return compileFiles(task.files, task.bases, task.now, task.promptRoots);
}
