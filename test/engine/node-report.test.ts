import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { readNodeReports } from '../../src/edge/redis-report.ts';
import { createLogger } from '../../src/log.ts';
import { NodeReporter, nodesKey } from '../../src/redis/node-report.ts';
import { testRedisUrl } from '../support/redis.ts';

const conns: Redis[] = [];
afterEach(() => {
  for (const c of conns.splice(0)) c.disconnect();
});

describe("an engine's node reports", () => {
  it('say which nodes it reaches and its calls on each, in the form the edge reads', async () => {
    const redis = new Redis(testRedisUrl());
    conns.push(redis);
    const clock = new ManualClock(Date.now());
    const centerId = `nodes-${process.pid}-${Math.random().toString(36).slice(2)}`;
    const reporter = new NodeReporter({
      redis,
      centerId,
      engineId: 'e1',
      nodes: () => [
        { name: 'a', connected: true },
        { name: 'b', connected: false },
      ],
      calls: () => new Map([['a', 3]]),
      clock,
      logger: createLogger({ level: 'silent' }),
    });
    await reporter.write();
    const hash = await redis.hgetall(nodesKey(centerId));
    expect(Object.keys(hash).sort()).toEqual(['a|e1', 'b|e1']);
    const seen = readNodeReports(hash, clock.now());
    expect(seen.get('a')).toEqual({ ari: true, calls: 3, engines: 1 });
    expect(seen.get('b')).toEqual({ ari: false, calls: 0, engines: 1 });
  });

  it("prune a dead engine's reports after a minute", async () => {
    const redis = new Redis(testRedisUrl());
    conns.push(redis);
    const clock = new ManualClock(Date.now());
    const centerId = `nodes-${process.pid}-${Math.random().toString(36).slice(2)}`;
    const key = nodesKey(centerId);
    const old = { node: 'a', engine: 'gone', ari: true, calls: 9, at: clock.now() - 61_000 };
    const recent = { node: 'a', engine: 'e2', ari: true, calls: 1, at: clock.now() - 2_000 };
    await redis.hset(key, 'a|gone', JSON.stringify(old), 'a|e2', JSON.stringify(recent));
    const reporter = new NodeReporter({
      redis,
      centerId,
      engineId: 'e1',
      nodes: () => [{ name: 'a', connected: true }],
      calls: () => new Map(),
      clock,
      logger: createLogger({ level: 'silent' }),
    });
    await reporter.write();
    expect(Object.keys(await redis.hgetall(key)).sort()).toEqual(['a|e1', 'a|e2']);
  });
});
