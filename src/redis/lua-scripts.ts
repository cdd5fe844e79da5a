import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';

/**
 * The one loader of the Lua scripts the Redis adapters run (the ACD store's and the records
 * sinks'). A script is the file `<folder>/<name>-<numKeys>.lua` (its header documents KEYS and
 * ARGV); a line `--- @include "part"` is replaced by `<folder>/includes/part.lua`. Scripts run by
 * their SHA-1 (EVALSHA), sent whole once when Redis does not know them (NOSCRIPT).
 */
export interface LuaScript {
  name: string;
  /** How many KEYS it takes. */
  keys: number;
  lua: string;
  sha: string;
}

/** Reads and hashes the scripts `<folder>/<name>-<keys>.lua` of a table `{ key: [name, keys] }`. */
export function loadLuaScripts<T extends Record<string, readonly [name: string, keys: number]>>(
  folder: URL,
  table: T,
): { [K in keyof T]: LuaScript } {
  const read = (file: string) => readFileSync(new URL(file, folder), 'utf8');
  const out: Record<string, LuaScript> = {};
  for (const [key, [name, keys]] of Object.entries(table)) {
    const lua = read(`${name}-${keys}.lua`).replace(/^--- @include "([\w-]+)"$/gm, (_, part: string) =>
      read(`includes/${part}.lua`),
    );
    out[key] = { name, keys, lua, sha: createHash('sha1').update(lua).digest('hex') };
  }
  return out as { [K in keyof T]: LuaScript };
}

/** Sends the scripts to Redis ahead of their first use (one round trip). */
export async function preloadLuaScripts(redis: Redis, scripts: Record<string, LuaScript>): Promise<void> {
  const pipeline = redis.pipeline();
  for (const s of Object.values(scripts)) pipeline.script('LOAD', s.lua);
  await pipeline.exec();
}

/** Runs a script by its hash, sending it whole on a NOSCRIPT (one round trip once cached). */
export async function runLuaScript(
  redis: Redis,
  script: LuaScript,
  keys: readonly string[],
  args: readonly (string | number)[],
): Promise<unknown> {
  if (keys.length !== script.keys) throw new RangeError(`${script.name} takes ${script.keys} keys`);
  try {
    return await redis.evalsha(script.sha, script.keys, ...keys, ...args);
  } catch (err) {
    if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
    return redis.eval(script.lua, script.keys, ...keys, ...args);
  }
}
