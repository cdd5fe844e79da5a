/**
 * An array kept sorted by a total order, with binary-search insert and remove. Items are treated
 * as immutable while in the list (their sort keys must not change); replace them instead.
 */
export class SortedList<T> {
  readonly items: T[] = [];
  constructor(private readonly compare: (a: T, b: T) => number) {}

  get size(): number {
    return this.items.length;
  }

  first(): T | undefined {
    return this.items[0];
  }

  /** Index of the first item not less than `item`. */
  private lowerBound(item: T): number {
    let lo = 0;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.compare(this.items[mid] as T, item) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  insert(item: T): void {
    this.items.splice(this.lowerBound(item), 0, item);
  }

  /** Removes the item (the same object); returns whether it was there. */
  remove(item: T): boolean {
    const i = this.lowerBound(item);
    if (this.items[i] !== item) return false;
    this.items.splice(i, 1);
    return true;
  }

  /** Replaces the whole content (sorting once), for bulk loads. */
  reset(items: T[]): void {
    this.items.length = 0;
    for (const item of items) this.items.push(item);
    this.items.sort(this.compare);
  }
}
