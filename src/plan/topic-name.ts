import type { RoutingPlan } from './compile.ts';

/**
 * A topic (诉求类别: the agent skill a line's calls prefer) in Chinese, as the pages show it: the
 * department of the department line with that topic (住房城乡建设厅), else the expert seat
 * having it as a skill, else 综合 for the main line's topic; 其他 for a topic the plan does not
 * name — never the id.
 */
export function topicName(plan: RoutingPlan, topic: string): string {
  for (const line of plan.lines.values())
    if (line.topic === topic && line.mode !== 'main') return line.department;
  for (const seat of plan.experts.values()) if (seat.skills.includes(topic)) return seat.name;
  for (const line of plan.lines.values()) if (line.topic === topic) return '综合';
  return '其他';
}
