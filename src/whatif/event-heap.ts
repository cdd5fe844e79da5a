/**
 * The virtual clock of a what-if run: a min-heap of pending events by time, then by insertion
 * (two events at the same instant run in the order they were scheduled, so a run repeats exactly).
 * Time jumps from one event to the next; nothing waits on the wall clock.
 */
export class EventHeap<E> {
  private readonly at: number[] = [];
  private readonly seq: number[] = [];
  private readonly items: E[] = [];
  private counter = 0;

  get size(): number {
    return this.items.length;
  }

  push(atMs: number, item: E): void {
    let i = this.items.length;
    this.at.push(atMs);
    this.seq.push(this.counter++);
    this.items.push(item);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  /** The earliest event's time; undefined when empty. */
  peekTime(): number | undefined {
    return this.at[0];
  }

  /** Takes the earliest event. */
  pop(): { atMs: number; item: E } | undefined {
    const n = this.items.length;
    if (n === 0) return undefined;
    const out = { atMs: this.at[0] as number, item: this.items[0] as E };
    const last = n - 1;
    this.swap(0, last);
    this.at.pop();
    this.seq.pop();
    this.items.pop();
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < last && this.less(l, m)) m = l;
      if (r < last && this.less(r, m)) m = r;
      if (m === i) break;
      this.swap(i, m);
      i = m;
    }
    return out;
  }

  private less(a: number, b: number): boolean {
    const ta = this.at[a] as number;
    const tb = this.at[b] as number;
    return ta < tb || (ta === tb && (this.seq[a] as number) < (this.seq[b] as number));
  }

  private swap(a: number, b: number): void {
    [this.at[a], this.at[b]] = [this.at[b] as number, this.at[a] as number];
    [this.seq[a], this.seq[b]] = [this.seq[b] as number, this.seq[a] as number];
    [this.items[a], this.items[b]] = [this.items[b] as E, this.items[a] as E];
  }
}
