import type { PromptContext } from '../../prompts/expand.ts';
import type { CompiledLine, CompiledRoute, RoutingPlan } from '../compile.ts';
import { afterFailure, type MenuFailures, NO_FAILURES } from '../menu-input.ts';
import { phaseAt } from '../phase.ts';
import type { Warning } from '../problems.ts';
import { promptContext } from '../prompt-context.ts';
import { promptTime } from '../prompt-time.ts';
import type { RawRules } from '../raw-rules.ts';
import { OWN } from '../ref.ts';

/** One way through the IVR to a person, and how long the caller hears prompts and waits on it. */
export interface PersonPath {
  /** The steps, e.g. `menu "main": no key (2 timeouts)`, `pool "general"`. */
  steps: string[];
  ms: number;
  /** Prompts without a duration in the manifest (not counted in `ms`). */
  withoutDuration: string[];
}

const MAX_DEPTH = 24;
/** Steps walked from one route at most: a draft of nested menus must not make `validate` slow. */
export const MAX_STEPS = 5000;

/**
 * Every path from a route to a person (a queue, or a dialled sub-center, department, emergency
 * line or center) at an instant: each menu option, and a menu left without a key (its timeouts
 * to the default action); a queue's closed hours route too. Prompts are counted in full (from
 * the manifest's `durationMs`), menu waits by their `timeoutSeconds`. Paths ending with a ticket or
 * an announcement reach nobody and are left out. At most `MAX_STEPS` steps are walked per route.
 */
export function pathsToPerson(
  plan: RoutingPlan,
  route: CompiledRoute,
  line: CompiledLine,
  atMs: number,
  ctx: PromptContext = {},
): PersonPath[] {
  const out: PersonPath[] = [];
  let steps = 0;
  const walk = (
    r: CompiledRoute,
    l: CompiledLine,
    acc: PersonPath,
    depth: number,
    menus: readonly string[],
  ) => {
    if (depth > MAX_DEPTH || ++steps > MAX_STEPS) return;
    const here = add(acc, r.prompts);
    const t = r.target;
    const end = (label: string) => out.push({ ...here, steps: [...here.steps, label] });
    switch (t.kind) {
      case 'menu': {
        const m = plan.menus.get(t.id);
        if (!m || menus.includes(m.id)) return;
        if (m.enabled === false) return walk(m.default, l, here, depth + 1, menus);
        const seen = [...menus, m.id];
        const heard = add(here, [m.prompt]);
        for (const o of m.options) {
          walk(o.route, l, step(heard, `menu "${m.id}": key ${o.digits}`), depth + 1, seen);
        }
        let failures: MenuFailures = NO_FAILURES;
        let waited = heard;
        for (let i = 1; i <= 10; i++) {
          waited = { ...waited, ms: waited.ms + m.timeoutSeconds * 1000 };
          const after = afterFailure(m, 'timeout', failures);
          waited = add(waited, after.prompts);
          if (after.kind === 'default') {
            walk(
              m.default,
              l,
              step(waited, `menu "${m.id}": no key (${i} timeout${i > 1 ? 's' : ''})`),
              depth + 1,
              seen,
            );
            break;
          }
          failures = after.failures;
        }
        return;
      }
      case 'answer': {
        const a = plan.answers.get(t.id);
        if (a) walk(a.next, l, step(add(here, [a.prompt]), `answer "${a.id}"`), depth + 1, menus);
        return;
      }
      case 'self-service': {
        const s = plan.selfService.get(t.id);
        if (s?.kind === 'progress-query')
          walk(s.next, l, step(add(here, [s.prompt]), `progress query "${s.id}"`), depth + 1, menus);
        return;
      }
      case 'line': {
        const other = plan.lines.get(t.id);
        const phase = other && phaseAt(other, atMs);
        if (other && phase) walk(phase.route, other, step(here, `line ${other.number}`), depth + 1, menus);
        return;
      }
      case 'pool':
      case 'expert':
      case 'subcenter': {
        const table = t.kind === 'pool' ? plan.pools : t.kind === 'expert' ? plan.experts : plan.subcenters;
        const q =
          t.id === OWN
            ? [...table.values()].find((x) => 'number' in x && x.number === l.number)
            : table.get(t.id);
        if (!q) return;
        end(`${t.kind} "${q.id}"`);
        if (q.hours !== 'always' && q.closed)
          walk(q.closed, l, step(here, `${t.kind} "${q.id}" closed`), depth + 1, menus);
        return;
      }
      case 'department':
      case 'emergency':
      case 'center':
        end(`${t.kind} "${t.id === OWN ? l.number : t.id}"`);
        return;
      case 'ticket':
      case 'announcement':
        return;
    }
  };
  const add = (acc: PersonPath, ids: readonly string[]): PersonPath => {
    const p = promptTime(plan, ids, ctx);
    return {
      steps: acc.steps,
      ms: acc.ms + p.ms,
      withoutDuration: [
        ...acc.withoutDuration,
        ...p.withoutDuration.filter((x) => !acc.withoutDuration.includes(x)),
      ],
    };
  };
  const step = (acc: PersonPath, label: string): PersonPath => ({ ...acc, steps: [...acc.steps, label] });
  walk(
    route,
    line,
    { steps: [], ms: promptTime(plan, plan.center.greeting, ctx).ms, withoutDuration: [] },
    0,
    [],
  );
  return out;
}

/**
 * `validate`'s warning for each path of a current or future phase on which a caller hears more
 * than `center.promptBudgetSeconds` of prompts and menu waits before reaching a person. Lines of a
 * group are reported once per group phase, naming their numbers.
 */
export function checkPromptBudget(raw: RawRules, plan: RoutingPlan, now: number): Warning[] {
  const budgetMs = plan.center.promptBudgetSeconds * 1000;
  const warnings: Warning[] = [];
  // Lines of one group share a warning per phase and path; a composed prompt that reads each
  // line's own number makes their times differ a little, so the range is given.
  const reported = new Map<string, { warning: Warning; numbers: string[]; minMs: number; maxMs: number }>();
  const describe = (numbers: string[], minMs: number, maxMs: number, phaseId: string, path: PersonPath) => {
    const s = (ms: number) => (ms / 1000).toFixed(1);
    const time = s(minMs) === s(maxMs) ? s(minMs) : `${s(minMs)}–${s(maxMs)}`;
    const missing =
      path.withoutDuration.length > 0 ? ` (no duration for ${path.withoutDuration.join(', ')})` : '';
    return `line${numbers.length > 1 ? 's' : ''} ${numbers.join(', ')}, phase "${phaseId}": ${time} s of prompts and menu waits before a person on the path ${path.steps.join(' → ')}; above center.promptBudgetSeconds (${plan.center.promptBudgetSeconds} s)${missing}`;
  };
  for (const located of raw.lines) {
    const line = plan.lines.get(located.value.id);
    if (!line) continue;
    const group =
      located.value.group !== undefined
        ? raw.groups.find((g) => g.value.id === located.value.group)
        : undefined;
    const cases: { phaseId: string; atMs: number; route: CompiledRoute; file: string; path: string }[] = [];
    line.phases.forEach((p, i) => {
      if (p.untilMs <= now) return;
      const where = group
        ? {
            file: group.file,
            path: `${group.path}.phases[${group.value.phases.findIndex((g) => g.id === p.id)}]`,
          }
        : { file: located.file, path: `${located.path}.phases[${i}]` };
      cases.push({ phaseId: p.id, atMs: Math.max(p.fromMs, now), route: p.route, ...where });
    });
    if (line.route)
      cases.push({
        phaseId: 'default',
        atMs: now,
        route: line.route,
        file: located.file,
        path: `${located.path}.route`,
      });
    for (const c of cases) {
      const ctx = promptContext(plan, line.id, c.phaseId);
      for (const path of pathsToPerson(plan, c.route, line, c.atMs, ctx)) {
        if (path.ms <= budgetMs) continue;
        const owner = group && c.phaseId !== 'default' ? `group:${group.value.id}` : `line:${line.id}`;
        const key = `${owner}#${c.phaseId}#${path.steps.join(' → ')}`;
        const prev = reported.get(key);
        if (prev) {
          prev.numbers.push(line.number);
          prev.minMs = Math.min(prev.minMs, path.ms);
          prev.maxMs = Math.max(prev.maxMs, path.ms);
          prev.warning.message = describe(prev.numbers, prev.minMs, prev.maxMs, c.phaseId, path);
          continue;
        }
        const warning: Warning = {
          file: c.file,
          path: c.path,
          message: describe([line.number], path.ms, path.ms, c.phaseId, path),
        };
        reported.set(key, { warning, numbers: [line.number], minMs: path.ms, maxMs: path.ms });
        warnings.push(warning);
      }
    }
  }
  return warnings;
}
