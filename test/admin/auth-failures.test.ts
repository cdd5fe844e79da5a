import { afterEach, describe, expect, it } from 'vitest';
import { type AdminRig, startAdminRig } from './admin-rig.ts';

let a: AdminRig | undefined;
afterEach(async () => {
  await a?.close();
  a = undefined;
});

const badToken = { authorization: 'Bearer hl.ops-admin.not-the-right-secret-at-all-xxxxxxxx' };

describe('authentication failures', () => {
  it('are limited to ten a minute per client address, then answered 429', async () => {
    a = await startAdminRig({ authFailures: 10 });
    for (let i = 0; i < 10; i++) {
      const r = await a.as(undefined, {
        method: 'GET',
        url: '/stats',
        headers: badToken,
        remoteAddress: '10.0.0.7',
      });
      expect(r.statusCode).toBe(401);
    }
    const blocked = await a.as(undefined, {
      method: 'GET',
      url: '/stats',
      headers: badToken,
      remoteAddress: '10.0.0.7',
    });
    expect(blocked.statusCode).toBe(429);
    expect(blocked.json()).toMatchObject({ error: 'too-many-requests' });
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    // Even a good token is refused from that address until the window passes: guesses learn nothing.
    const good = await a.as('supervisor', { method: 'GET', url: '/stats', remoteAddress: '10.0.0.7' });
    expect(good.statusCode).toBe(429);
    // Other addresses and the public routes are not affected.
    expect(
      (await a.as('supervisor', { method: 'GET', url: '/stats', remoteAddress: '10.0.0.8' })).statusCode,
    ).toBe(200);
    expect(
      (await a.as(undefined, { method: 'GET', url: '/health', remoteAddress: '10.0.0.7' })).statusCode,
    ).toBe(200);
  });

  it('stop counting once the minute has passed', async () => {
    a = await startAdminRig({ authFailures: 3, speed: 1000 });
    for (let i = 0; i < 3; i++)
      await a.as(undefined, { method: 'GET', url: '/stats', remoteAddress: '10.0.0.9' });
    expect(
      (await a.as('supervisor', { method: 'GET', url: '/stats', remoteAddress: '10.0.0.9' })).statusCode,
    ).toBe(429);
    await new Promise((r) => setTimeout(r, 120)); // 120 ms at 1000× is two virtual minutes
    expect(
      (await a.as('supervisor', { method: 'GET', url: '/stats', remoteAddress: '10.0.0.9' })).statusCode,
    ).toBe(200);
  });
});
