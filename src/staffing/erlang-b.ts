import { checkAgents, checkNonNegative } from './traffic.ts';

/**
 * Erlang B (M/M/N/N, blocked calls lost) by its recursion B(0) = 1, B(n) = A·B(n−1) / (n + A·B(n−1)),
 * carried in logarithms (L(n) = log 1/B(n)) so that thousands of agents and Erlangs neither
 * overflow nor underflow (no factorials); and the log-space helpers Erlang C and A share.
 */

/** log(1 + e^x) without overflow. */
export function softplus(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

/** log(e^a + e^b). */
export function logAddExp(a: number, b: number): number {
  if (a === Number.NEGATIVE_INFINITY) return b;
  if (b === Number.NEGATIVE_INFINITY) return a;
  const m = Math.max(a, b);
  return m + Math.log(Math.exp(a - m) + Math.exp(b - m));
}

/** log(e^x − 1) for x ≥ 0. */
export function logExpm1(x: number): number {
  if (x === 0) return Number.NEGATIVE_INFINITY;
  return x > 30 ? x + Math.log1p(-Math.exp(-x)) : Math.log(Math.expm1(x));
}

/** One step of the Erlang B recursion in logarithms: log 1/B(n) from log 1/B(n−1). */
export function nextLogInverseB(previous: number, n: number, erlangs: number): number {
  if (erlangs === 0) return Number.POSITIVE_INFINITY;
  return softplus(Math.log(n / erlangs) + previous);
}

/** log 1/B(N, A), the Erlang B recursion carried in logarithms. */
export function logInverseErlangB(agents: number, erlangs: number): number {
  let l = 0;
  for (let n = 1; n <= agents; n++) l = nextLogInverseB(l, n, erlangs);
  return l;
}

/** Erlang B: probability that a call finds all N agents busy and is lost (M/M/N/N). */
export function erlangB(agents: number, erlangs: number): number {
  checkAgents(agents);
  checkNonNegative(erlangs, 'erlangs');
  return Math.exp(-logInverseErlangB(agents, erlangs));
}
