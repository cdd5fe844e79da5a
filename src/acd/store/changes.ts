import type { AcdChange, ChangeListener } from './port.ts';

export type ListenerErrorHandler = (err: unknown, change: AcdChange) => void;

const warn: ListenerErrorHandler = (err) => {
  process.emitWarning(`ACD change listener failed: ${err instanceof Error ? err.message : String(err)}`);
};

/**
 * The listeners of a store's change feed. Listeners run after the store's state has changed, so
 * a throwing listener must not fail the store operation: its error goes to `onError` and the
 * other listeners still run.
 */
export class ChangeHub {
  private readonly listeners = new Set<ChangeListener>();

  constructor(private readonly onError: ListenerErrorHandler = warn) {}

  get size(): number {
    return this.listeners.size;
  }

  add(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  emit(change: AcdChange): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(change);
      } catch (err) {
        this.onError(err, change);
      }
    }
  }
}
