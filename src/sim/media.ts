import type { AppRecord } from './apps.ts';
import { conflict, SimRestError } from './errors.ts';
import type { SimBridge } from './model/bridge.ts';
import type { SimChannel } from './model/channel.ts';
import { SimPlayback } from './model/playback.ts';
import type { PromptHeard } from './outcomes.ts';
import type { SimWorld } from './world.ts';

/**
 * Playbacks on channels and bridges. POST play answers 201 `queued`; PlaybackStarted follows;
 * PlaybackFinished is `done` when the media ends or is stopped, `failed` when the channel hangs
 * up under it. DTMF never interrupts a playback. Several plays on one target queue up.
 */
let generated = 0;

type Target = SimChannel | SimBridge;

function isChannel(target: Target): target is SimChannel {
  return 'kind' in target;
}

function targets(core: SimWorld, playback: SimPlayback): Iterable<AppRecord> {
  if (playback.targetKind === 'channel') return core.channels.get(playback.targetId)?.subscribers ?? [];
  return core.bridges.get(playback.targetId)?.subscribers() ?? [];
}

function send(core: SimWorld, type: string, playback: SimPlayback): void {
  core.deliver(core.ev.playback(type, playback), targets(core, playback));
}

export function startPlay(
  core: SimWorld,
  target: Target,
  media: string[],
  playbackId: string | undefined,
  language: string | undefined,
): SimPlayback {
  const id = playbackId ?? `${core.nextUniqueId()}-pb-${++generated}`;
  if (core.playbacks.has(id)) throw conflict('Playback with the same id already exists');
  const kind = isChannel(target) ? 'channel' : 'bridge';
  const playback = new SimPlayback(id, media, kind, target.id, language ?? 'en');
  core.playbacks.set(id, playback);
  target.playbacks.push(playback);
  const snapshot = playback.toJSON();
  if (target.playbacks.length === 1) scheduleStart(core, target, playback);
  playbackResponse.set(playback, snapshot);
  return playback;
}

/** The `queued` snapshot returned by POST play, taken before the playback starts. */
export const playbackResponse = new WeakMap<SimPlayback, object>();

function scheduleStart(core: SimWorld, target: Target, playback: SimPlayback): void {
  const begin = (): void => {
    if (playback.state === 'queued') beginPlayback(core, playback);
  };
  if (isChannel(target)) core.later(target, 0, begin);
  else core.timers.after(0, begin);
}

function beginPlayback(core: SimWorld, playback: SimPlayback): void {
  playback.state = 'playing';
  playback.playedBeforePauseMs = 0;
  playback.remainingMs = core.promptMs(playback.mediaUri);
  send(core, 'PlaybackStarted', playback);
  runTimer(core, playback);
  const channel = playback.targetKind === 'channel' ? core.channels.get(playback.targetId) : undefined;
  if (channel) core.signal(channel, 'playback');
}

function runTimer(core: SimWorld, playback: SimPlayback): void {
  playback.startedAtReal = core.timers.now();
  playback.timer = core.timers.after(playback.remainingMs, () => itemEnded(core, playback));
}

function playedMs(core: SimWorld, playback: SimPlayback): number {
  const running = playback.state === 'playing' ? core.timers.simElapsedSince(playback.startedAtReal) : 0;
  return Math.round(playback.playedBeforePauseMs + running);
}

function record(core: SimWorld, playback: SimPlayback, result: PromptHeard['result'], ms: number): void {
  if (playback.targetKind !== 'channel') return;
  const outcome = core.channels.get(playback.targetId)?.outcome;
  outcome?.prompts.push({ media: playback.mediaUri, playbackId: playback.id, playedMs: ms, result });
}

function itemEnded(core: SimWorld, playback: SimPlayback): void {
  playback.timer = undefined;
  record(core, playback, 'done', core.promptMs(playback.mediaUri));
  if (playback.index + 1 < playback.media.length) {
    playback.index++;
    playback.playedBeforePauseMs = 0;
    playback.remainingMs = core.promptMs(playback.mediaUri);
    send(core, 'PlaybackContinuing', playback);
    runTimer(core, playback);
    return;
  }
  finishPlayback(core, playback, 'done', undefined);
}

/**
 * Ends a playback with `state`, sends PlaybackFinished and starts the next queued one.
 * `heard` records how the current item ended when it was cut short.
 */
export function finishPlayback(
  core: SimWorld,
  playback: SimPlayback,
  state: 'done' | 'failed',
  heard: PromptHeard['result'] | undefined,
): void {
  const wasStarted = playback.state === 'playing' || playback.state === 'paused';
  if (heard && wasStarted) record(core, playback, heard, playedMs(core, playback));
  playback.timer?.cancel();
  playback.timer = undefined;
  playback.state = state;
  core.playbacks.delete(playback.id);
  const target: Target | undefined =
    playback.targetKind === 'channel'
      ? core.channels.get(playback.targetId)
      : core.bridges.get(playback.targetId);
  if (wasStarted || state === 'done') send(core, 'PlaybackFinished', playback);
  if (!target) return;
  const i = target.playbacks.indexOf(playback);
  if (i >= 0) target.playbacks.splice(i, 1);
  const next = target.playbacks[0];
  if (i === 0 && next && next.state === 'queued') scheduleStart(core, target, next);
}

/** The channel hangs up: its current playback fails, queued ones are dropped. */
export function failChannelPlaybacks(core: SimWorld, channel: SimChannel): void {
  const [current, ...queued] = channel.playbacks;
  channel.playbacks = current ? [current] : [];
  for (const playback of queued) {
    playback.state = 'failed';
    core.playbacks.delete(playback.id);
  }
  if (current) finishPlayback(core, current, 'failed', 'failed');
}

/** `DELETE /playbacks/{id}`: PlaybackFinished `done`, as trace b shows. */
export function stopPlayback(core: SimWorld, playback: SimPlayback): void {
  finishPlayback(core, playback, 'done', 'stopped');
}

const SKIP_MS = 3000;

export function controlPlayback(core: SimWorld, playback: SimPlayback, operation: string): void {
  const invalid = (): SimRestError =>
    conflict("The operation cannot be performed in the playback's current state");
  switch (operation) {
    case 'pause': {
      if (playback.state !== 'playing') throw invalid();
      const ran = core.timers.simElapsedSince(playback.startedAtReal);
      playback.timer?.cancel();
      playback.remainingMs = Math.max(0, playback.remainingMs - ran);
      playback.playedBeforePauseMs += ran;
      playback.state = 'paused';
      return;
    }
    case 'unpause':
      if (playback.state !== 'paused') throw invalid();
      playback.state = 'playing';
      runTimer(core, playback);
      return;
    case 'restart':
    case 'reverse':
    case 'forward': {
      if (playback.state !== 'playing' && playback.state !== 'paused') throw invalid();
      const total = core.promptMs(playback.mediaUri);
      const played = playedMs(core, playback);
      const position =
        operation === 'restart'
          ? 0
          : operation === 'reverse'
            ? Math.max(0, played - SKIP_MS)
            : played + SKIP_MS;
      playback.timer?.cancel();
      playback.playedBeforePauseMs = position;
      playback.remainingMs = Math.max(0, total - position);
      if (playback.state === 'playing') runTimer(core, playback);
      return;
    }
    default:
      throw new SimRestError(
        400,
        'sim-bad-playback-operation',
        'The provided operation parameter was invalid',
      );
  }
}
