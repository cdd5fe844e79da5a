/**
 * Counts authentication failures per client address over a sliding window. Once an address has
 * failed `max` times within `windowMs`, its further failures are answered 429 until its oldest
 * failure leaves the window: guessing tokens gets ten tries a minute. It never refuses a request
 * that authenticates (the auth hook asks it only about failures), so a stale page or a guesser
 * behind the same proxy or NAT cannot lock the others out.
 */
export class FailureLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(private readonly o: { max: number; windowMs: number; now: () => number }) {}

  private recent(address: string): number[] {
    const since = this.o.now() - this.o.windowMs;
    const list = (this.failures.get(address) ?? []).filter((t) => t > since);
    if (list.length === 0) this.failures.delete(address);
    else this.failures.set(address, list);
    return list;
  }

  /** Seconds until the address may fail again without a 429; 0 when it is not blocked. */
  blockedFor(address: string): number {
    const list = this.recent(address);
    if (list.length < this.o.max) return 0;
    const oldest = list[list.length - this.o.max]!;
    return Math.max(1, Math.ceil((oldest + this.o.windowMs - this.o.now()) / 1000));
  }

  /** Records a failure (a blocked address's failures count too, so guessing stays throttled). */
  fail(address: string): void {
    const list = this.recent(address);
    list.push(this.o.now());
    this.failures.set(address, list.slice(-this.o.max));
    if (this.failures.size > 50_000) this.failures.clear();
  }
}
