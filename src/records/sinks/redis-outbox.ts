import type { Redis } from 'ioredis';
import { runLuaScript } from '../../redis/lua-scripts.ts';
import type { DeadLetter, OutboxCounts, OutboxEntry, OutboxMessage, OutboxStore } from '../outbox.ts';
import { scripts } from './redis-scripts.ts';

/**
 * The outbox in Redis, shared by every engine of the center (a message written by one engine is
 * delivered by whichever engine claims it first). Keys `<prefix>:{records}:<name>`:
 *   entries  hash id → entry JSON (message, attempts, last error)
 *   due      zset id by the time the next attempt is due; a claim leases it (score = lease end),
 *            so an engine that dies mid-attempt leaves it due again when the lease ends
 *   dead     zset id by the time it was dead-lettered (the entry stays in `entries`)
 * `add` resolves once Redis has the message (durability as Redis is configured: appendonly).
 */
export interface RedisOutboxOptions {
  redis: Redis;
  /** First part of every key; default `hotline`. Tests use a unique one. */
  keyPrefix?: string;
  /** How long a claimed message is kept from other engines. Default 60 s (above the send timeout). */
  leaseMs?: number;
  /** Whether `close` quits the connection. */
  ownsConnection?: boolean;
}

export function outboxKeys(keyPrefix = 'hotline') {
  const base = `${keyPrefix}:{records}:`;
  return { entries: `${base}entries`, due: `${base}due`, dead: `${base}dead` };
}

function decode(id: string, raw: string): OutboxEntry {
  const e = JSON.parse(raw) as OutboxEntry;
  return { ...e, id };
}

export class RedisOutbox implements OutboxStore {
  private readonly keys: ReturnType<typeof outboxKeys>;
  private readonly redis: Redis;
  private readonly leaseMs: number;

  constructor(private readonly o: RedisOutboxOptions) {
    this.redis = o.redis;
    this.keys = outboxKeys(o.keyPrefix);
    this.leaseMs = o.leaseMs ?? 60_000;
  }

  async add(messages: OutboxMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const args = messages.flatMap((m) => [
      m.id,
      JSON.stringify({ ...m, attempts: 0, nextAt: m.createdAt }),
      m.createdAt,
    ]);
    await runLuaScript(this.redis, scripts.add, [this.keys.entries, this.keys.due], args);
  }

  async claim(now: number, limit: number): Promise<OutboxEntry[]> {
    const flat = (await runLuaScript(
      this.redis,
      scripts.claim,
      [this.keys.due, this.keys.entries],
      [now, now + this.leaseMs, limit],
    )) as string[];
    const out: OutboxEntry[] = [];
    for (let i = 0; i < flat.length; i += 2) out.push(decode(flat[i]!, flat[i + 1]!));
    return out;
  }

  async delivered(id: string): Promise<void> {
    await this.redis.multi().hdel(this.keys.entries, id).zrem(this.keys.due, id).exec();
  }

  async retryLater(entry: OutboxEntry, nextAt: number, error: string): Promise<void> {
    const json = JSON.stringify({ ...entry, nextAt, lastError: error });
    await runLuaScript(
      this.redis,
      scripts.retry,
      [this.keys.entries, this.keys.due],
      [entry.id, json, nextAt],
    );
  }

  async bury(entry: OutboxEntry, error: string, now: number): Promise<void> {
    const json = JSON.stringify({ ...entry, lastError: error });
    await runLuaScript(
      this.redis,
      scripts.bury,
      [this.keys.entries, this.keys.due, this.keys.dead],
      [entry.id, json, now],
    );
  }

  async deadLetters(limit = 1000): Promise<DeadLetter[]> {
    const flat = await this.redis.zrange(this.keys.dead, '0', String(limit - 1), 'WITHSCORES');
    const ids: string[] = [];
    const deadAt = new Map<string, number>();
    for (let i = 0; i < flat.length; i += 2) {
      ids.push(flat[i]!);
      deadAt.set(flat[i]!, Number(flat[i + 1]));
    }
    if (ids.length === 0) return [];
    const raws = await this.redis.hmget(this.keys.entries, ...ids);
    const out: DeadLetter[] = [];
    ids.forEach((id, i) => {
      const raw = raws[i];
      if (raw) out.push({ ...decode(id, raw), deadAt: deadAt.get(id)! });
    });
    return out;
  }

  async replay(ids: string[] | 'all', now: number): Promise<number> {
    if (ids !== 'all' && ids.length === 0) return 0;
    return Number(
      await runLuaScript(
        this.redis,
        scripts.replay,
        [this.keys.entries, this.keys.due, this.keys.dead],
        [now, ...(ids === 'all' ? [] : ids)],
      ),
    );
  }

  async counts(): Promise<OutboxCounts> {
    const [pending, dead] = await Promise.all([
      this.redis.zcard(this.keys.due),
      this.redis.zcard(this.keys.dead),
    ]);
    return { pending, dead };
  }

  async nextDueAt(): Promise<number | undefined> {
    const first = await this.redis.zrange(this.keys.due, '0', '0', 'WITHSCORES');
    return first.length === 2 ? Number(first[1]) : undefined;
  }

  async close(): Promise<void> {
    if (this.o.ownsConnection) await this.redis.quit();
  }
}
