import { joinPath, type RuleProblem, type Warning } from '../problems.ts';
import type { Located, RawRules } from '../raw-rules.ts';
import type { RouteRule } from '../schema.ts';

/** Reports a problem at `item`'s path, under `sub`. */
export type Add = (item: { file: string; path: string }, sub: string, message: string) => void;

/** A route written somewhere in the rules, checked once every section has been read. */
export interface RouteSite {
  route: RouteRule;
  file: string;
  path: string;
  /** The graph node the route leaves from (for menu reachability), e.g. `menu:main`, `line:l12345`. */
  from: string;
  /** Lines whose number an `expert:*`/`subcenter:*`/`department:*` in this route stands for (none: not allowed here). */
  ownLines?: Located<{ id: string; number: string }>[];
}

/** The declared ids of each kind a reference can name (`pool:id`, `menu:id`, …). */
export type DeclaredIds = ReturnType<typeof declaredIds>;

/** What every check shares: the rules, where problems and warnings go, the routes collected. */
export interface CheckContext {
  raw: RawRules;
  /** The center's timezone. */
  tz: string;
  now: number;
  ids: DeclaredIds;
  add: Add;
  warnings: Warning[];
  /** Routes collected by the section checks, checked last (in this order). */
  sites: RouteSite[];
  /** `line:x → group:y` edges of the reference graph. */
  lineEdges: [string, string][];
  promptExists(id: string): boolean;
  /** Reports a prompt id absent from the manifest (nothing when `id` is undefined). */
  checkPrompt(item: { file: string; path: string }, sub: string, id: string | undefined): void;
}

export function problemAdder(problems: RuleProblem[]): Add {
  return (item, sub, message) => problems.push({ file: item.file, path: joinPath(item.path, sub), message });
}

/** Each section's ids; a duplicate id is a problem (in this order of sections). */
export function declaredIds(raw: RawRules, add: Add) {
  return {
    calendar: uniqueIds(raw.calendars, add),
    schedule: uniqueIds(raw.schedules, add),
    pool: uniqueIds(raw.pools, add),
    expert: uniqueIds(raw.experts, add),
    subcenter: uniqueIds(raw.subcenters, add),
    department: uniqueIds(raw.departments, add),
    emergency: uniqueIds(raw.emergency, add),
    center: uniqueIds(raw.centers, add),
    directory: uniqueIds(raw.directory, add),
    menu: uniqueIds(raw.menus, add),
    answer: uniqueIds(raw.answers, add),
    'self-service': uniqueIds(raw.selfService, add),
    callerClass: uniqueIds(raw.callerClasses, add),
    group: uniqueIds(raw.groups, add),
    line: uniqueIds(raw.lines, add),
  };
}

export function checkContext(raw: RawRules, ids: DeclaredIds, add: Add, now: number): CheckContext {
  const promptExists = (id: string) => raw.prompts.has(id);
  return {
    raw,
    tz: raw.center.value.timezone,
    now,
    ids,
    add,
    warnings: [],
    sites: [],
    lineEdges: [],
    promptExists,
    checkPrompt(item, sub, id) {
      if (id !== undefined && !promptExists(id)) {
        add(item, sub, `prompt "${id}" is not in the prompt manifest (${raw.manifestFile})`);
      }
    },
  };
}

function uniqueIds<T extends { id: string }>(items: Located<T>[], add: Add): Map<string, Located<T>> {
  const map = new Map<string, Located<T>>();
  for (const item of items) {
    const prev = map.get(item.value.id);
    if (prev) add(item, 'id', `id "${item.value.id}" is already used at ${prev.file}:${prev.path}`);
    else map.set(item.value.id, item);
  }
  return map;
}
