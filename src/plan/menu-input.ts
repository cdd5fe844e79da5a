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

/** The failed tries of a menu so far, by kind: each kind has its own budget. */
export interface MenuFailures {
  invalid: number;
  timeout: number;
}

export const NO_FAILURES: Readonly<MenuFailures> = { invalid: 0, timeout: 0 };

export type MenuRetry =
  /** `attempt`: the try about to start, counting from 1 (for reasons and logs). */
  | { kind: 'retry'; attempt: number; failures: MenuFailures; prompts: string[] }
  | { kind: 'default'; failures: MenuFailures; prompts: string[] };

/** Tries after the first one a menu allows for a kind of failure. */
export function retriesFor(menu: CompiledMenu, failure: MenuFailure): number {
  return failure === 'invalid' ? menu.retries : (menu.timeoutRetries ?? menu.retries);
}

/**
 * After a failed try, given the failures before it: while that kind of failure has tries left,
 * its retry prompt (`invalidPrompt`/`timeoutPrompt`) and the menu again; once they are used up,
 * its final prompt (`invalidFinalPrompt`/`timeoutFinalPrompt`, which promises no retry) and the
 * menu's default action. The engine's call session and `explain` both decide here.
 */
export function afterFailure(menu: CompiledMenu, failure: MenuFailure, before: MenuFailures): MenuRetry {
  const failures = { ...before, [failure]: before[failure] + 1 };
  if (failures[failure] > retriesFor(menu, failure)) {
    const notice = failure === 'invalid' ? menu.invalidFinalPrompt : menu.timeoutFinalPrompt;
    return { kind: 'default', failures, prompts: notice ? [notice] : [] };
  }
  const notice = failure === 'invalid' ? menu.invalidPrompt : menu.timeoutPrompt;
  return {
    kind: 'retry',
    attempt: failures.invalid + failures.timeout + 1,
    failures,
    prompts: [...(notice ? [notice] : []), menu.prompt],
  };
}

/** "no retry", "1 retry", "2 retries": how many more tries a kind of failure gets, for reasons. */
export function retriesText(menu: CompiledMenu, failure: MenuFailure): string {
  const n = retriesFor(menu, failure);
  return n === 0 ? 'no retry' : n === 1 ? '1 retry' : `${n} retries`;
}
