/**
 * One carrier call, several nodes' channels: the SIP edge gives a call to a node, and moves it on
 * to the next when that node has not answered even 100 Trying in time (or refused it). A node
 * that was only slow (a pause, a burst) then takes the INVITE late, and the call exists twice: one
 * channel on each node, with the same SIP Call-ID. Served both, the caller would get two answers
 * and two agents one citizen.
 *
 * The claim, keyed by the carrier's SIP Call-ID, says which of those channels the engines serve:
 * the first that claims it, once it has answered. A channel that finds another's claim answered is
 * refused (hung up unanswered, never a call of the engine, no record); one that finds another's
 * claim not answered yet waits, since that channel may still be cancelled by the edge (its claim is
 * then let go) or answer (this one is then refused).
 */
export type ClaimVerdict =
  /** This channel holds the claim: answer it and serve it. */
  | 'serve'
  /** Another channel holds the claim and has not answered: ask again shortly. */
  | 'wait'
  /** Another channel holds the claim and has answered: this one must not. */
  | 'refuse';

export interface AttemptClaims {
  /**
   * Claims the carrier call `sipCallId` for `channelId`. With `force`, a claim another channel
   * holds unanswered is taken over (it has waited too long: that channel's engine may be gone).
   */
  claim(sipCallId: string, channelId: string, force?: boolean): Promise<ClaimVerdict>;
  /** The channel answered: true while it holds the claim (kept, so later channels are refused). */
  answered(sipCallId: string, channelId: string): Promise<boolean>;
  /** The channel ended unanswered: its claim, if it holds one, is let go for another channel. */
  release(sipCallId: string, channelId: string): Promise<void>;
}

/**
 * How long a claim is kept: far longer than an edge takes to move a call on (its Trying timeout,
 * seconds at most), so a late channel always finds it; short enough that claims do not pile up.
 */
export const CLAIM_TTL_MS = 10 * 60_000;

interface Claim {
  owner: string;
  answered: boolean;
  expiresAt: number;
}

/**
 * The claims of one process (an engine on several nodes without Redis): the same rules as the
 * shared ones in Redis (src/redis/attempt-claims.ts), checked by one contract suite.
 */
export class MemoryAttemptClaims implements AttemptClaims {
  private readonly claims = new Map<string, Claim>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly ttlMs = CLAIM_TTL_MS,
  ) {}

  async claim(sipCallId: string, channelId: string, force = false): Promise<ClaimVerdict> {
    this.expire();
    const c = this.claims.get(sipCallId);
    if (c === undefined || c.owner === channelId) {
      this.put(sipCallId, { owner: channelId, answered: c?.answered ?? false });
      return 'serve';
    }
    if (c.answered) return 'refuse';
    if (!force) return 'wait';
    this.put(sipCallId, { owner: channelId, answered: false });
    return 'serve';
  }

  async answered(sipCallId: string, channelId: string): Promise<boolean> {
    const c = this.claims.get(sipCallId);
    if (c === undefined || c.owner !== channelId || c.expiresAt <= this.now()) return false;
    this.put(sipCallId, { owner: channelId, answered: true });
    return true;
  }

  async release(sipCallId: string, channelId: string): Promise<void> {
    const c = this.claims.get(sipCallId);
    if (c !== undefined && c.owner === channelId && !c.answered) this.claims.delete(sipCallId);
  }

  /** Claims kept now (for tests of the expiry). */
  get size(): number {
    this.expire();
    return this.claims.size;
  }

  private put(sipCallId: string, c: Omit<Claim, 'expiresAt'>): void {
    // re-inserted, so the map stays in expiry order and expire() stops at the first live claim
    this.claims.delete(sipCallId);
    this.claims.set(sipCallId, { ...c, expiresAt: this.now() + this.ttlMs });
  }

  private expire(): void {
    const now = this.now();
    for (const [id, c] of this.claims) {
      if (c.expiresAt > now) return;
      this.claims.delete(id);
    }
  }
}
