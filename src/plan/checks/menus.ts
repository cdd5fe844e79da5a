import { joinPath } from '../problems.ts';
import type { CheckContext } from './context.ts';

/**
 * Menus: their prompts, digits used once and never a prefix of another option's, retry prompts
 * only where a retry can follow; routes collected.
 */
export function checkMenus(ctx: CheckContext): void {
  const { raw, add, sites } = ctx;
  for (const m of raw.menus) {
    const v = m.value;
    ctx.checkPrompt(m, 'prompt', v.prompt);
    ctx.checkPrompt(m, 'invalidPrompt', v.invalidPrompt);
    ctx.checkPrompt(m, 'timeoutPrompt', v.timeoutPrompt);
    ctx.checkPrompt(m, 'invalidFinalPrompt', v.invalidFinalPrompt);
    ctx.checkPrompt(m, 'timeoutFinalPrompt', v.timeoutFinalPrompt);
    // A retry prompt ("请重新选择") with no retry would be a promise the menu does not keep.
    if (v.invalidPrompt !== undefined && v.retries === 0)
      add(
        m,
        'invalidPrompt',
        'is played only before another try, and "retries" is 0: set "retries", or use "invalidFinalPrompt" for the prompt before the default action',
      );
    if (v.timeoutPrompt !== undefined && (v.timeoutRetries ?? v.retries) === 0)
      add(
        m,
        'timeoutPrompt',
        'is played only before another try, and no input gets none ("timeoutRetries" or "retries" is 0): use "timeoutFinalPrompt"',
      );
    const seen = new Map<string, number>();
    v.options.forEach((o, i) => {
      const prev = seen.get(o.digits);
      if (prev !== undefined)
        add(m, `options[${i}].digits`, `"${o.digits}" is already used by options[${prev}]`);
      seen.set(o.digits, i);
      sites.push({
        route: o.route,
        file: m.file,
        path: joinPath(m.path, `options[${i}].route`),
        from: `menu:${v.id}`,
      });
    });
    v.options.forEach((o, i) => {
      for (const other of v.options) {
        if (other !== o && other.digits.length > o.digits.length && other.digits.startsWith(o.digits))
          add(
            m,
            `options[${i}].digits`,
            `"${o.digits}" is a prefix of "${other.digits}"; the longer option could never be chosen`,
          );
      }
    });
    sites.push({ route: v.default, file: m.file, path: joinPath(m.path, 'default'), from: `menu:${v.id}` });
  }
}

/** Recorded answers: their prompt; their `next` route collected. */
export function checkAnswers(ctx: CheckContext): void {
  for (const a of ctx.raw.answers) {
    ctx.checkPrompt(a, 'prompt', a.value.prompt);
    ctx.sites.push({
      route: a.value.next,
      file: a.file,
      path: joinPath(a.path, 'next'),
      from: `answer:${a.value.id}`,
    });
  }
}

/** Self-service (progress queries, surveys): their prompts; a query's `next` route collected. */
export function checkSelfService(ctx: CheckContext): void {
  for (const s of ctx.raw.selfService) {
    ctx.checkPrompt(s, 'prompt', s.value.prompt);
    if (s.value.kind === 'progress-query') {
      ctx.checkPrompt(s, 'failurePrompt', s.value.failurePrompt);
      ctx.sites.push({
        route: s.value.next,
        file: s.file,
        path: joinPath(s.path, 'next'),
        from: `self-service:${s.value.id}`,
      });
    } else {
      ctx.checkPrompt(s, 'thanksPrompt', s.value.thanksPrompt);
    }
  }
}
