import type { StandardAnswer } from './schema.ts';

/** The answers the screen pop shows at most. */
export const MAX_ANSWERS = 8;

/**
 * The standard answers for a call, best first: those naming its line, then those naming its topic,
 * then those for every call; the file's order within each; at most `limit`.
 */
export function answersFor(
  answers: readonly StandardAnswer[],
  call: { lineId: string; topic: string },
  limit = MAX_ANSWERS,
): StandardAnswer[] {
  const rank = (a: StandardAnswer): number | undefined => {
    if (a.lines?.includes(call.lineId)) return 0;
    if (a.topics?.includes(call.topic)) return 1;
    if (!a.lines && !a.topics) return 2;
    return undefined;
  };
  return answers
    .map((a, i) => ({ a, i, r: rank(a) }))
    .filter((x): x is { a: StandardAnswer; i: number; r: number } => x.r !== undefined)
    .sort((x, y) => x.r - y.r || x.i - y.i)
    .slice(0, limit)
    .map((x) => x.a);
}
