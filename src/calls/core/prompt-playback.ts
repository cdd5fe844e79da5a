import { promptContext } from '../../plan/prompt-context.ts';
import { expandPrompt } from '../../prompts/expand.ts';
import type { Turn } from './kernel.ts';
import type { CallState } from './types.ts';

/**
 * Marks a playlist entry that is a part of a composed prompt: played, but not recorded on its
 * own (the call record lists the prompt the plan names, `transition-whole-merge`, once).
 * Prompt ids never start with it.
 */
const PART = '~';

/**
 * Takes the next prompt to play off the caller's playlist. A composed prompt (`say` in the
 * manifest) is replaced by its parts, with `{number}` and `{until}` read for this call's line
 * and phase, and recorded once in `s.prompts`. `record`: whether the prompt played is to be
 * recorded when it starts (recorded prompts are, parts of composed ones are not).
 */
export function nextPlayable(s: CallState, t: Turn): { prompt: string; record: boolean } | undefined {
  for (;;) {
    const item = s.playlist.shift();
    if (item === undefined) return undefined;
    if (item.startsWith(PART)) return { prompt: item.slice(PART.length), record: false };
    const parts = expandPrompt(t.plan.prompts, item, promptContext(t.plan, s.line.id, s.phase.id));
    if (parts.length === 1 && parts[0] === item) return { prompt: item, record: true };
    s.prompts.push(item);
    s.playlist.unshift(...parts.map((p) => PART + p));
  }
}
