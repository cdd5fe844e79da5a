import { isComposed, type PromptEntry } from './manifest.ts';
import { sayDate, sayDigits } from './say-number.ts';

/** A calendar date in the plan's time zone. */
export interface LocalDate {
  year: number;
  month: number;
  day: number;
}

/** What a composed prompt's parameters are filled from: the call as it stands. */
export interface PromptContext {
  /** `{number}`: the dialed line's number as the plan lists it (12396, 4420000). */
  number?: string;
  /** `{until}`: the day the call's current phase ends (its exclusive end), in the plan's time zone. */
  until?: LocalDate;
}

/**
 * The recorded prompts a prompt id plays: itself when it is recorded (or unknown here), else
 * its parts with the parameters read out from `ctx` (`{number}` digit by digit, 1 as 幺;
 * `{until}` as 年/月/日). A parameter the call has no value for says nothing; `validate` refuses
 * plans where that could happen (checks/prompts.ts).
 */
export function expandPrompt(
  prompts: ReadonlyMap<string, PromptEntry>,
  id: string,
  ctx: PromptContext,
): string[] {
  const entry = prompts.get(id);
  if (!entry || !isComposed(entry)) return [id];
  const out: string[] = [];
  for (const item of entry.say) {
    if (item === '{number}') {
      if (ctx.number !== undefined) out.push(...sayDigits(ctx.number));
    } else if (item === '{until}') {
      if (ctx.until !== undefined) out.push(...sayDate(ctx.until));
    } else {
      out.push(item);
    }
  }
  return out;
}

/** `expandPrompt` over a list of prompt ids. */
export function expandPrompts(
  prompts: ReadonlyMap<string, PromptEntry>,
  ids: readonly string[],
  ctx: PromptContext,
): string[] {
  return ids.flatMap((id) => expandPrompt(prompts, id, ctx));
}

/**
 * What the caller hears, as text: the texts of recorded prompts in order (expand composed ones
 * first). A prompt the manifest does not have shows as `[id]`.
 */
export function spokenText(prompts: ReadonlyMap<string, PromptEntry>, recorded: readonly string[]): string {
  return recorded.map((id) => prompts.get(id)?.text ?? `[${id}]`).join('');
}
