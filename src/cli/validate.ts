import { parseArgs } from 'node:util';
import { loadPlan } from '../plan/load.ts';
import { formatProblem, RulesInvalidError } from '../plan/problems.ts';
import type { CommandIO } from './io.ts';
import { rulesDir } from './paths.ts';

export const validateHelp = `hotline validate [--rules DIR]
  Checks a rules folder. Exit 0 when valid; otherwise exit 1 and one line per problem:
  FILE:PATH: message. A holiday calendar used by a schedule that has no days off for this or
  next year (no State Council notice, not accepted as provisional) is a problem here, while the
  engine itself still loads such rules with a warning.`;

export function validateCommand(args: string[], io: CommandIO, now: () => number = Date.now): number {
  const { values } = parseArgs({ args, options: { rules: { type: 'string' } }, strict: true });
  const dir = rulesDir(values.rules);
  try {
    const { plan, warnings } = loadPlan(dir, { now: now() });
    const blocking = warnings.filter((w) => w.failsValidate);
    if (blocking.length > 0) {
      for (const p of blocking) io.out(formatProblem(p));
      return 1;
    }
    for (const w of warnings) io.err(`warning: ${formatProblem(w)}`);
    io.out(
      `ok: ${plan.center.name} — ${plan.lines.size} lines, ${plan.menus.size} menus, ${plan.pools.size} pools, ` +
        `${plan.experts.size} expert seats, ${plan.subcenters.size} sub-centers, ${plan.prompts.size} prompts`,
    );
    return 0;
  } catch (err) {
    if (err instanceof RulesInvalidError) {
      for (const p of err.problems) io.out(formatProblem(p));
      return 1;
    }
    throw err;
  }
}
