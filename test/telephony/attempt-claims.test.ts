import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { RedisAttemptClaims } from '../../src/redis/attempt-claims.ts';
import { type AttemptClaims, CLAIM_TTL_MS, MemoryAttemptClaims } from '../../src/telephony/attempt-claims.ts';
import { testRedisUrl } from '../support/redis.ts';

// One contract for the claims of one process and the claims the engines share in Redis: the same
// carrier call (SIP Call-ID) on two nodes, channel a-1 on node a and b-1 on node b.

const conns: Redis[] = [];
afterAll(() => {
  for (const c of conns) c.disconnect();
});

const stores: [string, () => AttemptClaims][] = [
  ['in memory', () => new MemoryAttemptClaims()],
  [
    'in Redis',
    () => {
      const redis = new Redis(testRedisUrl());
      conns.push(redis);
      return new RedisAttemptClaims(redis, `claims-${process.pid}-${Math.random().toString(36).slice(2)}`);
    },
  ],
];

describe.each(stores)('the claims on carrier calls, %s', (_, open) => {
  const call = 'a84b4c76e66710@carrier.example';

  it('serves the first channel that claims a call, and again when it asks again', async () => {
    const claims = open();
    expect(await claims.claim(call, 'a-1')).toBe('serve');
    expect(await claims.claim(call, 'a-1')).toBe('serve');
  });

  it('makes a second channel wait while the first has not answered, and refuses it once it has', async () => {
    const claims = open();
    await claims.claim(call, 'a-1');
    expect(await claims.claim(call, 'b-1')).toBe('wait');
    expect(await claims.answered(call, 'a-1')).toBe(true);
    expect(await claims.claim(call, 'b-1')).toBe('refuse');
  });

  it('leaves the call to the next channel when the first ends unanswered (cancelled by the edge)', async () => {
    const claims = open();
    await claims.claim(call, 'a-1');
    expect(await claims.claim(call, 'b-1')).toBe('wait');
    await claims.release(call, 'a-1');
    expect(await claims.claim(call, 'b-1')).toBe('serve');
    expect(await claims.answered(call, 'b-1')).toBe(true);
    // the first channel, late, finds the call answered elsewhere
    expect(await claims.claim(call, 'a-1')).toBe('refuse');
  });

  it('keeps an answered claim when its channel ends: a channel arriving later is still refused', async () => {
    const claims = open();
    await claims.claim(call, 'b-1');
    await claims.answered(call, 'b-1');
    await claims.release(call, 'b-1');
    expect(await claims.claim(call, 'a-1')).toBe('refuse');
  });

  it('lets a channel that waited too long take over a claim that never answered, but never an answered one', async () => {
    const claims = open();
    await claims.claim(call, 'a-1');
    expect(await claims.claim(call, 'b-1', true)).toBe('serve');
    // the channel taken over learns it when it answers; its release no longer lets the call go
    expect(await claims.answered(call, 'a-1')).toBe(false);
    await claims.release(call, 'a-1');
    expect(await claims.answered(call, 'b-1')).toBe(true);
    expect(await claims.claim(call, 'c-1', true)).toBe('refuse');
  });

  it('does not let a channel without the claim answer for it, nor release it', async () => {
    const claims = open();
    expect(await claims.answered(call, 'a-1')).toBe(false);
    await claims.claim(call, 'a-1');
    await claims.release(call, 'b-1');
    expect(await claims.claim(call, 'b-1')).toBe('wait');
  });

  it('keeps the claims of different calls apart', async () => {
    const claims = open();
    await claims.claim(call, 'a-1');
    await claims.answered(call, 'a-1');
    expect(await claims.claim(`${call}-other`, 'b-2')).toBe('serve');
  });
});

describe('the claims of one process', () => {
  it('forgets a claim after CLAIM_TTL_MS', async () => {
    let now = 1_000;
    const claims = new MemoryAttemptClaims(() => now);
    await claims.claim('c1', 'a-1');
    await claims.answered('c1', 'a-1');
    now += CLAIM_TTL_MS - 1;
    expect(claims.size).toBe(1);
    expect(await claims.claim('c1', 'b-1')).toBe('refuse');
    now += CLAIM_TTL_MS;
    expect(claims.size).toBe(0);
    expect(await claims.claim('c1', 'b-1')).toBe('serve');
  });
});

describe('the claims in Redis', () => {
  it('keeps a claim with an expiry, under a key that holds no part of the Call-ID', async () => {
    const redis = new Redis(testRedisUrl());
    conns.push(redis);
    const claims = new RedisAttemptClaims(redis, `claims-ttl-${process.pid}`);
    const callId = `13800138000-${Date.now()}@carrier`;
    await claims.claim(callId, 'a-1');
    const key = claims.keyOf(callId);
    expect(key).not.toContain('13800138000');
    const ttl = await redis.pttl(key);
    expect(ttl).toBeGreaterThan(CLAIM_TTL_MS - 60_000);
    expect(ttl).toBeLessThanOrEqual(CLAIM_TTL_MS);
    await redis.del(key);
  });
});
