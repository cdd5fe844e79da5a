import type { Clock } from '../clock.ts';
import type { StoreSnapshot } from './store/port.ts';

/**
 * One ACD snapshot shared by every call that announces its place in the queue. Reading the
 * whole store (roster, statuses, waiting calls) per announcement made the store the bottleneck
 * at a few hundred calls a second; a read at most every `maxAgeMs`, with concurrent callers
 * waiting on the same read, keeps its cost flat. A figure a few seconds old is good enough for
 * "N callers ahead of you".
 */
export class SharedSnapshot {
  private value: StoreSnapshot | undefined;
  private readAt = 0;
  private pending: Promise<StoreSnapshot> | undefined;
  reads = 0;

  constructor(
    private readonly read: () => Promise<StoreSnapshot>,
    private readonly clock: Clock,
    private readonly maxAgeMs = 5000,
  ) {}

  get(): Promise<StoreSnapshot> {
    const now = this.clock.now();
    if (this.value && now - this.readAt < this.maxAgeMs) return Promise.resolve(this.value);
    if (!this.pending) {
      this.reads++;
      this.pending = this.read()
        .then((v) => {
          this.value = v;
          this.readAt = now;
          return v;
        })
        .finally(() => {
          this.pending = undefined;
        });
    }
    return this.pending;
  }
}
