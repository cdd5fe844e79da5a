import { expandPrompts, type PromptContext } from '../prompts/expand.ts';
import type { RoutingPlan } from './compile.ts';

/** How long a list of prompts plays, from the manifest's `durationMs` (rendered audio). */
export interface PromptTime {
  ms: number;
  /** Prompts the manifest gives no duration for (text only): not counted in `ms`. */
  withoutDuration: string[];
}

/**
 * Composed prompts (`say`) count as the recorded prompts they play, with their parameters read
 * out for `ctx` (the call's line and phase); recorded prompts count their `durationMs`.
 */
export function promptTime(
  plan: Pick<RoutingPlan, 'prompts'>,
  ids: readonly string[],
  ctx: PromptContext = {},
): PromptTime {
  let ms = 0;
  const withoutDuration: string[] = [];
  for (const id of expandPrompts(plan.prompts, ids, ctx)) {
    const d = plan.prompts.get(id)?.durationMs;
    if (d === undefined) {
      if (!withoutDuration.includes(id)) withoutDuration.push(id);
    } else ms += d;
  }
  return { ms, withoutDuration };
}

/**
 * The time a caller spends before reaching a person (a queue or a transfer target): the prompts
 * heard in full (no barge-in) plus the menu waits (each timeout a menu lets run out).
 */
export interface TimeToTarget {
  /** `promptMs + menuWaitMs`. */
  ms: number;
  promptMs: number;
  menuWaitMs: number;
  /** Prompts without a duration in the manifest (not counted). */
  withoutDuration: string[];
  /** Whether the path ends with a person (a queue or a dialled target), not a ticket, an announcement or a menu. */
  reachesPerson: boolean;
}

export function timeToTarget(
  plan: Pick<RoutingPlan, 'prompts'>,
  prompts: readonly string[],
  menuWaitMs: number,
  reachesPerson: boolean,
): TimeToTarget {
  const p = promptTime(plan, prompts);
  return {
    ms: p.ms + menuWaitMs,
    promptMs: p.ms,
    menuWaitMs,
    withoutDuration: p.withoutDuration,
    reachesPerson,
  };
}
