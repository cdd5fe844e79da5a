import { expandPrompts, type PromptContext, spokenText } from '../prompts/expand.ts';
import type { RoutingPlan } from './compile.ts';
import { localParts } from './zoned-time.ts';

/**
 * The values a composed prompt's parameters take for a call on `lineId` in phase `phaseId`:
 * the line's number and the day its phase ends (the phase's exclusive `until`, as a date in the
 * plan's time zone: "本号码将于{until}起停止使用"). Phases without an end give no `until`.
 */
export function promptContext(plan: RoutingPlan, lineId: string, phaseId: string): PromptContext {
  const line = plan.lines.get(lineId);
  if (!line) return {};
  const ctx: PromptContext = { number: line.number };
  const phase = line.phases.find((p) => p.id === phaseId);
  if (phase && Number.isFinite(phase.untilMs)) {
    const { year, month, day } = localParts(phase.untilMs, plan.center.timezone);
    ctx.until = { year, month, day };
  }
  return ctx;
}

/** What a caller on that line and phase hears for `prompts`: the recorded prompts played, and their text. */
export interface SpokenPrompts {
  /** The recorded prompts played, in order. */
  played: string[];
  /** Their texts, joined. */
  text: string;
  /** How long they play (the manifest's `durationMs`; prompts without one count 0). */
  durationMs: number;
}

/**
 * The prompts a route plays, expanded as the call engine plays them (composed prompts into
 * their parts, `{number}` and `{until}` read out), with the full text the caller hears. For
 * `explain` and the rules page.
 */
export function spokenPrompts(
  plan: RoutingPlan,
  call: { lineId: string; phaseId: string },
  prompts: readonly string[],
): SpokenPrompts {
  const played = expandPrompts(plan.prompts, prompts, promptContext(plan, call.lineId, call.phaseId));
  const durationMs = played.reduce((sum, id) => sum + (plan.prompts.get(id)?.durationMs ?? 0), 0);
  return { played, text: spokenText(plan.prompts, played), durationMs };
}
