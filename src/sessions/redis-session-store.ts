import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { CallState } from '../calls/core/types.ts';
import { type SessionStore, TOMBSTONE_TTL_MS } from '../calls/runtime/session-store.ts';

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
 *
 * Tombstones of ended calls are a sorted set per engine (`<prefix>:{center}:ended:<engine>`,
 * member = a call id or a leg's channel, score = its expiry); the key expires with its newest
 * member (TOMBSTONE_TTL_MS after the last call ended) and expired members are dropped at each write. A
 * session is replaced by its tombstone in one MULTI.
 */
export class RedisSessionStore implements SessionStore {
  readonly durable = true;
  private readonly redis: Redis;
  private readonly key: string;
  private readonly endedKey: string;
  private pending = new Map<string, string | null>();
  private scheduled = false;
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly o: RedisSessionStoreOptions) {
    this.redis = o.redis;
    this.key = `${o.keyPrefix ?? 'hotline'}:{${o.centerId}}:sessions:${o.engineId}`;
    this.endedKey = `${o.keyPrefix ?? 'hotline'}:{${o.centerId}}:ended:${o.engineId}`;
  }

  async ending(state: CallState): Promise<void> {
    this.pending.delete(state.id);
    this.write();
    const json = JSON.stringify(state);
    await this.afterWrites(() => this.redis.hset(this.key, state.id, json));
  }

  async tombstone(callId: string, ids: string[], expiresAt: number): Promise<void> {
    this.pending.delete(callId);
    this.write();
    const scored = ids.flatMap((id) => [expiresAt, id]);
    await this.afterWrites(async () => {
      const replies = await this.redis
        .multi()
        .zadd(this.endedKey, ...scored)
        .zremrangebyscore(this.endedKey, '-inf', expiresAt - TOMBSTONE_TTL_MS)
        .pexpireat(this.endedKey, expiresAt)
        .hdel(this.key, callId)
        .exec();
      const failed = replies?.find(([err]) => err);
      if (!replies || failed) throw failed?.[0] ?? new Error('tombstone transaction discarded');
    });
  }

  async tombstones(now: number): Promise<{ id: string; expiresAt: number }[]> {
    await this.flush();
    const flat = await this.redis.zrangebyscore(this.endedKey, `(${now}`, '+inf', 'WITHSCORES');
    const out: { id: string; expiresAt: number }[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) out.push({ id: flat[i]!, expiresAt: Number(flat[i + 1]) });
    return out;
  }

  /** Runs `op` after every write so far; its failure is the caller's (later writes still run). */
  private afterWrites<T>(op: () => Promise<T>): Promise<T> {
    const p = this.writing.then(op);
    this.writing = p.then(
      () => undefined,
      () => undefined,
    );
    return p;
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
