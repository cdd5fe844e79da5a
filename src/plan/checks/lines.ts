import { joinPath } from '../problems.ts';
import type { Located } from '../raw-rules.ts';
import type { PhaseRule } from '../schema.ts';
import { parseInstant } from '../zoned-time.ts';
import type { CheckContext } from './context.ts';

/** Number groups: their phases; the phases' routes collected, standing for every member line. */
export function checkGroups(ctx: CheckContext): void {
  const { raw } = ctx;
  for (const g of raw.groups) {
    checkPhases(ctx, g.value.phases, g, g.value.mode, `group "${g.value.id}"`);
    const members = raw.lines
      .filter((l) => l.value.group === g.value.id)
      .map((l) => ({ ...l, value: l.value }));
    g.value.phases.forEach((p, i) => {
      ctx.sites.push({
        route: p.route,
        file: g.file,
        path: joinPath(g.path, `phases[${i}].route`),
        from: `group:${g.value.id}`,
        ownLines: members,
      });
    });
  }
}

/**
 * Lines: their group exists and agrees on the mode, phases from the group or their own (checked),
 * a route when the phases leave time uncovered; routes and line → group edges collected.
 */
export function checkLines(ctx: CheckContext): void {
  const { raw, add, tz } = ctx;
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
    if (group) ctx.lineEdges.push([`line:${v.id}`, `group:${group.value.id}`]);
    const phases = group ? group.value.phases : (v.phases ?? []);
    if (v.phases && mode) checkPhases(ctx, v.phases, l, mode, `line "${v.id}"`);
    if (v.phases) {
      v.phases.forEach((p, i) => {
        ctx.sites.push({
          route: p.route,
          file: l.file,
          path: joinPath(l.path, `phases[${i}].route`),
          from: `line:${v.id}`,
          ownLines: [l],
        });
      });
    }
    if (v.route)
      ctx.sites.push({
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
}

/**
 * A line's or group's phases: unique ids, real instants, `until` after `from`, kinds the merge
 * mode allows (deregistered: whole-merge only; linked: sub-center only, which never merges), no
 * overlap, nothing after a deregistration.
 */
function checkPhases(
  { add, tz }: CheckContext,
  phases: PhaseRule[],
  owner: Located<unknown>,
  mode: string,
  label: string,
): void {
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
    // 设分中心: the department keeps its number and agents, linked to 12345 by transfer.
    if (p.kind === 'merged' && mode === 'sub-center')
      add(
        owner,
        `${at}.kind`,
        `sub-center lines keep their number and agents and never merge into 12345: use kind "linked"; ${label} is sub-center`,
      );
    if (p.kind === 'linked' && mode !== 'sub-center')
      add(owner, `${at}.kind`, `only sub-center lines are linked to 12345; ${label} is ${mode}`);
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
