/**
 * How long new callers wait for their first audio — what overload does to a caller, and the
 * signal admission control trusts most (src/admission). A caller waits from its StasisStart until
 * the PBX accepts the first thing it will hear: a prompt, a bridge (music on hold, an agent, a
 * target) or the hand-over to the safety net. A caller that hangs up or leaves the app stops
 * waiting. Times are wall ms from the caller's clock (`performance.now()` in the adapter).
 */
export class FirstAudioWaits {
  /** Callers waiting, oldest first (a Map keeps insertion order), with when they arrived. */
  private readonly waiting = new Map<string, number>();
  private slowestGiven = 0;

  constructor(private readonly capacity = 20_000) {}

  /** A new caller entered the app at `at`. */
  arrived(channelId: string, at: number): void {
    this.waiting.delete(channelId);
    this.waiting.set(channelId, at);
    if (this.waiting.size > this.capacity) this.waiting.delete(this.waiting.keys().next().value as string);
  }

  /** The PBX accepted something these channels hear, at `at`; the first time counts. */
  heard(channelIds: readonly string[], at: number): void {
    for (const id of channelIds) {
      const since = this.waiting.get(id);
      if (since === undefined) continue;
      this.waiting.delete(id);
      this.slowestGiven = Math.max(this.slowestGiven, at - since);
    }
  }

  /** The channel hung up or left the app: it waits no more. */
  gone(channelId: string): void {
    this.waiting.delete(channelId);
  }

  /** Whether this channel is a caller still waiting for first audio. */
  waits(channelId: string): boolean {
    return this.waiting.has(channelId);
  }

  /** Callers waiting now. */
  get size(): number {
    return this.waiting.size;
  }

  /**
   * The worst wait since the last read: the slowest first audio given, or the longest wait of a
   * caller still waiting, whichever is longer — the second leads, growing before any of the
   * callers waiting is served.
   */
  read(now: number): number {
    const oldest = this.waiting.values().next().value;
    const longest = oldest === undefined ? 0 : now - oldest;
    const worst = Math.max(this.slowestGiven, longest);
    this.slowestGiven = 0;
    return Math.max(0, Math.round(worst));
  }
}

/**
 * The wait a caller arriving now can expect for its first request: Little's law on the REST
 * client's urgent lane — urgent requests waiting ÷ the rate requests are answered (smoothed over
 * reads). It leads where FirstAudioWaits lags: it grows as soon as the lane fills, before anyone
 * has waited long. Only when at least `minWaiting` wait, so a quiet moment is not taken for a
 * trend; with nothing answered since the last read, the time since then.
 */
export class LaneWaitEstimate {
  private perMs = 0;
  private completed = 0;

  constructor(
    private at: number,
    private readonly minWaiting = 10,
  ) {}

  /** At `now`, with `completed` requests answered since start and `waiting` in the lane. */
  read(now: number, completed: number, waiting: number): number {
    const ms = Math.max(1, now - this.at);
    this.perMs = 0.5 * this.perMs + 0.5 * ((completed - this.completed) / ms);
    this.completed = completed;
    this.at = now;
    if (waiting < this.minWaiting) return 0;
    return Math.round(this.perMs > 0 ? Math.min(60_000, waiting / this.perMs) : ms);
  }
}
