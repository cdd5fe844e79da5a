import type { Redis } from 'ioredis';
import {
  type NewVersion,
  type RulesVersion,
  VersionConflictError,
  type VersionStore,
} from './rules-versions.ts';

/**
 * KEYS[1] the version counter, KEYS[2] the hash of versions (field = number, value = JSON)
 * ARGV[1] expected latest version, ARGV[2] the version JSON without its number, ARGV[3] channel
 * Returns the new version number, or -(actual latest) - 1 when the expectation failed.
 */
const APPEND_2 = `
local latest = tonumber(redis.call('GET', KEYS[1]) or '0')
if latest ~= tonumber(ARGV[1]) then return -latest - 1 end
local n = latest + 1
local v = cjson.decode(ARGV[2])
v['version'] = n
redis.call('HSET', KEYS[2], tostring(n), cjson.encode(v))
redis.call('SET', KEYS[1], n)
redis.call('PUBLISH', ARGV[3], tostring(n))
return n`;

/**
 * Versions in Redis, shared by every engine process of a center: `<prefix>:<center>:rules:latest`
 * and the hash `…:rules:versions`; each publish also goes out on the channel `…:rules:published`
 * so the other engines reload at once.
 */
export class RedisVersionStore implements VersionStore {
  private readonly keys: { latest: string; versions: string; channel: string };

  constructor(
    private readonly redis: Redis,
    centerId: string,
    keyPrefix = 'hotline',
  ) {
    const base = `${keyPrefix}:${centerId}:rules`;
    this.keys = { latest: `${base}:latest`, versions: `${base}:versions`, channel: `${base}:published` };
  }

  async latestNumber(): Promise<number> {
    return Number((await this.redis.get(this.keys.latest)) ?? 0);
  }

  async get(version: number): Promise<RulesVersion | undefined> {
    const json = await this.redis.hget(this.keys.versions, String(version));
    return json ? (JSON.parse(json) as RulesVersion) : undefined;
  }

  async list(): Promise<RulesVersion[]> {
    const all = await this.redis.hvals(this.keys.versions);
    return all.map((j) => JSON.parse(j) as RulesVersion).sort((a, b) => a.version - b.version);
  }

  async append(expectedLatest: number, v: NewVersion): Promise<RulesVersion> {
    const n = Number(
      await this.redis.eval(
        APPEND_2,
        2,
        this.keys.latest,
        this.keys.versions,
        String(expectedLatest),
        JSON.stringify(v),
        this.keys.channel,
      ),
    );
    if (n < 0) throw new VersionConflictError(expectedLatest, -n - 1);
    return { version: n, ...v };
  }

  async watch(listener: (version: number) => void): Promise<() => Promise<void>> {
    const sub = this.redis.duplicate();
    await sub.subscribe(this.keys.channel);
    sub.on('message', (channel: string, message: string) => {
      if (channel === this.keys.channel) listener(Number(message));
    });
    return async () => {
      await sub.quit().catch(() => sub.disconnect());
    };
  }

  async close(): Promise<void> {}
}
