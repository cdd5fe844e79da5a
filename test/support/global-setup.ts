/**
 * Vitest global setup: the Redis and the PostgreSQL of the test run (PostgreSQL: see
 * postgres.ts; a private server unless PG_ADMIN_URL is given). The Redis: With REDIS_URL unset (`npm test` on a
 * developer's machine) it starts a private `redis-server` on a free port, in a temporary
 * directory, without persistence, and hands its address to the test workers in REDIS_URL; it
 * stops it and removes the directory when the run ends. A REDIS_URL given from outside (a CI
 * job's own throwaway server) is used as it is, unless it names port 6379, where a developer's
 * own Redis listens: tests never touch it.
 */

import { POSTGRES_INSTALL_HINT, postgresBin, startPrivatePostgres } from './postgres.ts';
import {
  DEVELOPER_REDIS_PORT,
  INSTALL_HINT,
  portOf,
  redisServerInstalled,
  startPrivateRedis,
} from './redis.ts';

/** Ends the run at once with one line saying why (vitest would add a misleading "no test files"). */
function refuse(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

export default async function setup(): Promise<() => Promise<void>> {
  const stops: (() => Promise<void>)[] = [];
  const given = process.env.REDIS_URL;
  if (given) {
    if (portOf(given) === DEVELOPER_REDIS_PORT)
      refuse(
        `REDIS_URL names port ${DEVELOPER_REDIS_PORT}, a developer's own Redis, which tests never touch: unset it and npm test starts a private redis-server`,
      );
  } else {
    if (!redisServerInstalled()) refuse(INSTALL_HINT);
    const redis = await startPrivateRedis();
    process.env.REDIS_URL = redis.url;
    stops.push(async () => {
      delete process.env.REDIS_URL;
      await redis.stop();
    });
  }
  if (!process.env.PG_ADMIN_URL) {
    const bin = postgresBin();
    if (!bin) refuse(POSTGRES_INSTALL_HINT);
    const pg = await startPrivatePostgres(bin);
    process.env.PG_ADMIN_URL = pg.url;
    stops.push(async () => {
      delete process.env.PG_ADMIN_URL;
      await pg.stop();
    });
  }
  return async () => {
    for (const stop of stops.reverse()) await stop();
  };
}
