// Entry of the what-if worker (see whatif-runner.ts). Worker threads do not share the main
// thread's module hooks, so this plain module loads the TypeScript sources through tsx itself,
// as the rules-draft workers do (src/admin/draft-worker.mjs).
import { register } from 'tsx/esm/api';

register();
const { runWhatIfTask } = await import('./whatif-task.ts');

/** One what-if: a WhatIfTask in, a WhatIfTaskResult out (plain data). */
export default function whatIf(task) {
  return runWhatIfTask(task);
}
