import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';

/** A Lua script of the records sinks: `lua/<name>-<numKeys>.lua`, header documents KEYS and ARGV. */
export interface Script {
  name: string;
  keys: number;
  lua: string;
  sha: string;
}

function load(name: string, keys: number): Script {
  const lua = readFileSync(new URL(`./lua/${name}-${keys}.lua`, import.meta.url), 'utf8');
  return { name, keys, lua, sha: createHash('sha1').update(lua).digest('hex') };
}

export const scripts = {
  add: load('add', 2),
  claim: load('claim', 2),
  retry: load('retry', 2),
  bury: load('bury', 3),
  replay: load('replay', 3),
  streamAdd: load('stream-add', 2),
};

/** Runs a script by its hash, loading it on the first NOSCRIPT (one round trip once cached). */
export async function runScript(
  redis: Redis,
  script: Script,
  keys: string[],
  args: (string | number)[],
): Promise<unknown> {
  if (keys.length !== script.keys) throw new RangeError(`${script.name} takes ${script.keys} keys`);
  try {
    return await redis.evalsha(script.sha, script.keys, ...keys, ...args);
  } catch (err) {
    if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
    return redis.eval(script.lua, script.keys, ...keys, ...args);
  }
}
