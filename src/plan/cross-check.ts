import { checkCalendars } from './checks/calendars.ts';
import { checkContext, declaredIds, problemAdder } from './checks/context.ts';
import { checkCenter, checkNumbers, checkQueues, checkSchedules } from './checks/declarations.ts';
import { checkGroups, checkLines } from './checks/lines.ts';
import { checkAnswers, checkMenus, checkSelfService } from './checks/menus.ts';
import { checkPrompts } from './checks/prompts.ts';
import { checkGraph, checkRoutes } from './checks/routes.ts';
import { checkSources } from './checks/sources.ts';
import type { RuleProblem, Warning } from './problems.ts';
import type { RawRules } from './raw-rules.ts';

export type { Warning } from './problems.ts';

/**
 * The checks that span files and sections: every reference resolves, ids and numbers are
 * unique, phases of a line do not overlap, menus are reachable and never trap a caller.
 * Pushes problems (in this order of concerns); returns warnings (e.g. a holiday calendar that
 * does not cover this year). The section checks collect the routes they hold; the routes are
 * checked once every section has been read, then the graph they form.
 */
export function crossCheck(raw: RawRules, problems: RuleProblem[], now: number): Warning[] {
  const add = problemAdder(problems);
  const ctx = checkContext(raw, declaredIds(raw, add), add, now);
  checkNumbers(ctx);
  checkCenter(ctx);
  checkCalendars(ctx);
  checkSchedules(ctx);
  checkQueues(ctx);
  checkMenus(ctx);
  checkAnswers(ctx);
  checkSelfService(ctx);
  checkGroups(ctx);
  checkLines(ctx);
  checkSources(ctx);
  checkGraph(raw, checkRoutes(ctx), add);
  checkPrompts(ctx);
  return ctx.warnings;
}
