import type { StepResult } from '../../../plan/route-step.ts';
import { nextId, type Turn } from '../kernel.ts';
import type { CallState, Next } from '../types.ts';

/**
 * Queues prompts to play on the caller's channel, one playback at a time, and what to do when
 * they have played. `bargeIn`: the first key the caller presses stops the prompt.
 */
export function say(
  s: CallState,
  t: Turn,
  prompts: readonly string[],
  next: Next | undefined,
  run: RunNext,
): void {
  s.playlist.push(...prompts);
  s.next = next;
  if (!s.playback) playNext(s, t, run);
}

export type RunNext = (s: CallState, t: Turn, next: Next) => void;

export function playNext(s: CallState, t: Turn, run: RunNext): void {
  const prompt = s.playlist.shift();
  if (prompt !== undefined) {
    const id = nextId(s, 'p');
    const bargeIn = Boolean(s.menu?.listening || s.query?.listening || s.surveyListening);
    s.playback = { id, prompt, bargeIn };
    s.prompts.push(prompt);
    t.out.push({ kind: 'play', channel: s.callerChannel, playbackId: id, prompt });
    return;
  }
  const next = s.next;
  s.next = undefined;
  if (next) run(s, t, next);
}

/** Stops the prompt playing now and drops the ones queued after it. */
export function silence(s: CallState, t: Turn): void {
  if (s.playback) t.out.push({ kind: 'stop-playback', playbackId: s.playback.id });
  s.playback = undefined;
  s.playlist = [];
}

/** Turns a route step into prompts and the next action (tickets and announcements end the call). */
export function applyStep(s: CallState, t: Turn, result: StepResult, run: RunNext): void {
  const step = result.step;
  switch (step.kind) {
    case 'menu':
      return say(s, t, result.prompts, { kind: 'menu', id: step.menu.id }, run);
    case 'progress-query':
      return say(s, t, result.prompts, { kind: 'progress-query', id: step.service.id }, run);
    case 'queue':
      return say(
        s,
        t,
        result.prompts,
        { kind: 'queue', queue: step.queue, id: step.id, skill: step.skill, priority: step.priority },
        run,
      );
    case 'dial':
      return say(
        s,
        t,
        result.prompts,
        { kind: 'dial', target: step.target, id: step.id, dial: step.dial, ringSeconds: step.ringSeconds },
        run,
      );
    case 'ticket':
      s.stage = 'closing';
      s.disposition = 'ticketed';
      s.ticketReason ??= 'route';
      return say(s, t, [...result.prompts, 'ticket-created'], { kind: 'hangup' }, run);
    case 'announcement':
      s.stage = 'closing';
      s.disposition = 'self-service';
      return say(s, t, result.prompts, { kind: 'hangup' }, run);
  }
}
