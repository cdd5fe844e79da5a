import type { RoutingPlan } from './compile.ts';
import {
  afterFailure,
  type MenuFailure,
  type MenuFailures,
  matchDigits,
  NO_FAILURES,
  retriesText,
} from './menu-input.ts';
import { directReason, directSubcenter } from './pbx-direct.ts';
import { PlanQueryError } from './problems.ts';
import { type SpokenPrompts, spokenPrompts } from './prompt-context.ts';
import { type TimeToTarget, timeToTarget } from './prompt-time.ts';
import { type ProvenanceItem, ProvenanceTrail, provenanceReason, type RouteOwner } from './provenance.ts';
import { enterLine, followRoute, type RouteStep, type StepResult } from './route-step.ts';
import type { MergeModeName, PhaseKindName } from './schema.ts';
import { formatZoned } from './zoned-time.ts';

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
  /** `from` (inclusive) and `until` (exclusive) in the plan's time zone, when the phase has them. */
  phase: { id: string; kind: PhaseKindName; from?: string; until?: string };
  prompts: string[];
  menus: string[];
  target: { kind: TargetKind; id: string };
  /**
   * Time before the caller reaches the target: the prompts heard in full (durations from the
   * prompt manifest) plus the menu timeouts let run out on the way.
   */
  /** What the caller hears: the recorded prompts played (composed ones expanded for this call) and their text. */
  spoken: SpokenPrompts;
  timeToTarget: TimeToTarget;
  /** What each decision rests on: a document clause (quoted) or a local setting. */
  provenance: ProvenanceItem[];
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
  const direct = directSubcenter(plan, entry.line);
  if (direct) reasons.push(directReason(entry.line.number, direct));
  const menus: string[] = [];
  let pos = 0;
  let menuWaitMs = 0;
  const trail = new ProvenanceTrail(plan);
  let owner: RouteOwner = trail.entry(entry.line, entry.phase);
  trail.greeting(plan.center.greeting);
  const ctx = {
    line: entry.line,
    atMs: query.atMs,
    ...(entry.callerClass ? { callerClass: entry.callerClass } : {}),
  };

  let result = followRoute(plan, entry.phase.route, ctx);
  for (let guard = 0; guard < 256; guard++) {
    prompts.push(...result.prompts);
    reasons.push(...result.reasons);
    trail.routes(result.routes, owner);
    const step: RouteStep = result.step;
    if (step.kind === 'menu') {
      trail.menu(step.menu);
      owner = { rule: `menu:${step.menu.id}`, ...(step.menu.source ? { source: step.menu.source } : {}) };
    }
    if (step.kind === 'progress-query') {
      const s = step.service;
      owner = { rule: `self-service:${s.id}`, ...(s.source ? { source: s.source } : {}) };
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
    if (step.kind !== 'menu') return finish(step, result);

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
        menuWaitMs += menu.timeoutSeconds * 1000;
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

  function finish(
    step: Exclude<RouteStep, { kind: 'menu' | 'progress-query' }>,
    last: StepResult,
  ): Explanation {
    trail.target(step, last.routes.at(-1), owner, entry.callerClass);
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
    const reaches = target.kind !== 'menu' && target.kind !== 'ticket' && target.kind !== 'announcement';
    const spoken = spokenPrompts(plan, { lineId: entry.line.id, phaseId: entry.phase.id }, prompts);
    const time = timeToTarget(plan, spoken.played, menuWaitMs, reaches);
    reasons.push(
      `${(time.ms / 1000).toFixed(1)} s of prompts and menu waits before ${reaches ? 'the caller reaches the target' : 'the call ends here'}${time.withoutDuration.length > 0 ? ` (no duration in the manifest for ${time.withoutDuration.join(', ')})` : ''}`,
    );
    reasons.push(...trail.items.map(provenanceReason));
    const tz = plan.center.timezone;
    const bound = (ms: number | undefined) =>
      ms !== undefined && Number.isFinite(ms) ? formatZoned(ms, tz) : undefined;
    const from = bound(entry.phase.fromMs);
    const until = bound(entry.phase.untilMs);
    return {
      number: query.number,
      line: { id: entry.line.id, name: entry.line.name, mode: entry.line.mode },
      phase: {
        id: entry.phase.id,
        kind: entry.phase.kind,
        ...(from !== undefined ? { from } : {}),
        ...(until !== undefined ? { until } : {}),
      },
      prompts,
      spoken,
      menus,
      target,
      timeToTarget: time,
      provenance: trail.items,
      reasons,
    };
  }
}
