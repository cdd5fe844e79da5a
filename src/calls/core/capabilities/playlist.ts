import { followRoute, type StepResult } from '../../../plan/route-step.ts';
import { log, nextId, type Turn } from '../kernel.ts';
import { nextPlayable } from '../prompt-playback.ts';
import type { CallState, Next } from '../types.ts';

/**
 * The caller's prompts, one playback at a time, and the step to take once they have played.
 * Nothing here runs that step: a function that reaches it returns it, and the router runs it.
 */

/**
 * Queues prompts to play on the caller's channel and the step to take after them. Returns that
 * step when nothing is left to play. `bargeIn`: the first key the caller presses stops the prompt.
 */
export function say(
  s: CallState,
  t: Turn,
  prompts: readonly string[],
  next: Next | undefined,
): Next | undefined {
  s.playlist.push(...prompts);
  s.next = next;
  return s.playback ? undefined : playNext(s, t);
}

/** Plays the next queued prompt; with none left, returns the step that was waiting for them. */
export function playNext(s: CallState, t: Turn): Next | undefined {
  const playable = nextPlayable(s, t);
  if (playable !== undefined) {
    const { prompt } = playable;
    const id = nextId(s, 'p');
    const bargeIn = Boolean(s.menu?.listening || s.query?.listening || s.surveyListening);
    s.playback = { id, prompt, bargeIn };
    if (playable.record) s.prompts.push(prompt);
    t.out.push({ kind: 'play', channel: s.callerChannel, playbackId: id, prompt });
    return undefined;
  }
  const next = s.next;
  s.next = undefined;
  return next;
}

/** A playback ended: the next prompt, or the step waiting for them (a failed playback stops there). */
export function playbackFinished(
  s: CallState,
  t: Turn,
  playbackId: string,
  failed: boolean,
): Next | undefined {
  if (s.playback?.id !== playbackId) return undefined;
  s.playback = undefined;
  return failed ? undefined : playNext(s, t);
}

/** Stops the prompt playing now and drops the ones queued after it. */
export function silence(s: CallState, t: Turn): void {
  if (s.playback) t.out.push({ kind: 'stop-playback', playbackId: s.playback.id });
  s.playback = undefined;
  s.playlist = [];
}

function routeContext(s: CallState, t: Turn) {
  const line = t.plan.lines.get(s.line.id)!;
  const cls = s.callerClass ? t.plan.callerClasses.find((c) => c.id === s.callerClass) : undefined;
  return { line, atMs: s.arrivedAt, ...(cls ? { callerClass: cls } : {}) };
}

/** Follows a route of the plan from where the call is, up to the step the router runs next. */
export function followFrom(
  s: CallState,
  t: Turn,
  route: Parameters<typeof followRoute>[1],
): Next | undefined {
  return applyStep(s, t, followRoute(t.plan, route, routeContext(s, t)));
}

/** Turns a route step into prompts and the next step (tickets and announcements end the call). */
function applyStep(s: CallState, t: Turn, result: StepResult): Next | undefined {
  const step = result.step;
  switch (step.kind) {
    case 'menu':
      return say(s, t, result.prompts, { kind: 'menu', id: step.menu.id });
    case 'progress-query':
      return say(s, t, result.prompts, { kind: 'progress-query', id: step.service.id });
    case 'queue':
    case 'dial':
      return say(s, t, result.prompts, step);
    case 'ticket':
      s.stage = 'closing';
      s.disposition = 'ticketed';
      s.ticketReason ??= 'route';
      return say(s, t, [...result.prompts, 'ticket-created'], { kind: 'hangup' });
    case 'announcement':
      s.stage = 'closing';
      s.disposition = 'self-service';
      return say(s, t, result.prompts, { kind: 'hangup' });
  }
}

/** A prompt that cannot play must not stall the call: go on as if it had played. */
export function promptRefused(s: CallState, t: Turn, playbackId: string, prompt: string, status?: number) {
  if (s.playback?.id !== playbackId) return undefined;
  const i = s.prompts.lastIndexOf(prompt);
  if (i >= 0) s.prompts.splice(i, 1);
  log(s, t, 'prompt-refused', { prompt, status });
  s.playback = undefined;
  return playNext(s, t);
}
