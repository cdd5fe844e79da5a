import type { CompiledMenu } from './compile.ts';

export type DigitMatch =
  | { kind: 'match'; option: CompiledMenu['options'][number] }
  | { kind: 'prefix' }
  | { kind: 'invalid' };

/** Classifies the keys collected so far in a menu: an option, the start of one, or nothing. */
export function matchDigits(menu: CompiledMenu, collected: string): DigitMatch {
  const option = menu.options.find((o) => o.digits === collected);
  if (option) return { kind: 'match', option };
  if (collected.length < menu.maxDigits && menu.options.some((o) => o.digits.startsWith(collected))) {
    return { kind: 'prefix' };
  }
  return { kind: 'invalid' };
}

export type MenuFailure = 'invalid' | 'timeout';

export type MenuRetry =
  | { kind: 'retry'; attempt: number; prompts: string[] }
  | { kind: 'default'; prompts: string[] };

/**
 * After a failed try (`attempt` counts from 1): play the failure prompt and the menu again, or,
 * when the tries are used up, go to the menu's default action.
 */
export function afterFailure(menu: CompiledMenu, failure: MenuFailure, attempt: number): MenuRetry {
  const notice = failure === 'invalid' ? menu.invalidPrompt : menu.timeoutPrompt;
  const prompts = notice ? [notice] : [];
  if (attempt > menu.retries) return { kind: 'default', prompts };
  return { kind: 'retry', attempt: attempt + 1, prompts: [...prompts, menu.prompt] };
}
