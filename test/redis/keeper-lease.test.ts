import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { createLogger } from '../../src/log.ts';
import { KEEPER_LEASE_MS, KEEPER_RENEW_MS, KeeperLease } from '../../src/redis/keeper-lease.ts';
import { testRedisUrl } from '../support/redis.ts';

const silent = createLogger({ level: 'silent' });
const conns: Redis[] = [];
const leases: KeeperLease[] = [];
afterEach(async () => {
  for (const l of leases.splice(0)) await l.stop();
  for (const c of conns.splice(0)) c.disconnect();
});

/** Two engines' leases on one center of their own, each with one post per node. */
function engines(nodes: string[]) {
  const redis = new Redis(testRedisUrl());
  conns.push(redis);
  const centerId = `keeper-${process.pid}-${Math.random().toString(36).slice(2)}`;
  const clock = new ManualClock(Date.now());
  const make = (name: string) => {
    const able = new Map(nodes.map((n) => [n, true]));
    const changes: string[] = [];
    const lease = new KeeperLease({
      redis,
      centerId,
      duty: 'safety-net',
      posts: nodes.map((n) => ({
        name: n,
        able: () => able.get(n)!,
        onChange: (keeper) => changes.push(`${n}:${keeper ? 'keeper' : 'standby'}`),
      })),
      clock,
      logger: silent,
    });
    leases.push(lease);
    return { name, lease, able, changes };
  };
  return { redis, clock, a: make('a'), b: make('b') };
}

describe('one keeper per post among the engines', () => {
  it('gives each post to exactly one engine and keeps it there while it renews', async () => {
    const { a, b, clock } = engines(['n1', 'n2']);
    await a.lease.renewNow();
    await b.lease.renewNow();
    expect(['n1', 'n2'].map((n) => [a.lease.keeps(n), b.lease.keeps(n)])).toEqual([
      [true, false],
      [true, false],
    ]);
    // Renewed every second, well past the lease's life: still a's.
    for (let t = 0; t < (2 * KEEPER_LEASE_MS) / KEEPER_RENEW_MS; t++) {
      clock.advance(KEEPER_RENEW_MS);
      await a.lease.renewNow();
      await b.lease.renewNow();
    }
    expect(a.lease.keeps('n1') && !b.lease.keeps('n1')).toBe(true);
    expect(a.changes).toEqual(['n1:keeper', 'n2:keeper']);
    expect(b.changes).toEqual([]);
  });

  it('hands a post over when its keeper can no longer do the work, and back once the other cannot', async () => {
    const { a, b } = engines(['n1']);
    await a.lease.renewNow();
    await b.lease.renewNow();
    a.able.set('n1', false); // a's AMI to n1 dropped
    await a.lease.renewNow();
    expect(a.lease.keeps('n1')).toBe(false);
    await b.lease.renewNow();
    expect(b.lease.keeps('n1')).toBe(true);
    a.able.set('n1', true);
    await a.lease.renewNow();
    expect(a.lease.keeps('n1')).toBe(false); // b keeps it while b can
    b.able.set('n1', false);
    await b.lease.renewNow();
    await a.lease.renewNow();
    expect([a.lease.keeps('n1'), b.lease.keeps('n1')]).toEqual([true, false]);
    expect(a.changes).toEqual(['n1:keeper', 'n1:standby', 'n1:keeper']);
    expect(b.changes).toEqual(['n1:keeper', 'n1:standby']);
  });

  it('lets another engine take the post once a dead keeper’s lease has lapsed', async () => {
    const { a, b, redis } = engines(['n1']);
    await a.lease.renewNow();
    // a dies without releasing: b stands by until the key expires in Redis.
    await b.lease.renewNow();
    expect(b.lease.keeps('n1')).toBe(false);
    await redis.pexpire(a.lease.key('n1'), 1);
    for (let i = 0; i < 1000 && (await redis.exists(a.lease.key('n1'))) === 1; i++)
      await new Promise((r) => setImmediate(r));
    await b.lease.renewNow();
    expect(b.lease.keeps('n1')).toBe(true);
  });

  it('gives its posts up when stopped, so the other engine takes them at once', async () => {
    const { a, b } = engines(['n1']);
    await a.lease.renewNow();
    await a.lease.stop();
    expect(a.changes).toEqual(['n1:keeper', 'n1:standby']);
    await b.lease.renewNow();
    expect(b.lease.keeps('n1')).toBe(true);
  });
});
