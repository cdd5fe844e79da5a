import type { RoutingPlan } from '../plan/compile.ts';
import type { PhaseKindName } from '../plan/schema.ts';
import { topicName } from '../plan/topic-name.ts';
import type { ReportDimension } from './report.ts';

/** The plan's phase kinds in Chinese (a phase id names its kind in the shipped rules). */
export const phaseKindNames: Record<PhaseKindName, string> = {
  'before-merge': '并号前',
  transition: '过渡期',
  merged: '已并入',
  deregistered: '已停用',
  linked: '分中心联动',
  active: '正常服务',
};

/**
 * A report key's Chinese name, as the pages show it: a line's name, a department's (topicName),
 * a queue's (`pool:general` → the pool's name), an agent's (the roster), a phase's kind; undefined
 * when the plan and roster do not know it (a line since removed, `-` for no queue or agent).
 */
export function reportKeyName(
  plan: RoutingPlan,
  agents: ReadonlyMap<string, string>,
  by: ReportDimension,
  key: string,
): string | undefined {
  switch (by) {
    case 'line':
      return plan.lines.get(key)?.name;
    case 'department': {
      const name = topicName(plan, key);
      return name === '其他' ? undefined : name;
    }
    case 'queue': {
      const [kind, id] = key.split(':', 2);
      if (id === undefined) return undefined;
      return kind === 'pool'
        ? plan.pools.get(id)?.name
        : kind === 'expert'
          ? plan.experts.get(id)?.name
          : undefined;
    }
    case 'agent':
      return agents.get(key);
    case 'phase':
      for (const line of plan.lines.values())
        for (const phase of line.phases) if (phase.id === key) return phaseKindNames[phase.kind];
      return (phaseKindNames as Record<string, string>)[key];
    case 'all':
      return undefined;
  }
}

/** The names of the keys of some rows (those known), for a report's answer. */
export function keyNamesOf(
  keys: Iterable<string>,
  name: (key: string) => string | undefined,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of new Set(keys)) {
    const n = name(key);
    if (n !== undefined && n !== key) out[key] = n;
  }
  return out;
}
