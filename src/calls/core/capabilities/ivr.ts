import type { CompiledMenu, CompiledSelfService } from '../../../plan/compile.ts';
import { afterFailure, type MenuFailure, matchDigits, NO_FAILURES } from '../../../plan/menu-input.ts';
import { cancelTimer, log, startTimer, type Turn } from '../kernel.ts';
import type { CallState, Next } from '../types.ts';
import { followFrom, say, silence } from './playlist.ts';

/** Menus and the progress query: the caller keys, the plan says where that leads. */

/** How long a caller has to key a ticket number before the query goes ahead with what was keyed. */
export const QUERY_INPUT_MS = 15_000;

type ProgressQuery = Extract<CompiledSelfService, { kind: 'progress-query' }>;

export function enterMenu(s: CallState, t: Turn, id: string): Next | undefined {
  const menu = t.plan.menus.get(id)!;
  s.menu = { id, attempt: 1, collected: '', listening: true, failures: { ...NO_FAILURES } };
  log(s, t, 'menu', { menu: id });
  return say(s, t, [menu.prompt], { kind: 'menu-listen' });
}

export function menuListen(s: CallState, t: Turn): void {
  const menu = t.plan.menus.get(s.menu!.id)!;
  startTimer(s, t, 'menu-input', menu.timeoutSeconds * 1000);
}

export function menuKey(s: CallState, t: Turn, digit: string): Next | undefined {
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
    return undefined;
  }
  if (m.kind === 'invalid') return menuFailure(s, t, menu, 'invalid');
  s.ivrPath.push({ menu: menu.id, keys: state.collected, outcome: m.option.label });
  s.menu = undefined;
  return followFrom(s, t, m.option.route);
}

export function menuTimeout(s: CallState, t: Turn, interDigit: boolean): Next | undefined {
  const menu = t.plan.menus.get(s.menu!.id)!;
  return menuFailure(s, t, menu, interDigit ? 'invalid' : 'timeout');
}

function menuFailure(s: CallState, t: Turn, menu: CompiledMenu, failure: MenuFailure): Next | undefined {
  const state = s.menu!;
  cancelTimer(s, t, 'menu-input');
  cancelTimer(s, t, 'menu-interdigit');
  s.ivrPath.push({ menu: menu.id, keys: state.collected, outcome: failure });
  // A session saved before failures were counted by kind: its earlier failures count as invalid.
  const before = state.failures ?? { invalid: state.attempt - 1, timeout: 0 };
  const after = afterFailure(menu, failure, before);
  if (after.kind === 'retry') {
    s.menu = {
      id: menu.id,
      attempt: after.attempt,
      collected: '',
      listening: true,
      failures: after.failures,
    };
    return say(s, t, after.prompts, { kind: 'menu-listen' });
  }
  s.menu = undefined;
  log(s, t, 'menu-default', { menu: menu.id, failure });
  s.playlist.push(...after.prompts);
  return followFrom(s, t, menu.default);
}

function progressQuery(t: Turn, id: string): ProgressQuery {
  const service = t.plan.selfService.get(id);
  if (service?.kind !== 'progress-query') throw new Error(`self-service ${id} is not a progress query`);
  return service;
}

export function enterQuery(s: CallState, t: Turn, id: string): Next | undefined {
  const service = progressQuery(t, id);
  s.query = { id, collected: '', listening: true, waiting: false };
  return say(s, t, [service.prompt], { kind: 'query-listen' });
}

export function queryListen(s: CallState, t: Turn): void {
  startTimer(s, t, 'query-input', QUERY_INPUT_MS);
}

export function queryKey(s: CallState, t: Turn, digit: string): Next | undefined {
  const q = s.query!;
  const service = progressQuery(t, q.id);
  if (s.playback) silence(s, t);
  s.next = undefined;
  if (digit === '*') {
    q.collected = '';
    return undefined;
  }
  if (digit !== '#') q.collected += digit;
  if (digit === '#' || q.collected.length >= service.maxDigits) return submitQuery(s, t);
  cancelTimer(s, t, 'query-input');
  startTimer(s, t, 'query-input', QUERY_INPUT_MS);
  return undefined;
}

export function queryTimeout(s: CallState, t: Turn): Next | undefined {
  return submitQuery(s, t);
}

function submitQuery(s: CallState, t: Turn): Next | undefined {
  const q = s.query!;
  cancelTimer(s, t, 'query-input');
  q.listening = false;
  if (q.collected === '') return queryAnswered(s, t, null);
  q.waiting = true;
  s.ivrPath.push({ menu: `self-service:${q.id}`, keys: `${q.collected.length} digits`, outcome: 'lookup' });
  t.out.push({ kind: 'lookup-ticket', ticketNumber: q.collected });
  return undefined;
}

/** The ticketing system answered (status prompts) or failed (null): play, then on to the next route. */
export function queryAnswered(s: CallState, t: Turn, prompts: string[] | null): Next | undefined {
  const q = s.query;
  if (!q) return undefined;
  const service = progressQuery(t, q.id);
  s.query = undefined;
  log(s, t, prompts ? 'ticket-status' : 'ticket-status-unavailable');
  s.playlist.push(...(prompts ?? [service.failurePrompt]));
  return followFrom(s, t, service.next);
}
