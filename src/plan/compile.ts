import { dirname } from 'node:path';
import type { PromptEntry } from '../prompts/manifest.ts';
import { type CompiledCalendar, compileCalendar } from './calendar.ts';
import type { RawRules } from './raw-rules.ts';
import { parseRef, type Ref } from './ref.ts';
import {
  ALWAYS,
  type AnswerRule,
  type CallerClassRule,
  type CenterRule,
  type DepartmentLineRule,
  type DirectoryRule,
  type EmergencyRule,
  type ExpertRule,
  type MenuRule,
  type MergeModeName,
  type OtherCenterRule,
  type PhaseKindName,
  type PoolRule,
  type RouteRule,
  type ScheduleRule,
  type SelfServiceRule,
  type SourceRule,
  type SubcenterRule,
} from './schema.ts';
import { parseInstant } from './zoned-time.ts';

/** A route with its reference parsed. */
export interface CompiledRoute {
  prompts: readonly string[];
  target: Ref;
  skill?: string;
  priority?: number;
  /** Where the route's prompts and priority come from, when the route says so itself. */
  source?: string;
}

export interface CompiledPhase {
  id: string;
  kind: PhaseKindName;
  /** Inclusive start, epoch ms (-Infinity when open). */
  fromMs: number;
  /** Exclusive end, epoch ms (Infinity when open). */
  untilMs: number;
  source?: SourceRule;
  route: CompiledRoute;
}

export interface CompiledLine {
  id: string;
  number: string;
  name: string;
  mode: MergeModeName;
  department: string;
  topic: string;
  group?: string;
  /** Sorted by start. */
  phases: readonly CompiledPhase[];
  route?: CompiledRoute;
  /** Where the line comes from (its own `source`). */
  source?: SourceRule;
  /** Where its group (and so its mode and phases) comes from. */
  groupSource?: SourceRule;
}

export interface CompiledSchedule {
  id: string;
  always: boolean;
  /** Per weekday (0 = Sunday), minute-of-day ranges [start, end). */
  weekly: readonly (readonly [number, number][])[];
  workdayHours: readonly [number, number][];
  /** Holidays are closed; make-up and local workdays follow `workdayHours`. */
  calendar?: CompiledCalendar;
  source?: SourceRule;
}

type WithRoutes<T, K extends keyof T> = Omit<T, K> & { [P in K]: CompiledRoute };
type WithOptionalRoute<T, K extends keyof T> = Omit<T, K> & { [P in K]?: CompiledRoute };

export type CompiledPool = WithOptionalRoute<PoolRule, 'closed'>;
export type CompiledExpert = WithOptionalRoute<ExpertRule, 'closed'>;
export type CompiledSubcenter = WithOptionalRoute<SubcenterRule, 'closed'>;
export interface CompiledMenu extends Omit<MenuRule, 'options' | 'default'> {
  options: readonly { digits: string; label: string; route: CompiledRoute }[];
  default: CompiledRoute;
  /** Longest option, in keys. */
  maxDigits: number;
}
export type CompiledAnswer = WithRoutes<AnswerRule, 'next'>;
export type CompiledSelfService =
  | WithRoutes<Extract<SelfServiceRule, { kind: 'progress-query' }>, 'next'>
  | Extract<SelfServiceRule, { kind: 'survey' }>;

/** The routing plan: validated rules, compiled once, immutable, indexed for the call path. */
export interface RoutingPlan {
  center: CenterRule;
  fallback: CompiledRoute;
  linesByNumber: ReadonlyMap<string, CompiledLine>;
  lines: ReadonlyMap<string, CompiledLine>;
  pools: ReadonlyMap<string, CompiledPool>;
  experts: ReadonlyMap<string, CompiledExpert>;
  subcenters: ReadonlyMap<string, CompiledSubcenter>;
  /** Departments' own lines (双号并行 numbers before they are transferred to 12345). */
  departments: ReadonlyMap<string, DepartmentLineRule>;
  emergency: ReadonlyMap<string, EmergencyRule>;
  centers: ReadonlyMap<string, OtherCenterRule>;
  directory: ReadonlyMap<string, DirectoryRule>;
  menus: ReadonlyMap<string, CompiledMenu>;
  answers: ReadonlyMap<string, CompiledAnswer>;
  selfService: ReadonlyMap<string, CompiledSelfService>;
  schedules: ReadonlyMap<string, CompiledSchedule>;
  callerClasses: readonly CallerClassRule[];
  prompts: ReadonlyMap<string, PromptEntry>;
  /** Folder of the prompt manifest (audio files are relative to it). */
  promptDir: string;
}

export function compileRoute(route: RouteRule): CompiledRoute {
  const target = parseRef(route.goto);
  if (typeof target === 'string') throw new Error(`unchecked route reference: ${target}`);
  const out: CompiledRoute = { prompts: route.prompts, target };
  if (route.skill !== undefined) out.skill = route.skill;
  if (route.priority !== undefined) out.priority = route.priority;
  if (route.source !== undefined) out.source = route.source;
  return out;
}

function withRoute<T extends object, K extends keyof T>(
  value: T,
  key: K,
): Omit<T, K> & { [P in K]?: CompiledRoute } {
  const r = value[key] as RouteRule | undefined;
  const { [key]: _, ...rest } = value;
  return (r ? { ...rest, [key]: compileRoute(r) } : rest) as Omit<T, K> & { [P in K]?: CompiledRoute };
}

function minutes(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number) as [number, number];
  return h * 60 + m;
}

function ranges(list: readonly string[] | undefined): [number, number][] {
  return (list ?? []).map((r) => {
    const [a, b] = r.split('-') as [string, string];
    return [minutes(a), minutes(b)];
  });
}

function compileSchedule(s: ScheduleRule, calendars: Map<string, CompiledCalendar>): CompiledSchedule {
  const days = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
  const cal = s.calendar !== undefined ? calendars.get(s.calendar) : undefined;
  return {
    id: s.id,
    always: s.always === true,
    weekly: days.map((d) => ranges(s.weekly?.[d])),
    workdayHours: ranges(s.workdayHours ?? s.weekly?.mon),
    ...(cal ? { calendar: cal } : {}),
    ...(s.source !== undefined ? { source: s.source } : {}),
  };
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    if (value instanceof Map) {
      for (const v of value.values()) deepFreeze(v);
    } else if (value instanceof Set) {
      // members are primitives
    } else {
      for (const v of Object.values(value)) deepFreeze(v);
    }
  }
  return value;
}

function byId<T extends { id: string }, U>(items: { value: T }[], map: (v: T) => U): Map<string, U> {
  return new Map(items.map((i) => [i.value.id, map(i.value)]));
}

/** Compiles checked rules into the immutable plan. Call only after crossCheck found nothing. */
export function compilePlan(raw: RawRules): RoutingPlan {
  const tz = raw.center.value.timezone;
  const calendars = byId(raw.calendars, compileCalendar);
  const schedules = byId(raw.schedules, (s) => compileSchedule(s, calendars));
  if (!schedules.has(ALWAYS)) schedules.set(ALWAYS, compileSchedule({ id: ALWAYS, always: true }, calendars));
  const groups = byId(raw.groups, (g) => g);

  const lines = byId(raw.lines, (l) => {
    const group = l.group !== undefined ? groups.get(l.group) : undefined;
    const phases = (group?.phases ?? l.phases ?? [])
      .map(
        (p): CompiledPhase => ({
          id: p.id,
          kind: p.kind,
          fromMs: p.from === undefined ? -Infinity : (parseInstant(p.from, tz) as number),
          untilMs: p.until === undefined ? Infinity : (parseInstant(p.until, tz) as number),
          ...(p.source !== undefined ? { source: p.source } : {}),
          route: compileRoute(p.route),
        }),
      )
      .sort((a, b) => a.fromMs - b.fromMs);
    const line: CompiledLine = {
      id: l.id,
      number: l.number,
      name: l.name,
      mode: (l.mode ?? group?.mode) as MergeModeName,
      department: l.department,
      topic: l.topic,
      phases,
    };
    if (l.group !== undefined) line.group = l.group;
    if (l.route) line.route = compileRoute(l.route);
    if (l.source !== undefined) line.source = l.source;
    if (group?.source !== undefined) line.groupSource = group.source;
    return line;
  });

  const plan: RoutingPlan = {
    center: raw.center.value,
    fallback: compileRoute(raw.center.value.fallback),
    lines,
    linesByNumber: new Map([...lines.values()].map((l) => [l.number, l])),
    pools: byId(raw.pools, (p) => withRoute(p, 'closed') as CompiledPool),
    experts: byId(raw.experts, (p) => withRoute(p, 'closed') as CompiledExpert),
    subcenters: byId(raw.subcenters, (p) => withRoute(p, 'closed') as CompiledSubcenter),
    departments: byId(raw.departments, (d) => d),
    emergency: byId(raw.emergency, (e) => e),
    centers: byId(raw.centers, (c) => c),
    directory: byId(raw.directory, (d) => d),
    menus: byId(raw.menus, (m) => ({
      ...m,
      options: m.options.map((o) => ({ digits: o.digits, label: o.label, route: compileRoute(o.route) })),
      default: compileRoute(m.default),
      maxDigits: Math.max(...m.options.map((o) => o.digits.length)),
    })),
    answers: byId(raw.answers, (a) => ({ ...a, next: compileRoute(a.next) })),
    selfService: byId(raw.selfService, (s) =>
      s.kind === 'progress-query' ? { ...s, next: compileRoute(s.next) } : s,
    ),
    schedules,
    callerClasses: raw.callerClasses.map((c) => c.value),
    prompts: new Map([...raw.prompts].map(([id, p]) => [id, p.value])),
    promptDir: dirname(raw.manifestPath),
  };
  return deepFreeze(plan);
}
