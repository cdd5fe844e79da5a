import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { CallState } from '../calls/core/types.ts';
import type { SessionStore } from '../calls/runtime/session-store.ts';

export interface RedisSessionStoreOptions {
  /** The connection to use (its owner closes it; `close` only flushes). */
  redis: Redis;
  centerId: string;
  engineId: string;
  keyPrefix?: string;
  logger: Logger;
}

/**
 * Call sessions in a Redis hash per engine (`<prefix>:{center}:sessions:<engine>`, field = call
 * id, value = the session as JSON). Saves made in one turn of the event loop go out in one
 * pipeline; the last state of a call wins, and a removal drops any save still pending.
 */
export class RedisSessionStore implements SessionStore {
  private readonly redis: Redis;
  private readonly key: string;
  private pending = new Map<string, string | null>();
  private scheduled = false;
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly o: RedisSessionStoreOptions) {
    this.redis = o.redis;
    this.key = `${o.keyPrefix ?? 'hotline'}:{${o.centerId}}:sessions:${o.engineId}`;
  }

  save(state: CallState): void {
    this.pending.set(state.id, JSON.stringify(state));
    this.schedule();
  }

  remove(callId: string): void {
    this.pending.set(callId, null);
    this.schedule();
  }

  async load(): Promise<CallState[]> {
    await this.flush();
    const all = await this.redis.hgetall(this.key);
    const out: CallState[] = [];
    for (const [id, json] of Object.entries(all)) {
      try {
        out.push(JSON.parse(json) as CallState);
      } catch {
        this.o.logger.error({ callId: id }, 'session store: unreadable session dropped');
        await this.redis.hdel(this.key, id);
      }
    }
    return out;
  }

  async flush(): Promise<void> {
    if (this.pending.size > 0) this.write();
    await this.writing;
  }

  /** Writes what is pending; the connection stays open (its owner closes it). */
  async close(): Promise<void> {
    await this.flush();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.write();
    });
  }

  private write(): void {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    const pipe = this.redis.pipeline();
    for (const [id, json] of batch) {
      if (json === null) pipe.hdel(this.key, id);
      else pipe.hset(this.key, id, json);
    }
    this.writing = this.writing
      .then(() => pipe.exec())
      .then(
        () => undefined,
        (err: Error) => this.o.logger.error({ err: err.message }, 'session store: write failed'),
      );
  }
}
