import type { Located, RawRules } from './load.ts';
import { joinPath, type RuleProblem } from './problems.ts';
import { OWN, parseRef, type Ref } from './ref.ts';
import type { PhaseRule, RouteRule, ScheduleRule } from './schema.ts';
import { localParts, parseInstant, validDate } from './zoned-time.ts';

export interface Warning {
  file: string;
  path: string;
  message: string;
}

/** Built-in 7×24 schedule, usable without being declared. */
export const ALWAYS = 'always';

interface RouteSite {
  route: RouteRule;
  file: string;
  path: string;
  /** The graph node the route leaves from (for menu reachability), e.g. `menu:main`, `line:l12345`. */
  from: string;
  /** Lines whose number an `expert:*`/`subcenter:*` in this route stands for (none: not allowed here). */
  ownLines?: Located<{ id: string; number: string }>[];
}

/**
 * The checks that span files and sections: every reference resolves, ids and numbers are
 * unique, phases of a line do not overlap, menus are reachable and never trap a caller.
 * Pushes problems; returns warnings (e.g. a holiday calendar that does not cover this year).
 */
export function crossCheck(raw: RawRules, problems: RuleProblem[], now: number): Warning[] {
  const warnings: Warning[] = [];
  const tz = raw.center.value.timezone;
  const add = (item: { file: string; path: string }, sub: string, message: string) =>
    problems.push({ file: item.file, path: joinPath(item.path, sub), message });

  const ids = {
    calendar: uniqueIds(raw.calendars, add),
    schedule: uniqueIds(raw.schedules, add),
    pool: uniqueIds(raw.pools, add),
    expert: uniqueIds(raw.experts, add),
    subcenter: uniqueIds(raw.subcenters, add),
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
  const scheduleIds = new Set<string>([...ids.schedule.keys(), ALWAYS]);

  uniqueNumbers(raw.lines, 'line', add);
  uniqueNumbers(raw.emergency, 'emergency line', add);

  const sites: RouteSite[] = [];
  const promptExists = (id: string) => raw.prompts.has(id);
  const checkPrompt = (item: { file: string; path: string }, sub: string, id: string | undefined) => {
    if (id !== undefined && !promptExists(id)) {
      add(item, sub, `prompt "${id}" is not in the prompt manifest (${raw.manifestFile})`);
    }
  };

  // Center
  raw.center.value.greeting.forEach((p, i) => {
    checkPrompt(raw.center, `greeting[${i}]`, p);
  });
  if (raw.center.value.survey !== undefined) {
    const survey = raw.selfService.find((s) => s.value.id === raw.center.value.survey);
    if (!survey) add(raw.center, 'survey', `no self-service "${raw.center.value.survey}"`);
    else if (survey.value.kind !== 'survey')
      add(raw.center, 'survey', `self-service "${survey.value.id}" is a ${survey.value.kind}, not a survey`);
  }

  sitesFromCenter();

  // Calendars and schedules
  const currentYear = localParts(now, tz).year;
  for (const cal of raw.calendars) {
    cal.value.holidays.forEach((h, i) => {
      const from = checkDate(h.from);
      const to = checkDate(h.to);
      if (!from) add(cal, `holidays[${i}].from`, `"${h.from}" is not a real date`);
      if (!to) add(cal, `holidays[${i}].to`, `"${h.to}" is not a real date`);
      if (from && to && h.to < h.from)
        add(cal, `holidays[${i}].to`, `ends (${h.to}) before it starts (${h.from})`);
    });
    cal.value.workdays.forEach((d, i) => {
      if (!checkDate(d)) add(cal, `workdays[${i}]`, `"${d}" is not a real date`);
    });
    if (!cal.value.years.includes(currentYear)) {
      warnings.push({
        file: cal.file,
        path: joinPath(cal.path, 'years'),
        message: `calendar "${cal.value.id}" has no holidays for ${currentYear}; schedules using it treat ${currentYear} as having none`,
      });
    }
  }
  for (const s of raw.schedules) checkSchedule(s, ids.calendar, add);

  function sitesFromCenter() {
    sites.push({
      route: raw.center.value.fallback,
      file: raw.center.file,
      path: 'center.fallback',
      from: 'center',
    });
  }

  // Targets
  /** 7×24: a schedule declared `always`, or the built-in `always` when not declared otherwise. */
  const alwaysOpen = (id: string) => {
    const declared = raw.schedules.find((s) => s.value.id === id);
    return declared ? declared.value.always === true : id === ALWAYS;
  };
  const staffed = [
    ...raw.pools.map((p) => ({ item: p, kind: 'pool' })),
    ...raw.experts.map((p) => ({ item: p, kind: 'expert' })),
  ];
  for (const { item, kind } of staffed) {
    const v = item.value;
    checkHours(item, v.hours, v.closed, `${kind}:${v.id}`);
    const q = v.queue;
    if (q.overflowAfterSeconds !== undefined && q.overflowTo === undefined)
      add(
        item,
        'queue.overflowTo',
        'is required with overflowAfterSeconds (which center takes the overflow?)',
      );
    if (q.overflowTo !== undefined) {
      if (q.overflowAfterSeconds === undefined)
        add(item, 'queue.overflowAfterSeconds', 'is required with overflowTo (after how long?)');
      const ref = parseRef(q.overflowTo);
      if (typeof ref !== 'string') {
        if (!['center', 'pool', 'expert'].includes(ref.kind) || ref.id === OWN)
          add(
            item,
            'queue.overflowTo',
            'must name another queue or center ("pool:id", "expert:id", "center:id")',
          );
        else if (!(ids[ref.kind as 'center' | 'pool' | 'expert'] as Map<string, unknown>).has(ref.id))
          add(item, 'queue.overflowTo', `no ${ref.kind} "${ref.id}"`);
        else if (`${ref.kind}:${ref.id}` === `${kind}:${v.id}`)
          add(item, 'queue.overflowTo', 'cannot overflow into itself');
      }
    }
    for (const key of ['widenAfterSeconds', 'overflowAfterSeconds'] as const) {
      const v2 = q[key];
      if (v2 !== undefined && v2 >= q.maxWaitSeconds)
        add(item, `queue.${key}`, `must be less than maxWaitSeconds (${q.maxWaitSeconds})`);
    }
  }
  for (const sc of raw.subcenters)
    checkHours(sc, sc.value.hours, sc.value.closed, `subcenter:${sc.value.id}`);

  function checkHours(
    item: Located<{ id: string }>,
    hours: string,
    closed: RouteRule | undefined,
    node: string,
  ) {
    if (!scheduleIds.has(hours)) add(item, 'hours', `no schedule "${hours}"`);
    else if (!closed && !alwaysOpen(hours))
      add(item, 'closed', `is required: schedule "${hours}" is not 7×24, so say where calls go when closed`);
    if (closed)
      sites.push({ route: closed, file: item.file, path: joinPath(item.path, 'closed'), from: node });
  }

  // Menus, answers, self-service
  for (const m of raw.menus) {
    const v = m.value;
    checkPrompt(m, 'prompt', v.prompt);
    checkPrompt(m, 'invalidPrompt', v.invalidPrompt);
    checkPrompt(m, 'timeoutPrompt', v.timeoutPrompt);
    const seen = new Map<string, number>();
    v.options.forEach((o, i) => {
      const prev = seen.get(o.digits);
      if (prev !== undefined)
        add(m, `options[${i}].digits`, `"${o.digits}" is already used by options[${prev}]`);
      seen.set(o.digits, i);
      sites.push({
        route: o.route,
        file: m.file,
        path: joinPath(m.path, `options[${i}].route`),
        from: `menu:${v.id}`,
      });
    });
    v.options.forEach((o, i) => {
      for (const other of v.options) {
        if (other !== o && other.digits.length > o.digits.length && other.digits.startsWith(o.digits))
          add(
            m,
            `options[${i}].digits`,
            `"${o.digits}" is a prefix of "${other.digits}"; the longer option could never be chosen`,
          );
      }
    });
    sites.push({ route: v.default, file: m.file, path: joinPath(m.path, 'default'), from: `menu:${v.id}` });
  }
  for (const a of raw.answers) {
    checkPrompt(a, 'prompt', a.value.prompt);
    sites.push({
      route: a.value.next,
      file: a.file,
      path: joinPath(a.path, 'next'),
      from: `answer:${a.value.id}`,
    });
  }
  for (const s of raw.selfService) {
    checkPrompt(s, 'prompt', s.value.prompt);
    if (s.value.kind === 'progress-query') {
      checkPrompt(s, 'failurePrompt', s.value.failurePrompt);
      sites.push({
        route: s.value.next,
        file: s.file,
        path: joinPath(s.path, 'next'),
        from: `self-service:${s.value.id}`,
      });
    } else {
      checkPrompt(s, 'thanksPrompt', s.value.thanksPrompt);
    }
  }

  // Groups and lines
  const lineEdges: [string, string][] = [];
  for (const g of raw.groups) {
    checkPhases(g.value.phases, g, g.value.mode, `group "${g.value.id}"`);
    const members = raw.lines
      .filter((l) => l.value.group === g.value.id)
      .map((l) => ({ ...l, value: l.value }));
    g.value.phases.forEach((p, i) => {
      sites.push({
        route: p.route,
        file: g.file,
        path: joinPath(g.path, `phases[${i}].route`),
        from: `group:${g.value.id}`,
        ownLines: members,
      });
    });
  }
  for (const l of raw.lines) {
    const v = l.value;
    const group = v.group !== undefined ? raw.groups.find((g) => g.value.id === v.group) : undefined;
    if (v.group !== undefined && !group) add(l, 'group', `no group "${v.group}"`);
    if (group && v.phases)
      add(l, 'phases', `a line takes its phases from its group "${v.group}" or lists its own, not both`);
    const mode = v.mode ?? group?.value.mode;
    if (!mode && !(v.group !== undefined && !group)) add(l, 'mode', 'is required when the line has no group');
    if (group && v.mode && v.mode !== group.value.mode)
      add(l, 'mode', `is "${v.mode}" but its group "${group.value.id}" is "${group.value.mode}"`);
    if (group) lineEdges.push([`line:${v.id}`, `group:${group.value.id}`]);
    const phases = group ? group.value.phases : (v.phases ?? []);
    if (v.phases && mode) checkPhases(v.phases, l, mode, `line "${v.id}"`);
    if (v.phases) {
      v.phases.forEach((p, i) => {
        sites.push({
          route: p.route,
          file: l.file,
          path: joinPath(l.path, `phases[${i}].route`),
          from: `line:${v.id}`,
          ownLines: [l],
        });
      });
    }
    if (v.route)
      sites.push({
        route: v.route,
        file: l.file,
        path: joinPath(l.path, 'route'),
        from: `line:${v.id}`,
        ownLines: [l],
      });
    if (!v.route) {
      const gap = uncovered(phases, tz);
      if (gap) add(l, 'route', `is required: the line's phases leave time uncovered (${gap})`);
    }
  }

  function checkPhases(phases: PhaseRule[], owner: Located<unknown>, mode: string, label: string) {
    const spans: { i: number; from: number; until: number }[] = [];
    const phaseIds = new Map<string, number>();
    phases.forEach((p, i) => {
      const at = `phases[${i}]`;
      const prev = phaseIds.get(p.id);
      if (prev !== undefined) add(owner, `${at}.id`, `phase id "${p.id}" is already used by phases[${prev}]`);
      phaseIds.set(p.id, i);
      const from = p.from === undefined ? -Infinity : parseInstant(p.from, tz);
      const until = p.until === undefined ? Infinity : parseInstant(p.until, tz);
      if (from === undefined) add(owner, `${at}.from`, `"${p.from}" is not a real date or time`);
      if (until === undefined) add(owner, `${at}.until`, `"${p.until}" is not a real date or time`);
      if (from === undefined || until === undefined) return;
      if (until <= from) add(owner, `${at}.until`, `must be after "from" (${p.from}); "until" is exclusive`);
      else spans.push({ i, from, until });
      if (p.kind === 'deregistered' && mode !== 'whole-merge')
        add(owner, `${at}.kind`, `only whole-merge numbers are deregistered; ${label} is ${mode}`);
      if (p.kind === 'merged' && mode === 'main')
        add(owner, `${at}.kind`, 'the main number is not merged into anything');
    });
    spans.sort((a, b) => a.from - b.from);
    for (let k = 1; k < spans.length; k++) {
      const a = spans[k - 1]!;
      const b = spans[k]!;
      if (b.from < a.until)
        add(
          owner,
          `phases[${b.i}].from`,
          `overlaps phases[${a.i}] ("${phases[a.i]!.id}"); phases of a line must not overlap`,
        );
    }
    const dereg = spans.find((s) => phases[s.i]!.kind === 'deregistered');
    if (dereg) {
      const later = spans.find((s) => s.from >= dereg.until || (s.from > dereg.from && s !== dereg));
      if (later)
        add(
          owner,
          `phases[${later.i}]`,
          'comes after the number was deregistered; a cancelled number is not restored',
        );
    }
  }

  // Routes: every reference resolves
  const routeEdges = new Map<string, Set<string>>();
  for (const site of sites) checkRoute(site);
  for (const [from, to] of lineEdges) {
    const edges = routeEdges.get(from) ?? new Set<string>();
    edges.add(to);
    routeEdges.set(from, edges);
  }

  function checkRoute(site: RouteSite) {
    site.route.prompts.forEach((p, i) => {
      checkPrompt(site, `prompts[${i}]`, p);
    });
    const ref = parseRef(site.route.goto);
    if (typeof ref === 'string') return; // reported by the schema
    if (ref.id === OWN) {
      checkOwn(site, ref);
      return;
    }
    const exists = refExists(ref);
    if (exists !== true) {
      add(site, 'goto', exists);
      return;
    }
    const edges = routeEdges.get(site.from) ?? new Set<string>();
    edges.add(`${ref.kind}:${ref.id}`);
    routeEdges.set(site.from, edges);
  }

  function checkOwn(site: RouteSite, ref: Ref) {
    if (!site.ownLines) {
      add(
        site,
        'goto',
        `"${ref.kind}:*" stands for the line's own ${ref.kind} and can only be used in a line's or group's phases`,
      );
      return;
    }
    const table = ref.kind === 'expert' ? raw.experts : raw.subcenters;
    for (const line of site.ownLines) {
      if (!table.some((t) => t.value.number === line.value.number))
        add(
          site,
          'goto',
          `"${ref.kind}:*" needs a ${ref.kind} with number ${line.value.number} for line "${line.value.id}" (${line.file}:${line.path})`,
        );
    }
    const edges = routeEdges.get(site.from) ?? new Set<string>();
    edges.add(`${ref.kind}:*`);
    routeEdges.set(site.from, edges);
  }

  function refExists(ref: Ref): true | string {
    switch (ref.kind) {
      case 'ticket':
        return true;
      case 'announcement':
        return promptExists(ref.id)
          ? true
          : `prompt "${ref.id}" is not in the prompt manifest (${raw.manifestFile})`;
      default: {
        const table = ids[ref.kind as keyof typeof ids] as Map<string, unknown> | undefined;
        if (!table?.has(ref.id)) return `no ${ref.kind} "${ref.id}"`;
        if (ref.kind === 'self-service') {
          const s = raw.selfService.find((x) => x.value.id === ref.id);
          if (s?.value.kind === 'survey')
            return `self-service "${ref.id}" is a post-call survey, not a route`;
        }
        return true;
      }
    }
  }

  checkGraph(raw, routeEdges, add);
  return warnings;
}

/** Menus are reachable from a line; no menu, answer or line reference loops without a way out. */
function checkGraph(
  raw: RawRules,
  edges: Map<string, Set<string>>,
  add: (item: { file: string; path: string }, sub: string, message: string) => void,
) {
  const isNode = (n: string) => /^(menu|answer|self-service|line|group|pool|expert|subcenter):/.test(n);
  // Reachability from lines.
  const reached = new Set<string>();
  const stack = raw.lines.map((l) => `line:${l.value.id}`);
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (reached.has(n)) continue;
    reached.add(n);
    for (const e of edges.get(n) ?? []) if (isNode(e)) stack.push(e);
  }
  for (const m of raw.menus) {
    if (!reached.has(`menu:${m.value.id}`))
      add(m, '', `menu "${m.value.id}" is never reached from any line (unreachable menu)`);
  }
  // A way out: some path leads to a terminal target (not a menu/answer/self-service/line).
  const exitMemo = new Map<string, boolean>();
  const hasExit = (n: string, path: Set<string>): boolean => {
    if (!/^(menu|answer|self-service|line|group):/.test(n)) return true;
    const memo = exitMemo.get(n);
    if (memo !== undefined) return memo;
    if (path.has(n)) return false;
    path.add(n);
    let ok = false;
    for (const e of edges.get(n) ?? []) {
      if (hasExit(e, path)) {
        ok = true;
        break;
      }
    }
    path.delete(n);
    exitMemo.set(n, ok);
    return ok;
  };
  for (const m of raw.menus) {
    const n = `menu:${m.value.id}`;
    if (reached.has(n) && !hasExit(n, new Set()))
      add(m, '', `menu "${m.value.id}" has no way out: every option and its default lead back into menus`);
  }
  // Line references must not form a cycle (a deregistered number pointing at itself…).
  const lineCycle = (start: string): boolean => {
    const seen = new Set<string>();
    const walk = (n: string): boolean => {
      for (const e of edges.get(n) ?? []) {
        if (!e.startsWith('line:') && !e.startsWith('group:')) continue;
        if (e === start) return true;
        if (seen.has(e)) continue;
        seen.add(e);
        if (walk(e)) return true;
      }
      return false;
    };
    return walk(start);
  };
  for (const l of raw.lines) {
    if (lineCycle(`line:${l.value.id}`))
      add(
        l,
        '',
        `line "${l.value.id}" refers back to itself through "line:" routes (a loop with no way out)`,
      );
  }
}

function uniqueIds<T extends { id: string }>(
  items: Located<T>[],
  add: (item: { file: string; path: string }, sub: string, message: string) => void,
): Map<string, Located<T>> {
  const map = new Map<string, Located<T>>();
  for (const item of items) {
    const prev = map.get(item.value.id);
    if (prev) add(item, 'id', `id "${item.value.id}" is already used at ${prev.file}:${prev.path}`);
    else map.set(item.value.id, item);
  }
  return map;
}

function uniqueNumbers<T extends { number: string; id: string }>(
  items: Located<T>[],
  what: string,
  add: (item: { file: string; path: string }, sub: string, message: string) => void,
) {
  const map = new Map<string, Located<T>>();
  for (const item of items) {
    const prev = map.get(item.value.number);
    if (prev)
      add(
        item,
        'number',
        `number ${item.value.number} is already used by ${what} "${prev.value.id}" (${prev.file}:${prev.path})`,
      );
    else map.set(item.value.number, item);
  }
}

function checkDate(d: string): boolean {
  const [y, m, day] = d.split('-').map(Number) as [number, number, number];
  return validDate(y, m, day);
}

function checkSchedule(
  s: Located<ScheduleRule>,
  calendars: Map<string, unknown>,
  add: (item: { file: string; path: string }, sub: string, message: string) => void,
) {
  const v = s.value;
  if (v.always && v.weekly) add(s, 'weekly', 'a schedule is either "always" (7×24) or "weekly", not both');
  if (!v.always && !v.weekly) add(s, '', 'needs "always: true" or "weekly" hours');
  if (v.calendar !== undefined && !calendars.has(v.calendar))
    add(s, 'calendar', `no calendar "${v.calendar}"`);
  const ranges: [string, string[] | undefined][] = [
    ...Object.entries(v.weekly ?? {}).map(([k, r]) => [`weekly.${k}`, r] as [string, string[] | undefined]),
    ['workdayHours', v.workdayHours],
  ];
  for (const [key, list] of ranges) {
    list?.forEach((r, i) => {
      const [a, b] = r.split('-') as [string, string];
      if (b <= a) add(s, `${key}[${i}]`, `"${r}" ends before it starts`);
    });
  }
}

/** Describes the first stretch of time no phase covers, or undefined when covered. */
function uncovered(phases: PhaseRule[], tz: string): string | undefined {
  if (phases.length === 0) return 'the line has no phases';
  const spans = phases
    .map((p) => ({
      from: p.from === undefined ? -Infinity : parseInstant(p.from, tz),
      until: p.until === undefined ? Infinity : parseInstant(p.until, tz),
      p,
    }))
    .filter(
      (s): s is { from: number; until: number; p: PhaseRule } =>
        s.from !== undefined && s.until !== undefined,
    )
    .sort((a, b) => a.from - b.from);
  if (spans.length === 0) return undefined;
  if (spans[0]!.from !== -Infinity) return `before ${spans[0]!.p.from}`;
  let end = spans[0]!.until;
  for (const s of spans.slice(1)) {
    if (s.from > end) return `from ${spans.find((x) => x.until === end)?.p.until} to ${s.p.from}`;
    end = Math.max(end, s.until);
  }
  if (end !== Infinity) return `from ${spans.find((x) => x.until === end)?.p.until} on`;
  return undefined;
}
