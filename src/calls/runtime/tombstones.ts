/**
 * The ids of calls that ended (the call id and its legs' channels), in memory, each until its
 * expiry: a channel listed or entering with one of them is a stale listing, never a new call.
 * The session store keeps them across restarts; this is what the engine checks.
 */
export class Tombstones {
  /** id → expiry (ms since the epoch), in insertion order (expiries only grow). */
  private readonly ids = new Map<string, number>();

  add(ids: Iterable<string>, expiresAt: number): void {
    for (const id of ids) {
      this.ids.delete(id);
      this.ids.set(id, expiresAt);
    }
  }

  /** Ids kept by an earlier run, each with its own expiry (as the store lists them). */
  load(entries: { id: string; expiresAt: number }[]): void {
    for (const e of [...entries].sort((a, b) => a.expiresAt - b.expiresAt)) this.add([e.id], e.expiresAt);
  }

  has(id: string, now: number): boolean {
    this.prune(now);
    const at = this.ids.get(id);
    return at !== undefined && at > now;
  }

  get size(): number {
    return this.ids.size;
  }

  private prune(now: number): void {
    for (const [id, at] of this.ids) {
      if (at > now) return;
      this.ids.delete(id);
    }
  }
}
