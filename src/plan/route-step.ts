import { describeDay } from './calendar.ts';
import type {
  CompiledLine,
  CompiledMenu,
  CompiledRoute,
  CompiledSelfService,
  RoutingPlan,
} from './compile.ts';
import { areaCodes, normalizeDialed } from './dialed.ts';
import { type PhaseView, phaseAt } from './phase.ts';
import { UnknownNumberError } from './problems.ts';
import { OWN } from './ref.ts';
import { openState } from './schedule.ts';
import type { CallerClassRule, SourceRule } from './schema.ts';
import { sourceText } from './source.ts';

/** The caller waits in a pool's or expert seat's queue (the call session runs this step as it is). */
export interface QueueStep {
  kind: 'queue';
  queue: 'pool' | 'expert';
  id: string;
  skill: string;
  priority: number;
}

/**
 * The caller is put through to a sub-center, a department's own line, an emergency line or
 * another center (run as it is too).
 */
export interface DialStep {
  kind: 'dial';
  target: 'subcenter' | 'department' | 'emergency' | 'center';
  id: string;
  dial: string;
  ringSeconds: number;
}

/** Where the call stands after following a route as far as it goes without the caller. */
export type RouteStep =
  | { kind: 'menu'; menu: CompiledMenu }
  | { kind: 'progress-query'; service: Extract<CompiledSelfService, { kind: 'progress-query' }> }
  | QueueStep
  | DialStep
  | { kind: 'ticket' }
  | { kind: 'announcement'; prompt: string };

/** A route followed on the way to a step, with the rules entry it belongs to (for provenance). */
export interface RouteHop {
  route: CompiledRoute;
  /** The entry holding the route (`answer:x`, `line:y`, `pool:z`, …); absent for the route given. */
  rule?: string;
  /** That entry's `source` (or, for a phase, the phase's). */
  source?: SourceRule;
}

export interface StepResult {
  /** Prompts to play, in order, before the step. */
  prompts: string[];
  reasons: string[];
  step: RouteStep;
  /** The routes followed, the given one first. */
  routes: RouteHop[];
}

export interface CallEntry {
  line: CompiledLine;
  phase: PhaseView;
  callerClass?: CallerClassRule;
  /** Prompts for every caller of the line before its route (center greeting). */
  prompts: string[];
  reasons: string[];
}

/**
 * The entry of a call the engine answers: its dialed number's line, or the main line for a
 * number no line answers (a call is never dropped); `unknown` says which.
 */
export function enterCall(
  plan: RoutingPlan,
  number: string,
  atMs: number,
  caller?: string,
): { entry: CallEntry; unknown: boolean } {
  try {
    return { entry: enterLine(plan, number, atMs, caller), unknown: false };
  } catch (err) {
    if (!(err instanceof UnknownNumberError)) throw err;
    const main = [...plan.lines.values()].find((l) => l.mode === 'main') ?? [...plan.lines.values()][0]!;
    return { entry: enterLine(plan, main.number, atMs, caller), unknown: true };
  }
}

/**
 * Finds the line of a dialed number (as people dial it: separators, +86, the center's area code)
 * and its phase at the call's instant.
 */
export function enterLine(plan: RoutingPlan, number: string, atMs: number, caller?: string): CallEntry {
  const dialed = normalizeDialed(number, areaCodes(plan.center.areaCode));
  const line = plan.linesByNumber.get(dialed.number);
  if (!line) throw new UnknownNumberError(number);
  const phase = phaseAt(line, atMs);
  if (!phase) throw new UnknownNumberError(number);
  const reasons: string[] =
    dialed.steps.length > 0 ? [`dialed ${number} → ${dialed.number} (${dialed.steps.join(', ')})`] : [];
  reasons.push(
    `number ${dialed.number} is line "${line.id}" (${line.name}), ${line.mode}, ${line.department}`,
  );
  reasons.push(
    phase.kind === 'active' && phase.id === 'default'
      ? 'no dated phase applies; the line routes by its own route'
      : `at this time the line is in phase "${phase.id}" (${phase.kind})${phase.source ? `: ${sourceText(phase.source)}` : ''}`,
  );
  const entry: CallEntry = { line, phase, prompts: [...plan.center.greeting], reasons };
  if (plan.center.greeting.length > 0) reasons.push('every caller first hears the center greeting');
  const cls = caller !== undefined ? callerClassOf(plan, caller) : undefined;
  if (cls) {
    entry.callerClass = cls;
    reasons.push(`caller belongs to "${cls.id}" (${cls.name}): priority ${cls.priority}`);
  }
  return entry;
}

function callerClassOf(plan: RoutingPlan, caller: string): CallerClassRule | undefined {
  const digits = caller.replace(/[^0-9]/g, '');
  return plan.callerClasses.find((c) =>
    c.callers.some((p) => (p.endsWith('*') ? digits.startsWith(p.slice(0, -1)) : digits === p)),
  );
}

const MAX_HOPS = 32;

/** Resolves `expert:*`/`subcenter:*`/`department:*` to the target serving the line's number, else by id. */
function own<T extends { id: string; number: string }>(
  table: ReadonlyMap<string, T>,
  id: string,
  line: CompiledLine,
): T {
  if (id !== OWN) return table.get(id)!;
  for (const t of table.values()) if (t.number === line.number) return t;
  throw new UnknownNumberError(line.number);
}

/**
 * Follows a route through everything that needs no input from the caller (standard answers,
 * references to other lines, closed hours) up to the next step the call engine must perform.
 */
export function followRoute(
  plan: RoutingPlan,
  route: CompiledRoute,
  ctx: { line: CompiledLine; atMs: number; callerClass?: CallerClassRule },
): StepResult {
  const prompts: string[] = [];
  const reasons: string[] = [];
  const routes: RouteHop[] = [{ route }];
  let current = route;
  let line = ctx.line;
  const goOn = (next: CompiledRoute, rule: string, source: SourceRule | undefined) => {
    routes.push(source !== undefined ? { route: next, rule, source } : { route: next, rule });
    current = next;
  };
  for (let hop = 0; hop < MAX_HOPS; hop++) {
    prompts.push(...current.prompts);
    const t = current.target;
    const priority = Math.max(
      current.priority ?? plan.center.defaultPriority,
      ctx.callerClass?.priority ?? 0,
    );
    switch (t.kind) {
      case 'menu': {
        const menu = plan.menus.get(t.id)!;
        if (menu.enabled) return { prompts, reasons, routes, step: { kind: 'menu', menu } };
        // A menu switched off (`enabled: false`) is passed by: its default route, without the menu.
        reasons.push(`menu "${menu.id}" is switched off (enabled: false): its default route, no menu`);
        goOn(menu.default, `menu:${menu.id}`, menu.source);
        continue;
      }
      case 'ticket':
        reasons.push('the call becomes a ticket (work order) for a call-back');
        return { prompts, reasons, routes, step: { kind: 'ticket' } };
      case 'announcement':
        prompts.push(t.id);
        reasons.push(`the caller hears "${t.id}" and the call ends`);
        return { prompts, reasons, routes, step: { kind: 'announcement', prompt: t.id } };
      case 'answer': {
        const a = plan.answers.get(t.id)!;
        prompts.push(a.prompt);
        reasons.push(`knowledge-base standard answer "${a.title}"`);
        goOn(a.next, `answer:${a.id}`, a.source);
        continue;
      }
      case 'self-service': {
        const s = plan.selfService.get(t.id)!;
        if (s.kind !== 'progress-query') throw new Error(`self-service ${s.id} is not routable`);
        return { prompts, reasons, routes, step: { kind: 'progress-query', service: s } };
      }
      case 'line': {
        const other = plan.lines.get(t.id)!;
        const phase = phaseAt(other, ctx.atMs);
        if (!phase) throw new UnknownNumberError(other.number);
        reasons.push(`offered the service of line "${other.id}" (${other.number}), phase "${phase.id}"`);
        line = other;
        goOn(phase.route, `line:${other.id}`, phase.source ?? other.source ?? other.groupSource);
        continue;
      }
      case 'pool':
      case 'expert': {
        const q = t.kind === 'pool' ? plan.pools.get(t.id)! : own(plan.experts, t.id, line);
        const state = openState(plan.schedules.get(q.hours)!, ctx.atMs, plan.center.timezone);
        if (state.day) reasons.push(describeDay(state.day));
        if (!state.open) {
          reasons.push(`${t.kind} "${q.id}" is closed now (hours "${q.hours}")`);
          goOn(q.closed!, `${t.kind}:${q.id}`, q.source);
          continue;
        }
        const skill = current.skill ?? ctx.line.topic;
        reasons.push(
          `queued for ${t.kind} "${q.id}" (${q.name}) preferring skill "${skill}", priority ${priority}`,
        );
        return {
          prompts,
          reasons,
          routes,
          step: { kind: 'queue', queue: t.kind, id: q.id, skill, priority },
        };
      }
      case 'subcenter': {
        const sc = own(plan.subcenters, t.id, line);
        const state = openState(plan.schedules.get(sc.hours)!, ctx.atMs, plan.center.timezone);
        if (state.day) reasons.push(describeDay(state.day));
        if (!state.open) {
          reasons.push(`sub-center "${sc.id}" is closed now (hours "${sc.hours}")`);
          goOn(sc.closed!, `subcenter:${sc.id}`, sc.source);
          continue;
        }
        reasons.push(`transferred to sub-center "${sc.id}" (${sc.name}, ${sc.number})`);
        return {
          prompts,
          reasons,
          routes,
          step: { kind: 'dial', target: 'subcenter', id: sc.id, dial: sc.dial, ringSeconds: sc.ringSeconds },
        };
      }
      case 'department': {
        const d = own(plan.departments, t.id, line);
        reasons.push(
          `put through to the department's own line "${d.id}" (${d.name}, ${d.department}, ${d.number})`,
        );
        return {
          prompts,
          reasons,
          routes,
          step: { kind: 'dial', target: 'department', id: d.id, dial: d.dial, ringSeconds: d.ringSeconds },
        };
      }
      case 'emergency': {
        const e = plan.emergency.get(t.id)!;
        reasons.push(`linked to emergency line ${e.number} (${e.name}) by three-way call`);
        return {
          prompts,
          reasons,
          routes,
          step: { kind: 'dial', target: 'emergency', id: t.id, dial: e.dial, ringSeconds: e.ringSeconds },
        };
      }
      case 'center': {
        const c = plan.centers.get(t.id)!;
        reasons.push(`transferred to ${c.name} (${c.number})`);
        return {
          prompts,
          reasons,
          routes,
          step: { kind: 'dial', target: 'center', id: t.id, dial: c.dial, ringSeconds: c.ringSeconds },
        };
      }
    }
  }
  throw new Error(`route of line ${ctx.line.id} did not settle after ${MAX_HOPS} hops`);
}
