// Entry of the edge's rules-version compile worker (see version-compiler.ts). Worker threads do
// not share the main thread's module hooks, so this plain module loads the TypeScript sources
// through tsx itself, as the rules-draft and what-if workers do (src/admin/draft-worker.mjs).
import { register } from 'tsx/esm/api';

register();
const { compileVersionNumbers } = await import('./version-numbers.ts');

/** One published version: a VersionCompileTask in, VersionNumbers out (plain data). */
export default function versionNumbers(task) {
  return compileVersionNumbers(task);
}
