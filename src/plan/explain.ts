import type { RoutingPlan } from './compile.ts';
import {
  afterFailure,
  type MenuFailure,
  type MenuFailures,
  matchDigits,
  NO_FAILURES,
  retriesText,
} from './menu-input.ts';
import { PlanQueryError } from './problems.ts';
import { enterLine, followRoute, type RouteStep } from './route-step.ts';
import type { MergeModeName, PhaseKindName } from './schema.ts';

export type TargetKind =
  | 'pool'
  | 'expert'
  | 'subcenter'
  | 'department'
  | 'emergency'
  | 'center'
  | 'ticket'
  | 'announcement'
  | 'menu';

export interface Explanation {
  number: string;
  line: { id: string; name: string; mode: MergeModeName };
  phase: { id: string; kind: PhaseKindName };
  prompts: string[];
  menus: string[];
  target: { kind: TargetKind; id: string };
  reasons: string[];
}

export interface ExplainQuery {
  number: string;
  atMs: number;
  /** Keys the caller presses, in order; `T` stands for letting a menu time out. */
  digits?: string;
  caller?: string;
}

/**
 * The dry run of a call: what the caller hears, which menus they pass and where the call ends
 * up, using the same route steps as the call engine.
 */
export function explain(plan: RoutingPlan, query: ExplainQuery): Explanation {
  const digits = query.digits ?? '';
  if (!/^[0-9*#T]*$/.test(digits)) {
    throw new PlanQueryError('digits', 'may contain only 0-9, *, # and T (a menu timeout)');
  }
  const entry = enterLine(plan, query.number, query.atMs, query.caller);
  const prompts = [...entry.prompts];
  const reasons = [...entry.reasons];
  const menus: string[] = [];
  let pos = 0;
  const ctx = {
    line: entry.line,
    atMs: query.atMs,
    ...(entry.callerClass ? { callerClass: entry.callerClass } : {}),
  };

  let result = followRoute(plan, entry.phase.route, ctx);
  for (let guard = 0; guard < 256; guard++) {
    prompts.push(...result.prompts);
    reasons.push(...result.reasons);
    const step: RouteStep = result.step;
    if (step.kind === 'progress-query') {
      prompts.push(step.service.prompt);
      const end = digits.indexOf('#', pos);
      const keyed = end >= 0 ? digits.slice(pos, end) : digits.slice(pos);
      pos = end >= 0 ? end + 1 : digits.length;
      reasons.push(
        `progress self-query "${step.service.id}": the caller keys a ticket number${keyed ? ` (${keyed.length} keys)` : ''} and hears its status from the ticketing system`,
      );
      result = followRoute(plan, step.service.next, ctx);
      continue;
    }
    if (step.kind !== 'menu') return finish(step);

    const menu = step.menu;
    menus.push(menu.id);
    prompts.push(menu.prompt);
    let failures: MenuFailures = NO_FAILURES;
    let next: typeof result | undefined;
    while (!next) {
      if (pos >= digits.length) {
        reasons.push(`waiting in menu "${menu.id}" for the caller's keys`);
        return build({ kind: 'menu', id: menu.id });
      }
      let failure: MenuFailure | undefined;
      if (digits[pos] === 'T') {
        pos++;
        failure = 'timeout';
      } else {
        let collected = '';
        for (;;) {
          collected += digits[pos++];
          const m = matchDigits(menu, collected);
          if (m.kind === 'match') {
            reasons.push(`in menu "${menu.id}" the caller pressed ${collected}: ${m.option.label}`);
            next = followRoute(plan, m.option.route, ctx);
            break;
          }
          if (m.kind === 'invalid' || pos >= digits.length || digits[pos] === 'T') {
            if (m.kind === 'prefix' && pos >= digits.length) {
              reasons.push(`in menu "${menu.id}" the caller has pressed ${collected} so far`);
              return build({ kind: 'menu', id: menu.id });
            }
            failure = 'invalid';
            break;
          }
        }
      }
      if (failure) {
        const after = afterFailure(menu, failure, failures);
        const what = failure === 'timeout' ? 'no input' : 'invalid input';
        prompts.push(...after.prompts);
        failures = after.failures;
        if (after.kind === 'retry') {
          reasons.push(`menu "${menu.id}": ${what}, try ${after.attempt}`);
        } else {
          const tries = after.failures.invalid + after.failures.timeout;
          reasons.push(
            `menu "${menu.id}": ${what} after ${tries} tries (${what} allows ${retriesText(menu, failure)}); default action`,
          );
          next = followRoute(plan, menu.default, ctx);
        }
      }
    }
    result = next;
  }
  throw new PlanQueryError('digits', 'the call visits too many menus; check the menus for a loop');

  function finish(step: Exclude<RouteStep, { kind: 'menu' | 'progress-query' }>): Explanation {
    switch (step.kind) {
      case 'queue':
        return build({ kind: step.queue, id: step.id });
      case 'dial':
        return build({ kind: step.target, id: step.id });
      case 'ticket':
        return build({ kind: 'ticket', id: 'ticket' });
      case 'announcement':
        return build({ kind: 'announcement', id: step.prompt });
    }
  }

  function build(target: Explanation['target']): Explanation {
    if (pos < digits.length) reasons.push(`keys not used: ${digits.slice(pos)}`);
    return {
      number: query.number,
      line: { id: entry.line.id, name: entry.line.name, mode: entry.line.mode },
      phase: { id: entry.phase.id, kind: entry.phase.kind },
      prompts,
      menus,
      target,
      reasons,
    };
  }
}
