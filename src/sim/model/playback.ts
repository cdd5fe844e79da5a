import type { TimerHandle } from '../../clock.ts';

export type PlaybackState = 'queued' | 'playing' | 'paused' | 'done' | 'failed' | 'cancelled';

export interface PlaybackJson {
  id: string;
  media_uri: string;
  next_media_uri?: string;
  target_uri: string;
  language: string;
  state: PlaybackState;
}

/** One `play` request: a list of media played in order on a channel or a bridge. */
export class SimPlayback {
  state: PlaybackState = 'queued';
  index = 0;
  /** Simulated ms left of the current media item. */
  remainingMs = 0;
  /** Real clock reading when the current item (re)started playing. */
  startedAtReal = 0;
  /** Simulated ms played of the current item before the latest pause. */
  playedBeforePauseMs = 0;
  timer: TimerHandle | undefined;

  constructor(
    readonly id: string,
    readonly media: string[],
    readonly targetKind: 'channel' | 'bridge',
    readonly targetId: string,
    readonly language: string,
  ) {}

  get mediaUri(): string {
    return this.media[this.index] ?? this.media[this.media.length - 1] ?? '';
  }

  toJSON(): PlaybackJson {
    const next = this.media[this.index + 1];
    return {
      id: this.id,
      media_uri: this.mediaUri,
      ...(next !== undefined && this.state !== 'done' && this.state !== 'failed'
        ? { next_media_uri: next }
        : {}),
      target_uri: `${this.targetKind}:${this.targetId}`,
      language: this.language,
      state: this.state,
    };
  }
}
