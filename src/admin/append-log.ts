import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Redis } from 'ioredis';

/**
 * An append-only log of JSON entries (the access ledger, the audit log): a JSONL file, a Redis
 * list shared by every engine process, or memory (tests). Entries are never changed or removed
 * through this port.
 */
export interface AppendLog<T> {
  append(entry: T): Promise<void>;
  /** The newest `limit` entries, newest first. */
  latest(limit: number): Promise<T[]>;
}

export class MemoryAppendLog<T> implements AppendLog<T> {
  readonly entries: T[] = [];
  async append(entry: T): Promise<void> {
    this.entries.push(entry);
  }
  async latest(limit: number): Promise<T[]> {
    return this.entries.slice(-limit).reverse();
  }
}

export class JsonlAppendLog<T> implements AppendLog<T> {
  private chain: Promise<void> = Promise.resolve();
  constructor(private readonly path: string) {}

  append(entry: T): Promise<void> {
    const line = `${JSON.stringify(entry)}\n`;
    const write = this.chain.then(async () => {
      await mkdir(dirname(this.path), { recursive: true });
      await appendFile(this.path, line, { encoding: 'utf8', mode: 0o600 });
    });
    this.chain = write.catch(() => undefined);
    return write;
  }

  async latest(limit: number): Promise<T[]> {
    await this.chain;
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    return text
      .split('\n')
      .filter((l) => l.trim() !== '')
      .slice(-limit)
      .map((l) => JSON.parse(l) as T)
      .reverse();
  }
}

export class RedisAppendLog<T> implements AppendLog<T> {
  constructor(
    private readonly redis: Redis,
    private readonly key: string,
  ) {}

  async append(entry: T): Promise<void> {
    await this.redis.rpush(this.key, JSON.stringify(entry));
  }

  async latest(limit: number): Promise<T[]> {
    const items = await this.redis.lrange(this.key, -limit, -1);
    return items.map((i) => JSON.parse(i) as T).reverse();
  }
}
