import type { CompiledLine, CompiledMenu, CompiledRoute, RoutingPlan } from './compile.ts';
import type { PhaseView } from './phase.ts';
import type { RouteHop, RouteStep } from './route-step.ts';
import type { CallerClassRule, SourceRule } from './schema.ts';
import { type Basis, basisOf, fieldSource, sourceText } from './source.ts';
import { formatZoned } from './zoned-time.ts';

/** The decisions `explain` says the basis of. */
export type Decision =
  | 'line'
  | 'mode'
  | 'phase'
  | 'dates'
  | 'prompts'
  | 'menu'
  | 'target'
  | 'dial'
  | 'hours'
  | 'queue'
  | 'priority';

/** One decision of a call's route and what it rests on. */
export interface ProvenanceItem {
  decision: Decision;
  /** What was decided, in words (`phase "transition" (transition)`, `pool "general"`, `priority 8`). */
  value: string;
  /** The rules entry holding it: `line:l12348`, `group:dual-number#merged`, `pool:general`, `center`. */
  rule: string;
  basis: Basis;
  /** For a document basis: the clause, quoted from the plan's document. */
  clause?: string;
  /** The plan's document (the center's `source`) the clause is quoted from. */
  document?: string;
  /** For a local setting: why, when the rules say. */
  reason?: string;
}

/** Whose route a route is: the rules entry holding it and that entry's source. */
export interface RouteOwner {
  rule: string;
  source?: SourceRule;
}

/** Dial strings are deployment settings: no document gives one. */
const DIAL_REASON = "a deployment's trunk and dial string; no document gives one";

/**
 * Collects, while `explain` follows a call, the basis of each decision: the line and its mode,
 * the phase and its dates, the prompts, menus, target, dial string, hours, queue timings and
 * priority. A value rests on a document clause (quoted), a local setting (`source: local…`), or
 * nothing the rules say (`unmarked`).
 */
export class ProvenanceTrail {
  readonly items: ProvenanceItem[] = [];
  private readonly document: string | undefined;

  constructor(private readonly plan: RoutingPlan) {
    this.document = sourceText(plan.center.source);
  }

  /** The center's own mark for one of its settings (its `source` names the document otherwise). */
  private centerField(field: string): string | undefined {
    const s = this.plan.center.source;
    return s !== undefined && typeof s !== 'string' ? s[field] : undefined;
  }

  add(decision: Decision, value: string, rule: string, text: string | undefined): void {
    const b = basisOf(text);
    const item: ProvenanceItem = { decision, value, rule, basis: b.basis };
    if (b.clause !== undefined) {
      item.clause = b.clause;
      if (this.document !== undefined && b.clause !== this.document) item.document = this.document;
    }
    if (b.reason !== undefined) item.reason = b.reason;
    this.items.push(item);
  }

  /** The line, its mode and the phase the call is in (with its dates). */
  entry(line: CompiledLine, phase: PhaseView): RouteOwner {
    const lineRule = `line:${line.id}`;
    this.add(
      'line',
      `${line.number} ${line.name}`,
      lineRule,
      sourceText(line.source) ?? sourceText(line.groupSource),
    );
    this.add(
      'line',
      `department ${line.department}`,
      lineRule,
      sourceText(line.source, 'department') ?? sourceText(line.groupSource),
    );
    const modeRule = line.group !== undefined ? `group:${line.group}` : lineRule;
    this.add(
      'mode',
      line.mode,
      modeRule,
      sourceText(line.groupSource, 'mode') ?? sourceText(line.source, 'mode'),
    );
    if (phase.fromMs === undefined) {
      return { rule: lineRule, ...(line.source !== undefined ? { source: line.source } : {}) };
    }
    const phaseRule = `${modeRule}#${phase.id}`;
    this.add('phase', `"${phase.id}" (${phase.kind})`, phaseRule, sourceText(phase.source));
    const tz = this.plan.center.timezone;
    const bound = (ms: number | undefined) =>
      ms === undefined || !Number.isFinite(ms) ? '…' : formatZoned(ms, tz).slice(0, 10);
    // Dates read from the document rather than written in it are marked on `from`/`until`.
    const from = sourceText(phase.source, 'from');
    const until = sourceText(phase.source, 'until');
    this.add(
      'dates',
      `from ${bound(phase.fromMs)} until ${bound(phase.untilMs)} (exclusive)`,
      phaseRule,
      basisOf(from).basis === 'local' || basisOf(until).basis !== 'local' ? from : until,
    );
    return { rule: phaseRule, ...(phase.source !== undefined ? { source: phase.source } : {}) };
  }

  /** The center greeting every caller hears first. */
  greeting(prompts: readonly string[]): void {
    if (prompts.length > 0) this.add('prompts', prompts.join(', '), 'center', this.centerField('greeting'));
  }

  /** The routes a step followed; the first belongs to `owner` (the phase, a menu, a self-service). */
  routes(hops: readonly RouteHop[], owner: RouteOwner): void {
    hops.forEach((hop, i) => {
      const rule = i === 0 ? owner.rule : (hop.rule ?? owner.rule);
      const source = i === 0 ? owner.source : hop.source;
      this.route(hop.route, rule, source);
    });
  }

  private route(route: CompiledRoute, rule: string, source: SourceRule | undefined): void {
    if (route.prompts.length === 0) return;
    this.add('prompts', route.prompts.join(', '), rule, route.source ?? sourceText(source, 'prompts'));
  }

  /** A menu the caller passes (its prompt, options and waits). */
  menu(menu: CompiledMenu): void {
    this.add(
      'menu',
      `menu "${menu.id}"${menu.name ? ` (${menu.name})` : ''}`,
      `menu:${menu.id}`,
      sourceText(menu.source),
    );
  }

  /** Where the call ends up: the target, its dial string or hours and queue timings, the priority. */
  target(
    step: RouteStep,
    last: RouteHop | undefined,
    owner: RouteOwner,
    callerClass?: CallerClassRule,
  ): void {
    const plan = this.plan;
    switch (step.kind) {
      case 'queue': {
        const q = step.queue === 'pool' ? plan.pools.get(step.id)! : plan.experts.get(step.id)!;
        const rule = `${step.queue}:${q.id}`;
        this.add('target', `${step.queue} "${q.id}" (${q.name})`, rule, sourceText(q.source));
        if (q.hours !== 'always') {
          const s = plan.schedules.get(q.hours);
          this.add('hours', `hours "${q.hours}"`, `schedule:${q.hours}`, sourceText(s?.source));
        }
        this.add('queue', queueTimings(q.queue), rule, q.queue.source);
        this.priority(step.priority, last, owner, callerClass);
        return;
      }
      case 'dial': {
        const table = {
          subcenter: plan.subcenters,
          department: plan.departments,
          emergency: plan.emergency,
          center: plan.centers,
        }[step.target] as ReadonlyMap<string, { id: string; name: string; source?: SourceRule }>;
        const t = table.get(step.id)!;
        const rule = `${step.target}:${t.id}`;
        this.add('target', `${step.target} "${t.id}" (${t.name})`, rule, sourceText(t.source));
        this.add('dial', step.dial, rule, fieldSource(t.source, 'dial') ?? `local: ${DIAL_REASON}`);
        return;
      }
      case 'ticket':
      case 'announcement': {
        const rule = last?.rule ?? owner.rule;
        const source = last?.rule !== undefined ? last.source : owner.source;
        const value =
          step.kind === 'ticket' ? 'a ticket (work order) for a call-back' : `announcement "${step.prompt}"`;
        this.add('target', value, rule, last?.route.source ?? sourceText(source, 'target'));
        return;
      }
      case 'menu':
      case 'progress-query':
        return;
    }
  }

  private priority(
    priority: number,
    last: RouteHop | undefined,
    owner: RouteOwner,
    callerClass: CallerClassRule | undefined,
  ): void {
    const route = last?.route;
    if (callerClass && callerClass.priority === priority && (route?.priority ?? -1) < priority) {
      this.add(
        'priority',
        `priority ${priority}`,
        `callerClass:${callerClass.id}`,
        sourceText(callerClass.source, 'priority'),
      );
      return;
    }
    if (route?.priority !== undefined) {
      const rule = last?.rule ?? owner.rule;
      const source = last?.rule !== undefined ? last.source : owner.source;
      this.add('priority', `priority ${priority}`, rule, route.source ?? sourceText(source, 'priority'));
      return;
    }
    this.add(
      'priority',
      `priority ${priority} (the center's default)`,
      'center',
      this.centerField('defaultPriority'),
    );
  }
}

function queueTimings(q: {
  strategy: string;
  wrapUpSeconds: number;
  widenAfterSeconds?: number;
  overflowAfterSeconds?: number;
  overflowTo?: string;
  maxWaitSeconds: number;
  announceEverySeconds: number;
  ringSeconds: number;
}): string {
  const parts = [
    q.strategy,
    `wrap-up ${q.wrapUpSeconds} s`,
    ...(q.widenAfterSeconds !== undefined ? [`widen after ${q.widenAfterSeconds} s`] : []),
    ...(q.overflowAfterSeconds !== undefined
      ? [`overflow after ${q.overflowAfterSeconds} s to ${q.overflowTo}`]
      : []),
    `ticket after ${q.maxWaitSeconds} s`,
    `announce every ${q.announceEverySeconds} s`,
    `ring ${q.ringSeconds} s`,
  ];
  return parts.join(', ');
}

/** One line per item for `reasons`: the decision, then its basis (clause quoted, or local). */
export function provenanceReason(item: ProvenanceItem): string {
  const what = `${item.decision} ${item.value} [${item.rule}]`;
  switch (item.basis) {
    case 'document':
      return `source of ${what}: document${item.document ? ` ${item.document}` : ''}: “${item.clause}”`;
    case 'local':
      return `source of ${what}: local setting${item.reason ? ` (${item.reason})` : ''}`;
    case 'unmarked':
      return `source of ${what}: not marked in the rules`;
  }
}

/**
 * Entries of a plan whose values rest on nothing the rules say: no `source` (a line of a group
 * takes its group's; the built-in 7×24 schedule needs none), pool and expert queue timings
 * without one. The shipped plans have none (a test holds them to it).
 */
export function unmarkedEntries(plan: RoutingPlan): string[] {
  const out: string[] = [];
  const check = (ref: string, source: unknown) => {
    if (source === undefined) out.push(ref);
  };
  if (plan.center.source === undefined) out.push('center');
  for (const [id, s] of plan.schedules) if (!s.always) check(`schedule:${id}`, s.source);
  for (const [kind, table] of [
    ['pool', plan.pools],
    ['expert', plan.experts],
  ] as const) {
    for (const q of table.values()) {
      check(`${kind}:${q.id}`, q.source);
      check(`${kind}:${q.id}.queue`, q.queue.source);
    }
  }
  const simple = [
    ['subcenter', plan.subcenters],
    ['department', plan.departments],
    ['emergency', plan.emergency],
    ['center', plan.centers],
    ['directory', plan.directory],
    ['menu', plan.menus],
    ['answer', plan.answers],
    ['self-service', plan.selfService],
  ] as const;
  for (const [kind, table] of simple) {
    for (const e of (table as ReadonlyMap<string, { id: string; source?: unknown }>).values())
      check(`${kind}:${e.id}`, e.source);
  }
  for (const c of plan.callerClasses) check(`callerClass:${c.id}`, c.source);
  for (const l of plan.lines.values()) {
    check(`line:${l.id}`, l.source ?? l.groupSource);
    for (const p of l.phases) check(`line:${l.id}#${p.id}`, p.source);
  }
  return out;
}
