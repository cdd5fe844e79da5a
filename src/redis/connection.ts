import { Redis, type RedisOptions } from 'ioredis';

/**
 * Where Redis connections are constructed. The engine's own connections are opened by
 * `src/app.ts` (which says why each exists); the ACD store, the records sinks and the
 * `hotline records` command open one here only when run on their own (tests, benchmarks, CLI).
 */
export function openRedis(url: string, options: RedisOptions = {}): Redis {
  return new Redis(url, options);
}

/** Why a Redis could not be reached at start-up (one line, no credentials). */
export class RedisUnreachableError extends Error {}

/** Connects a lazily opened connection and pings it, or gives up after `timeoutMs`. */
export async function reachRedis(redis: Redis, url: string, timeoutMs: number): Promise<void> {
  let last = '';
  const onError = (err: Error) => {
    last = (err as NodeJS.ErrnoException).code ?? err.message;
  };
  redis.on('error', onError);
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      redis.connect().then(() => redis.ping()),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), timeoutMs);
      }),
    ]);
  } catch (err) {
    const reason = last || (err as Error).message;
    throw new RedisUnreachableError(
      `cannot reach Redis at ${redisWhere(url)} (${reason}): start it or fix REDIS_URL`,
    );
  } finally {
    clearTimeout(timer);
    redis.off('error', onError);
  }
}

/** The Redis URL without its credentials. */
export function redisWhere(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || 6379}${u.pathname && u.pathname !== '/' ? u.pathname : ''}`;
  } catch {
    return 'REDIS_URL';
  }
}
