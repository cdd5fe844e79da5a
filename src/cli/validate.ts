import { parseArgs } from 'node:util';
import { loadPlan } from '../plan/load.ts';
import { formatProblem, RulesInvalidError } from '../plan/problems.ts';
import { validDate } from '../plan/zoned-time.ts';
import { type CommandIO, UsageError } from './io.ts';
import { rulesDir } from './paths.ts';

export const validateHelp = `hotline validate [--rules DIR] [--today YYYY-MM-DD]
  Checks a rules folder. Exit 0 when valid; otherwise exit 1 and one line per problem:
  FILE:PATH: message. A holiday calendar used by a schedule that has no days off for this or
  next year (no State Council notice, not accepted as provisional) is a problem here, while the
  engine itself still loads such rules with a warning. --today checks as of that date (default:
  the clock's), e.g. before a release at the end of the year.`;

export function validateCommand(args: string[], io: CommandIO, now: () => number = Date.now): number {
  const { values } = parseArgs({
    args,
    options: { rules: { type: 'string' }, today: { type: 'string' } },
    strict: true,
  });
  const dir = rulesDir(values.rules);
  let today = now();
  if (values.today !== undefined) {
    // Noon UTC of the date: the same calendar day in every time zone a plan may use.
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(values.today);
    const [y, mo, d] = m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [0, 0, 0];
    if (!m || !validDate(y, mo, d))
      throw new UsageError(`--today: "${values.today}" is not a date (YYYY-MM-DD)`);
    today = Date.UTC(y, mo - 1, d, 12);
  }
  try {
    const { plan, warnings } = loadPlan(dir, { now: today });
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
