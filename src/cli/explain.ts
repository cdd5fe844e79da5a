import { parseArgs } from 'node:util';
import { DialedInput } from '../plan/dialed.ts';
import { explain } from '../plan/explain.ts';
import { loadPlan } from '../plan/load.ts';
import { formatProblem, PlanQueryError, RulesInvalidError, UnknownNumberError } from '../plan/problems.ts';
import { parseInstant } from '../plan/zoned-time.ts';
import { type CommandIO, UsageError } from './io.ts';
import { rulesDir } from './paths.ts';

export const explainHelp = `hotline explain --number N [--at ISO8601] [--digits D] [--caller C] [--rules DIR]
  Dry run of a call, as JSON. --number as dialed (0393-4420000, +86 393 4420000 are read as
  the plan's 4420000 when the center's area code is 0393). --at defaults to now; a time without offset is in the plan's
  time zone. --digits are the keys pressed in menus, in order (T = let a menu time out).
  Exit 2 for an unknown number or bad input.`;

export function explainCommand(args: string[], io: CommandIO, now: () => number = Date.now): number {
  const { values } = parseArgs({
    args,
    options: {
      number: { type: 'string' },
      at: { type: 'string' },
      digits: { type: 'string' },
      caller: { type: 'string' },
      rules: { type: 'string' },
    },
    strict: true,
  });
  if (!values.number) throw new UsageError('--number is required');
  const number = DialedInput.safeParse(values.number);
  if (!number.success) {
    io.err(`--number: "${values.number}": ${number.error.issues[0]?.message}`);
    return 2;
  }
  let loaded: ReturnType<typeof loadPlan>;
  try {
    loaded = loadPlan(rulesDir(values.rules), { now: now() });
  } catch (err) {
    if (err instanceof RulesInvalidError) {
      for (const p of err.problems) io.err(formatProblem(p));
      return 1;
    }
    throw err;
  }
  const { plan } = loaded;
  const atMs = values.at === undefined ? now() : parseInstant(values.at, plan.center.timezone);
  if (atMs === undefined) {
    io.err(`--at: "${values.at}" is not an ISO 8601 date or date-time (e.g. 2021-06-01T09:30:00+08:00)`);
    return 2;
  }
  try {
    const result = explain(plan, {
      number: number.data,
      atMs,
      ...(values.digits !== undefined ? { digits: values.digits } : {}),
      ...(values.caller !== undefined ? { caller: values.caller } : {}),
    });
    io.out(JSON.stringify(result, null, 2));
    return 0;
  } catch (err) {
    if (err instanceof UnknownNumberError) {
      io.err(`--number: ${err.message}`);
      return 2;
    }
    if (err instanceof PlanQueryError) {
      io.err(`--${err.message}`);
      return 2;
    }
    throw err;
  }
}
