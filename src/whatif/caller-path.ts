import type { CompiledLine, CompiledRoute, RoutingPlan } from '../plan/compile.ts';
import {
  afterFailure,
  type MenuFailure,
  type MenuFailures,
  matchDigits,
  NO_FAILURES,
} from '../plan/menu-input.ts';
import type { PhaseView } from '../plan/phase.ts';
import { promptContext } from '../plan/prompt-context.ts';
import { enterCall, followRoute, type RouteStep, type StepResult } from '../plan/route-step.ts';
import type { CallerClassRule } from '../plan/schema.ts';
import { expandPrompts } from '../prompts/expand.ts';

/** Where a caller's path through the IVR ends: a queue, a dialled target, a ticket or an announcement. */
export type PathEnd = Exclude<RouteStep, { kind: 'menu' | 'progress-query' }>;

/** A caller's way through the plan up to the first person (or the end of the call). */
export interface CallerPath {
  line: CompiledLine;
  phase: PhaseView;
  callerClass?: CallerClassRule;
  /** The number matched no line: the main line served it. */
  unknown: boolean;
  end: PathEnd;
  /** Prompts heard in full plus menu timeouts, ms (the definition of `hotline explain`'s timeToTarget). */
  ivrMs: number;
  /** A progress self-query was passed on the way. */
  selfService: boolean;
}

const MAX_MENUS = 64;

/**
 * The path of a caller who dials `dialed` at `atMs` and presses `keys` (`T`: lets a menu time
 * out). Every decision is the plan's own (enterCall, followRoute, matchDigits, afterFailure: the
 * functions the call session and `explain` use); this walks them with the caller's keys. A caller
 * whose keys run out in a menu lets it time out, as a silent caller does on the line, until the
 * menu's default action.
 */
export function callerPath(plan: RoutingPlan, dialed: string, atMs: number, keys: string): CallerPath {
  const { entry, unknown } = enterCall(plan, dialed, atMs);
  const ctx = {
    line: entry.line,
    atMs,
    ...(entry.callerClass ? { callerClass: entry.callerClass } : {}),
  };
  const prompts: string[] = [...entry.prompts];
  let menuWaitMs = 0;
  let pos = 0;
  let selfService = false;
  let result: StepResult = followRoute(plan, entry.phase.route, ctx);
  for (let visits = 0; visits < MAX_MENUS; visits++) {
    prompts.push(...result.prompts);
    const step = result.step;
    if (step.kind === 'progress-query') {
      selfService = true;
      prompts.push(step.service.prompt);
      const end = keys.indexOf('#', pos);
      pos = end >= 0 ? end + 1 : keys.length;
      result = followRoute(plan, step.service.next, ctx);
      continue;
    }
    if (step.kind !== 'menu') {
      const ivrMs = playMs(plan, entry.line.id, entry.phase.id, prompts) + menuWaitMs;
      return {
        line: entry.line,
        phase: entry.phase,
        ...(entry.callerClass ? { callerClass: entry.callerClass } : {}),
        unknown,
        end: step,
        ivrMs,
        selfService,
      };
    }
    const menu = step.menu;
    prompts.push(menu.prompt);
    let failures: MenuFailures = NO_FAILURES;
    let next: StepResult | undefined;
    while (!next) {
      let failure: MenuFailure | undefined;
      if (pos >= keys.length || keys[pos] === 'T') {
        if (pos < keys.length) pos++;
        failure = 'timeout';
        menuWaitMs += menu.timeoutSeconds * 1000;
      } else {
        let collected = '';
        for (;;) {
          collected += keys[pos++];
          const m = matchDigits(menu, collected);
          if (m.kind === 'match') {
            next = followRoute(plan, m.option.route, ctx);
            break;
          }
          if (m.kind === 'invalid' || pos >= keys.length || keys[pos] === 'T') {
            // Keys that stop in the middle of an option: the menu's digit timeout takes them as invalid.
            failure = 'invalid';
            break;
          }
        }
      }
      if (failure) {
        const after = afterFailure(menu, failure, failures);
        prompts.push(...after.prompts);
        failures = after.failures;
        if (after.kind === 'default') next = followRoute(plan, menu.default, ctx);
      }
    }
    result = next;
  }
  throw new Error(`line ${entry.line.id}: the caller's path visits more than ${MAX_MENUS} menus`);
}

/**
 * Where a route leads when the engine follows it without the caller (an overflow): the plan's
 * followRoute, with the time its prompts play; a menu on the way is let time out to its default.
 */
export function routeOnward(
  plan: RoutingPlan,
  route: CompiledRoute,
  path: Pick<CallerPath, 'line' | 'phase' | 'callerClass'>,
  atMs: number,
): { end: PathEnd; ms: number } {
  const ctx = { line: path.line, atMs, ...(path.callerClass ? { callerClass: path.callerClass } : {}) };
  const prompts: string[] = [];
  let waitMs = 0;
  let result = followRoute(plan, route, ctx);
  for (let visits = 0; visits < MAX_MENUS; visits++) {
    prompts.push(...result.prompts);
    const step = result.step;
    if (step.kind === 'progress-query') {
      prompts.push(step.service.prompt);
      result = followRoute(plan, step.service.next, ctx);
      continue;
    }
    if (step.kind !== 'menu') {
      return { end: step, ms: playMs(plan, path.line.id, path.phase.id, prompts) + waitMs };
    }
    const menu = step.menu;
    prompts.push(menu.prompt);
    let failures: MenuFailures = NO_FAILURES;
    for (;;) {
      waitMs += menu.timeoutSeconds * 1000;
      const after = afterFailure(menu, 'timeout', failures);
      prompts.push(...after.prompts);
      failures = after.failures;
      if (after.kind === 'default') break;
    }
    result = followRoute(plan, menu.default, ctx);
  }
  throw new Error(`line ${path.line.id}: the onward route visits more than ${MAX_MENUS} menus`);
}

/** How long prompts play for a call on a line and phase (composed prompts expanded), ms. */
function playMs(plan: RoutingPlan, lineId: string, phaseId: string, prompts: readonly string[]): number {
  let ms = 0;
  for (const id of expandPrompts(plan.prompts, prompts, promptContext(plan, lineId, phaseId))) {
    ms += plan.prompts.get(id)?.durationMs ?? 0;
  }
  return ms;
}
