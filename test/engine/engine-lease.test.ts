import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { createLogger } from '../../src/log.ts';
import { ENGINE_LEASE_MS, EngineLease } from '../../src/redis/engine-lease.ts';
import { testRedisUrl } from '../support/redis.ts';

const logger = createLogger({ level: 'silent' });
const conns: Redis[] = [];
const leases: EngineLease[] = [];
afterEach(async () => {
  for (const l of leases.splice(0)) await l.release();
  for (const c of conns.splice(0)) c.disconnect();
});

function lease(center: string, clock: ManualClock, onLost: () => void = () => undefined): EngineLease {
  const redis = new Redis(testRedisUrl());
  conns.push(redis);
  const l = new EngineLease({ redis, centerId: center, engineId: 'e1', clock, logger, onLost });
  leases.push(l);
  return l;
}

const center = () => `lease-${process.pid}-${Math.random().toString(36).slice(2)}`;

describe('the engine lease', () => {
  it('lets one process at a time hold an engine identity, and the next take it once released', async () => {
    const clock = new ManualClock(Date.now());
    const c = center();
    const first = lease(c, clock);
    const second = lease(c, clock);
    expect(await first.acquire()).toBe(true);
    expect(await second.acquire()).toBe(false);
    expect(await first.holder()).toBe(first.token);
    await first.release();
    expect(await second.acquire()).toBe(true);
  });

  it('lapses when its holder stops renewing it (a dead process), so another can take over', async () => {
    const clock = new ManualClock(Date.now());
    const c = center();
    const dead = lease(c, clock);
    expect(await dead.acquire()).toBe(true);
    // The process dies: nothing renews; Redis expires the key on its own (real time).
    await dead.release();
    const redis = new Redis(testRedisUrl());
    conns.push(redis);
    await redis.set(`hotline:{${c}}:engine-lease:e1`, 'a-dead-token', 'PX', 200);
    const taker = lease(c, clock);
    expect(await taker.acquire()).toBe(false);
    await expect.poll(() => taker.acquire(), { timeout: ENGINE_LEASE_MS, interval: 50 }).toBe(true);
  });

  it('tells its holder when another process holds it now, once', async () => {
    const clock = new ManualClock(Date.now());
    const c = center();
    let lost = 0;
    const holder = lease(c, clock, () => lost++);
    expect(await holder.acquire()).toBe(true);
    const redis = new Redis(testRedisUrl());
    conns.push(redis);
    await redis.set(`hotline:{${c}}:engine-lease:e1`, 'someone-else', 'PX', ENGINE_LEASE_MS);
    clock.advance(1_000);
    await expect.poll(() => lost, { timeout: 2_000, interval: 20 }).toBe(1);
    expect(holder.holding).toBe(false);
    clock.advance(5_000);
    expect(lost).toBe(1);
  });

  it('carries the owner’s request to have its identity back, and the apps it registers', async () => {
    const clock = new ManualClock(Date.now());
    const c = center();
    const owner = lease(c, clock);
    const taker = lease(c, clock);
    await owner.publishApps(['hotline-1', 'hotline-2']);
    expect(await taker.apps()).toEqual(['hotline-1', 'hotline-2']);
    expect(await taker.acquire()).toBe(true);
    expect(await taker.wanted()).toBe(false);
    await owner.want();
    expect(await taker.wanted()).toBe(true);
  });
});
