import type { InjectOptions } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { FailureLimiter } from '../../src/admin/failure-limiter.ts';
import { ManualClock } from '../../src/clock.ts';
import { readConfig } from '../../src/config.ts';
import { type AdminRig, startAdminRig } from './admin-rig.ts';

let a: AdminRig | undefined;
afterEach(async () => {
  await a?.close();
  a = undefined;
});

const badToken = { authorization: 'Bearer hl.ops-admin.not-the-right-secret-at-all-xxxxxxxx' };

/** A request with a bad token from `remoteAddress` (and what a proxy may have added). */
const guess = (remoteAddress: string, headers: Record<string, string> = {}): InjectOptions => ({
  method: 'GET',
  url: '/stats',
  headers: { ...badToken, ...headers },
  remoteAddress,
});

describe('authentication failures', () => {
  it('past ten a minute from an address, answer its bad tokens 429 and still serve its good ones', async () => {
    a = await startAdminRig({ authFailures: 10 });
    for (let i = 0; i < 10; i++) expect((await a.as(undefined, guess('10.0.0.7'))).statusCode).toBe(401);
    const blocked = await a.as(undefined, guess('10.0.0.7'));
    expect(blocked.statusCode).toBe(429);
    expect(blocked.json()).toMatchObject({ error: 'too-many-requests' });
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(blocked.headers['retry-after'])).toBeLessThanOrEqual(60);
    // A good token from that very address is served: the limit throttles failures, never users.
    for (const who of ['supervisor', 'admin'] as const) {
      const good = await a.as(who, { method: 'GET', url: '/stats', remoteAddress: '10.0.0.7' });
      expect(good.statusCode).toBe(200);
    }
    const agent = await a.as('a1001', { method: 'GET', url: '/agents/a1001', remoteAddress: '10.0.0.7' });
    expect(agent.statusCode).toBe(200);
    // …and it did not lift the block on bad tokens.
    expect((await a.as(undefined, guess('10.0.0.7'))).statusCode).toBe(429);
    // Other addresses and the public routes are not affected.
    expect((await a.as(undefined, guess('10.0.0.8'))).statusCode).toBe(401);
    expect(
      (await a.as(undefined, { method: 'GET', url: '/health', remoteAddress: '10.0.0.7' })).statusCode,
    ).toBe(200);
  });

  it('count an unknown token id as a failure, as a wrong secret is (the answer tells no ids apart)', async () => {
    a = await startAdminRig({ authFailures: 4 });
    const unknownId = { authorization: 'Bearer hl.no-such-id.not-the-right-secret-at-all-xxxxxxxx' };
    const answers = [];
    for (const headers of [badToken, unknownId, badToken, unknownId]) {
      const r = await a.as(undefined, { method: 'GET', url: '/stats', headers, remoteAddress: '10.0.4.4' });
      answers.push({ status: r.statusCode, body: r.json() });
    }
    expect(new Set(answers.map((x) => JSON.stringify(x))).size).toBe(1);
    expect(answers[0]).toEqual({
      status: 401,
      body: { error: 'unauthorized', message: 'the token is not valid' },
    });
    for (const headers of [badToken, unknownId]) {
      const r = await a.as(undefined, { method: 'GET', url: '/stats', headers, remoteAddress: '10.0.4.4' });
      expect(r.statusCode).toBe(429);
    }
  });

  it('never count /favicon.ico (public, a real icon) nor requests that carry no token', async () => {
    a = await startAdminRig({ authFailures: 3 });
    for (let i = 0; i < 10; i++) {
      const icon = await a.as(undefined, { method: 'GET', url: '/favicon.ico', remoteAddress: '10.0.1.1' });
      expect(icon.statusCode).toBe(200);
      expect(icon.headers['content-type']).toBe('image/x-icon');
      expect(icon.rawPayload.subarray(0, 4)).toEqual(Buffer.from([0, 0, 1, 0])); // an ICO header
      // A page opened without its token: 401, saying a token is required, and not a failure.
      const bare = await a.as(undefined, { method: 'GET', url: '/stats', remoteAddress: '10.0.1.1' });
      expect(bare.statusCode).toBe(401);
      expect(bare.json()).toMatchObject({ message: 'a bearer token is required' });
      const empty = await a.as(undefined, {
        method: 'GET',
        url: '/stats',
        headers: { authorization: 'Bearer ' },
        remoteAddress: '10.0.1.1',
      });
      expect(empty.statusCode).toBe(401);
    }
    // None of those counted: the address still has its three failures before a 429.
    for (let i = 0; i < 3; i++) expect((await a.as(undefined, guess('10.0.1.1'))).statusCode).toBe(401);
    expect((await a.as(undefined, guess('10.0.1.1'))).statusCode).toBe(429);
    // Even then the icon is served.
    expect(
      (await a.as(undefined, { method: 'GET', url: '/favicon.ico', remoteAddress: '10.0.1.1' })).statusCode,
    ).toBe(200);
  });

  it('count the forwarded client address only behind a trusted proxy', async () => {
    a = await startAdminRig({ authFailures: 3, trustProxy: ['10.9.0.1', '10.8.0.0/16'] });
    const viaProxy = (client: string) => guess('10.9.0.1', { 'x-forwarded-for': client });
    for (let i = 0; i < 3; i++) expect((await a.as(undefined, viaProxy('203.0.113.5'))).statusCode).toBe(401);
    expect((await a.as(undefined, viaProxy('203.0.113.5'))).statusCode).toBe(429);
    // The other clients behind the same proxy are not the guesser.
    expect((await a.as(undefined, viaProxy('203.0.113.6'))).statusCode).toBe(401);
    // A proxy given as a CIDR is trusted as well: the client is the one it names.
    expect((await a.as(undefined, guess('10.8.3.4', { 'x-forwarded-for': '203.0.113.5' }))).statusCode).toBe(
      429,
    );
    // From an untrusted hop X-Forwarded-For is anyone's writing: the socket's address counts.
    for (let i = 0; i < 3; i++) {
      const spoofed = guess('10.0.2.2', { 'x-forwarded-for': `198.51.100.${i}` });
      expect((await a.as(undefined, spoofed)).statusCode).toBe(401);
    }
    expect(
      (await a.as(undefined, guess('10.0.2.2', { 'x-forwarded-for': '198.51.100.77' }))).statusCode,
    ).toBe(429);
    // Pretending to be the blocked client from an untrusted hop does not block anyone else either.
    expect((await a.as(undefined, guess('10.0.2.3', { 'x-forwarded-for': '203.0.113.5' }))).statusCode).toBe(
      401,
    );
    // The access ledger writes the client's address too.
    const calls = await a.as('supervisor', {
      method: 'GET',
      url: '/calls',
      headers: { 'x-forwarded-for': '203.0.113.9' },
      remoteAddress: '10.9.0.1',
    });
    expect(calls.statusCode).toBe(200);
    expect((await a.ledger.latest(1))[0]).toMatchObject({ route: '/calls', address: '203.0.113.9' });
  });

  it('ignore X-Forwarded-For when no proxy is trusted', async () => {
    a = await startAdminRig({ authFailures: 3 });
    for (let i = 0; i < 3; i++) {
      const r = await a.as(undefined, guess('10.0.3.3', { 'x-forwarded-for': `198.51.100.${i}` }));
      expect(r.statusCode).toBe(401);
    }
    expect(
      (await a.as(undefined, guess('10.0.3.3', { 'x-forwarded-for': '198.51.100.99' }))).statusCode,
    ).toBe(429);
  });
});

describe('the API caps from the environment', () => {
  it('are read when set, left to the defaults otherwise, and refused with the variable named when absurd', () => {
    const config = readConfig({
      HTTP_MAX_CONNECTIONS_PER_ADDRESS: '2048',
      HTTP_EVENT_STREAMS_PER_ADDRESS: '600',
    });
    expect(config.HTTP_MAX_CONNECTIONS_PER_ADDRESS).toBe(2048);
    expect(config.HTTP_EVENT_STREAMS_PER_ADDRESS).toBe(600);
    expect(config.HTTP_MAX_CONNECTIONS).toBeUndefined();
    expect(() => readConfig({ HTTP_MAX_CONNECTIONS_PER_ADDRESS: '0' })).toThrow(
      /HTTP_MAX_CONNECTIONS_PER_ADDRESS/,
    );
  });
});

describe('HTTP_TRUSTED_PROXIES', () => {
  it('reads addresses, CIDRs and proxy-addr names, and refuses anything else with the variable named', () => {
    expect(readConfig({}).HTTP_TRUSTED_PROXIES).toEqual([]);
    expect(
      readConfig({ HTTP_TRUSTED_PROXIES: ' 127.0.0.1, 10.0.0.0/8,fd00::/8 ,::1,loopback' })
        .HTTP_TRUSTED_PROXIES,
    ).toEqual(['127.0.0.1', '10.0.0.0/8', 'fd00::/8', '::1', 'loopback']);
    for (const bad of ['proxy.example', '10.0.0.0/33', '10.0.0.1/8/8', '::1/129', '10.0.0.0/x']) {
      expect(() => readConfig({ HTTP_TRUSTED_PROXIES: bad }), bad).toThrow(/HTTP_TRUSTED_PROXIES/);
    }
  });
});

describe('the failure limiter', () => {
  it('blocks an address while its last failures are within the window, and lets it go after', () => {
    const clock = new ManualClock();
    const limiter = new FailureLimiter({ max: 3, windowMs: 60_000, now: () => clock.now() });
    limiter.fail('10.0.0.9');
    clock.advance(10_000);
    limiter.fail('10.0.0.9');
    limiter.fail('10.0.0.9');
    expect(limiter.blockedFor('10.0.0.9')).toBe(50); // until the first failure is a minute old
    expect(limiter.blockedFor('10.0.0.10')).toBe(0);
    clock.advance(49_999);
    expect(limiter.blockedFor('10.0.0.9')).toBe(1);
    clock.advance(1);
    expect(limiter.blockedFor('10.0.0.9')).toBe(0); // the window slid past the first one
    limiter.fail('10.0.0.9'); // three within the minute again: blocked until the oldest leaves
    expect(limiter.blockedFor('10.0.0.9')).toBe(10);
    // Failures while blocked count as well (guessing stays throttled): the last three are now.
    limiter.fail('10.0.0.9');
    limiter.fail('10.0.0.9');
    expect(limiter.blockedFor('10.0.0.9')).toBe(60);
    clock.advance(60_000);
    expect(limiter.blockedFor('10.0.0.9')).toBe(0);
  });
});
