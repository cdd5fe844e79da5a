import { areaCodes, normalizeDialed } from '../dialed.ts';
import { joinPath } from '../problems.ts';
import type { Located, RawRules } from '../raw-rules.ts';
import { OWN, parseRef } from '../ref.ts';
import { ALWAYS, type RouteRule, type ScheduleRule } from '../schema.ts';
import type { Add, CheckContext } from './context.ts';

/** Line and emergency numbers are unique within their section. */
export function checkNumbers({ raw, add }: CheckContext): void {
  uniqueNumbers(raw.lines, 'line', add);
  // Dialed numbers are matched after normalisation: a line listed otherwise could never match.
  const codes = areaCodes(raw.center.value.areaCode);
  for (const line of raw.lines) {
    const { number, steps } = normalizeDialed(line.value.number, codes);
    if (steps.length > 0)
      add(
        line,
        'number',
        `write the number as dialed locally, "${number}" (${steps.join(', ')} before matching)`,
      );
  }
  uniqueNumbers(raw.emergency, 'emergency line', add);
}

/** The center's greeting prompts and survey; its fallback route is checked with the others. */
export function checkCenter(ctx: CheckContext): void {
  const { raw, add } = ctx;
  raw.center.value.greeting.forEach((p, i) => {
    ctx.checkPrompt(raw.center, `greeting[${i}]`, p);
  });
  if (raw.center.value.survey !== undefined) {
    const survey = raw.selfService.find((s) => s.value.id === raw.center.value.survey);
    if (!survey) add(raw.center, 'survey', `no self-service "${raw.center.value.survey}"`);
    else if (survey.value.kind !== 'survey')
      add(raw.center, 'survey', `self-service "${survey.value.id}" is a ${survey.value.kind}, not a survey`);
  }
  ctx.sites.push({
    route: raw.center.value.fallback,
    file: raw.center.file,
    path: 'center.fallback',
    from: 'center',
  });
}

/** Schedules: `always` or weekly hours, a known calendar, ranges that end after they start. */
export function checkSchedules({ raw, ids, add }: CheckContext): void {
  for (const s of raw.schedules) checkSchedule(s, ids.calendar, add);
}

/**
 * Pools and expert seats (their hours, closed route and queue settings: overflow target, waits
 * below the longest wait), then sub-centers' hours.
 */
export function checkQueues(ctx: CheckContext): void {
  const { raw, ids, add } = ctx;
  const staffed = [
    ...raw.pools.map((p) => ({ item: p, kind: 'pool' })),
    ...raw.experts.map((p) => ({ item: p, kind: 'expert' })),
  ];
  for (const { item, kind } of staffed) {
    const v = item.value;
    checkHours(ctx, item, v.hours, v.closed, `${kind}:${v.id}`);
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
    checkHours(ctx, sc, sc.value.hours, sc.value.closed, `subcenter:${sc.value.id}`);
}

/** Known opening hours; a `closed` route unless they are 7×24 (collected with the routes). */
function checkHours(
  ctx: CheckContext,
  item: Located<{ id: string }>,
  hours: string,
  closed: RouteRule | undefined,
  node: string,
): void {
  const { raw, ids, add } = ctx;
  if (hours !== ALWAYS && !ids.schedule.has(hours)) add(item, 'hours', `no schedule "${hours}"`);
  else if (!closed && !alwaysOpen(raw, hours))
    add(item, 'closed', `is required: schedule "${hours}" is not 7×24, so say where calls go when closed`);
  if (closed)
    ctx.sites.push({ route: closed, file: item.file, path: joinPath(item.path, 'closed'), from: node });
}

/** 7×24: a schedule declared `always`, or the built-in `always` when not declared otherwise. */
function alwaysOpen(raw: RawRules, id: string): boolean {
  const declared = raw.schedules.find((s) => s.value.id === id);
  return declared ? declared.value.always === true : id === ALWAYS;
}

function uniqueNumbers<T extends { number: string; id: string }>(
  items: Located<T>[],
  what: string,
  add: Add,
): void {
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

function checkSchedule(s: Located<ScheduleRule>, calendars: Map<string, unknown>, add: Add): void {
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
