import type { CompiledMenu } from '../../../plan/compile.ts';
import { afterFailure, type MenuFailure, matchDigits } from '../../../plan/menu-input.ts';
import { followRoute } from '../../../plan/route-step.ts';
import { cancelTimer, log, startTimer, type Turn } from '../kernel.ts';
import type { CallState } from '../types.ts';
import { applyStep, type RunNext, say, silence } from './playlist.ts';

/** How long a caller has to key a ticket number before the query goes ahead with what was keyed. */
export const QUERY_INPUT_MS = 15_000;

function routeContext(s: CallState, t: Turn) {
  const line = t.plan.lines.get(s.line.id)!;
  const cls = s.callerClass ? t.plan.callerClasses.find((c) => c.id === s.callerClass) : undefined;
  return { line, atMs: s.arrivedAt, ...(cls ? { callerClass: cls } : {}) };
}

export function followFrom(
  s: CallState,
  t: Turn,
  route: Parameters<typeof followRoute>[1],
  run: RunNext,
): void {
  applyStep(s, t, followRoute(t.plan, route, routeContext(s, t)), run);
}

export function enterMenu(s: CallState, t: Turn, id: string, run: RunNext): void {
  const menu = t.plan.menus.get(id)!;
  s.menu = { id, attempt: 1, collected: '', listening: true };
  log(s, t, 'menu', { menu: id });
  say(s, t, [menu.prompt], { kind: 'menu-listen' }, run);
}

export function menuListen(s: CallState, t: Turn): void {
  const menu = t.plan.menus.get(s.menu!.id)!;
  startTimer(s, t, 'menu-input', menu.timeoutSeconds * 1000);
}

export function menuKey(s: CallState, t: Turn, digit: string, run: RunNext): void {
  const state = s.menu!;
  const menu = t.plan.menus.get(state.id)!;
  if (s.playback) silence(s, t); // barge-in: the engine stops the prompt at the first key
  s.next = undefined;
  cancelTimer(s, t, 'menu-input');
  cancelTimer(s, t, 'menu-interdigit');
  state.collected += digit;
  const m = matchDigits(menu, state.collected);
  if (m.kind === 'prefix') {
    startTimer(s, t, 'menu-interdigit', menu.interDigitSeconds * 1000);
    return;
  }
  if (m.kind === 'invalid') return menuFailure(s, t, menu, 'invalid', run);
  s.ivrPath.push({ menu: menu.id, keys: state.collected, outcome: m.option.label });
  s.menu = undefined;
  followFrom(s, t, m.option.route, run);
}

export function menuTimeout(s: CallState, t: Turn, interDigit: boolean, run: RunNext): void {
  const menu = t.plan.menus.get(s.menu!.id)!;
  menuFailure(s, t, menu, interDigit ? 'invalid' : 'timeout', run);
}

function menuFailure(s: CallState, t: Turn, menu: CompiledMenu, failure: MenuFailure, run: RunNext): void {
  const state = s.menu!;
  cancelTimer(s, t, 'menu-input');
  cancelTimer(s, t, 'menu-interdigit');
  s.ivrPath.push({ menu: menu.id, keys: state.collected, outcome: failure });
  const after = afterFailure(menu, failure, state.attempt);
  if (after.kind === 'retry') {
    s.menu = { id: menu.id, attempt: after.attempt, collected: '', listening: true };
    say(s, t, after.prompts, { kind: 'menu-listen' }, run);
    return;
  }
  s.menu = undefined;
  log(s, t, 'menu-default', { menu: menu.id });
  s.playlist.push(...after.prompts);
  followFrom(s, t, menu.default, run);
}

export function enterQuery(s: CallState, t: Turn, id: string, run: RunNext): void {
  const service = t.plan.selfService.get(id);
  if (service?.kind !== 'progress-query') throw new Error(`self-service ${id} is not a progress query`);
  s.query = { id, collected: '', listening: true, waiting: false };
  say(s, t, [service.prompt], { kind: 'query-listen' }, run);
}

export function queryListen(s: CallState, t: Turn): void {
  startTimer(s, t, 'query-input', QUERY_INPUT_MS);
}

export function queryKey(s: CallState, t: Turn, digit: string, run: RunNext): void {
  const q = s.query!;
  const service = t.plan.selfService.get(q.id) as Extract<
    NonNullable<ReturnType<typeof t.plan.selfService.get>>,
    { kind: 'progress-query' }
  >;
  if (s.playback) silence(s, t);
  s.next = undefined;
  if (digit === '*') {
    q.collected = '';
    return;
  }
  if (digit !== '#') q.collected += digit;
  if (digit === '#' || q.collected.length >= service.maxDigits) submitQuery(s, t, run);
  else {
    cancelTimer(s, t, 'query-input');
    startTimer(s, t, 'query-input', QUERY_INPUT_MS);
  }
}

export function queryTimeout(s: CallState, t: Turn, run: RunNext): void {
  submitQuery(s, t, run);
}

function submitQuery(s: CallState, t: Turn, run: RunNext): void {
  const q = s.query!;
  cancelTimer(s, t, 'query-input');
  q.listening = false;
  if (q.collected === '') return queryAnswered(s, t, null, run);
  q.waiting = true;
  s.ivrPath.push({ menu: `self-service:${q.id}`, keys: `${q.collected.length} digits`, outcome: 'lookup' });
  t.out.push({ kind: 'lookup-ticket', ticketNumber: q.collected });
}

/** The ticketing system answered (status prompts) or failed (null): play, then on to the next route. */
export function queryAnswered(s: CallState, t: Turn, prompts: string[] | null, run: RunNext): void {
  const q = s.query;
  if (!q) return;
  const service = t.plan.selfService.get(q.id) as Extract<
    NonNullable<ReturnType<typeof t.plan.selfService.get>>,
    { kind: 'progress-query' }
  >;
  s.query = undefined;
  log(s, t, prompts ? 'ticket-status' : 'ticket-status-unavailable');
  s.playlist.push(...(prompts ?? [service.failurePrompt]));
  followFrom(s, t, service.next, run);
}
