import type { RoutingPlan } from '../../plan/compile.ts';
import type { CallState, Command } from './types.ts';

/** What one transition works with: the plan the call started on, the time, and the commands it emits. */
export interface Turn {
  plan: RoutingPlan;
  now: number;
  out: Command[];
}

export function nextId(s: CallState, tag: string): string {
  s.seq += 1;
  return `${s.id}-${tag}${s.seq}`;
}

export function startTimer(s: CallState, t: Turn, name: string, ms: number): void {
  s.seq += 1;
  s.timers[name] = s.seq;
  const delay = Math.max(0, Math.round(ms));
  s.timerDue ??= {};
  s.timerDue[name] = t.now + delay;
  t.out.push({ kind: 'start-timer', name, token: s.seq, ms: delay });
}

export function cancelTimer(s: CallState, t: Turn, name: string): void {
  if (s.timers[name] === undefined) return;
  delete s.timers[name];
  if (s.timerDue) delete s.timerDue[name];
  t.out.push({ kind: 'cancel-timer', name });
}

export function cancelAllTimers(s: CallState, t: Turn): void {
  for (const name of Object.keys(s.timers)) cancelTimer(s, t, name);
}

export function log(
  s: CallState,
  t: Turn,
  what: string,
  detail?: CallState['events'][number]['detail'],
): void {
  s.events.push(detail ? { at: t.now, what, detail } : { at: t.now, what });
}
