import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project's root folder (where package.json is), whatever the working directory. */
export const projectRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));

/** The rules folder: --rules, else HOTLINE_RULES, else the shipped `routing-rules/`. */
export function rulesDir(flag: string | undefined): string {
  return resolve(flag ?? process.env.HOTLINE_RULES ?? join(projectRoot, 'routing-rules'));
}
