import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { TrunkNameError } from '../deploy/dial-targets.ts';
import { generatedFiles } from '../deploy/generated-files.ts';
import { parseStasisApps, StasisAppsError } from '../deploy/stasis-apps.ts';
import { loadPlan } from '../plan/load.ts';
import { formatProblem, RulesInvalidError } from '../plan/problems.ts';
import { type CommandIO, UsageError } from './io.ts';
import { rulesDir } from './paths.ts';

export const dialplanHelp = `hotline dialplan [--rules DIR] [--apps a,b] [--out DIR]
  Generates the Asterisk configuration that depends on the routing plan, so the two cannot drift:
  extensions-generated.conf (every number of the plan into the Stasis apps, spread per call over
  --apps, default ARI_APP or "hotline") and pjsip-trunks-generated.conf (an endpoint for every
  @trunk of the sub-center, emergency, other-center and directory dial strings).
  With --out DIR writes both files there (e.g. --out dialplan), else prints them.
  Exit 1 with FILE:PATH lines when the rules are invalid.`;

export function dialplanCommand(args: string[], io: CommandIO): number {
  const { values } = parseArgs({
    args,
    options: { rules: { type: 'string' }, apps: { type: 'string' }, out: { type: 'string' } },
    strict: true,
  });
  let apps: string[];
  try {
    apps = parseStasisApps(values.apps ?? process.env.ARI_APP ?? 'hotline');
  } catch (err) {
    if (err instanceof StasisAppsError) throw new UsageError(`--apps: ${err.message}`);
    throw err;
  }
  let files: [string, string][];
  try {
    const { plan, warnings } = loadPlan(rulesDir(values.rules));
    for (const w of warnings) io.err(`warning: ${formatProblem(w)}`);
    files = generatedFiles(plan, apps);
  } catch (err) {
    if (err instanceof RulesInvalidError) {
      for (const p of err.problems) io.out(formatProblem(p));
      return 1;
    }
    if (err instanceof TrunkNameError) {
      io.err(`dialplan: ${err.message}`);
      return 1;
    }
    throw err;
  }
  if (values.out === undefined) {
    io.out(files.map(([, text]) => text).join('\n'));
    return 0;
  }
  const dir = resolve(values.out);
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of files) {
    writeFileSync(join(dir, name), text);
    io.out(`wrote ${join(values.out, name)}`);
  }
  return 0;
}
