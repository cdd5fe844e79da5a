import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routePolicies } from '../../src/admin/permissions.ts';
import { roles } from '../../src/admin/tokens.ts';
import { readyAgents } from '../support/engine-harness.ts';
import { type AdminRig, startAdminRig } from './admin-rig.ts';

let a: AdminRig;
beforeAll(async () => {
  a = await startAdminRig();
});
afterAll(async () => {
  await a?.close();
});

const tokenOf = { admin: 'admin', supervisor: 'supervisor', agent: 'a1001' } as const;
/** Route parameters that pass the policy for agent a1001 (its own id; a call that is not live). */
const concrete = (url: string) =>
  url
    .replace(':id/events', 'a1001/events')
    .replace(/^\/agents\/:id/, '/agents/a1001')
    .replace(':id', 'no-such-call')
    .replace(':tid', 't1')
    .replace(':n', '1')
    .replace(':file', 'wallboard.html');

const guarded = routePolicies.filter((p) => !p.public);

describe('access control over every route', () => {
  it.each(guarded.map((p) => [`${p.method} ${p.url}`, p] as const))(
    '%s answers 401 without a token or with a bad one',
    async (_name, p) => {
      const url = concrete(p.url);
      const none = await a.as(undefined, { method: p.method, url });
      expect(none.statusCode).toBe(401);
      expect(none.json()).toMatchObject({ error: 'unauthorized' });
      expect(none.headers['www-authenticate']).toMatch(/^Bearer/);
      const bad = await a.as(undefined, {
        method: p.method,
        url,
        headers: { authorization: 'Bearer hl.ops-admin.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' },
      });
      expect(bad.statusCode).toBe(401);
    },
  );

  for (const role of roles) {
    const forbidden = guarded.filter((p) => !p.roles?.includes(role));
    const allowed = guarded.filter((p) => p.roles?.includes(role) && !p.url.endsWith('/events'));
    it.each(forbidden.map((p) => [`${p.method} ${p.url}`, p] as const))(
      `%s answers 403 to the ${role} role`,
      async (_n, p) => {
        const r = await a.as(tokenOf[role], { method: p.method, url: concrete(p.url), payload: {} });
        expect(r.statusCode).toBe(403);
        expect(r.json()).toMatchObject({ error: 'forbidden' });
      },
    );
    it.each(allowed.map((p) => [`${p.method} ${p.url}`, p] as const))(
      `%s lets the ${role} role through`,
      async (_n, p) => {
        const r = await a.as(tokenOf[role], { method: p.method, url: concrete(p.url), payload: {} });
        expect([401, 403]).not.toContain(r.statusCode);
        expect(r.statusCode).not.toBe(500);
      },
    );
  }

  it('serves the public routes without a token', async () => {
    for (const p of routePolicies.filter((x) => x.public)) {
      const r = await a.as(undefined, { method: p.method, url: concrete(p.url) });
      expect([200, 302]).toContain(r.statusCode);
    }
  });

  it('documents every served route in the OpenAPI document', async () => {
    const doc = (await a.as('a1001', { method: 'GET', url: '/docs/openapi.json' })).json();
    const documented = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(
      ([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`),
    );
    expect(documented.sort()).toEqual(routePolicies.map((p) => `${p.method} ${p.url}`).sort());
  });

  it("refuses an agent acting for another agent or on another agent's call", async () => {
    expect((await a.as('a1002', { method: 'POST', url: '/agents/a1001/ready' })).statusCode).toBe(403);
    expect((await a.as('a1002', { method: 'GET', url: '/agents/a1001' })).statusCode).toBe(403);
    expect((await a.as('a1002', { method: 'GET', url: '/agents/a1001/events' })).statusCode).toBe(403);
    await readyAgents(a.rig, [{ id: 'a1001', endpoint: 'PJSIP/agent1001', answerAfterMs: 200 }]);
    const { channelId } = a.rig.sim.injectCall({
      app: 'hotline',
      dialed: '12345',
      callerNumber: '13800138000',
    });
    await a.rig.runUntil('talking', () => a.rig.hotline.engine.call(channelId)?.stage === 'talking');
    const other = await a.as('a1002', {
      method: 'POST',
      url: `/calls/${channelId}/transfers`,
      payload: { target: 'subcenter:tax', mode: 'blind' },
    });
    expect(other.statusCode).toBe(403);
    expect((await a.as('a1002', { method: 'GET', url: `/calls/${channelId}` })).statusCode).toBe(403);
    const own = await a.as('a1001', { method: 'GET', url: `/calls/${channelId}` });
    expect(own.statusCode).toBe(200);
    expect(own.json()).toMatchObject({ id: channelId, caller: '138******00', topic: 'general' });
    a.rig.sim.hangup(channelId);
    await a.rig.runUntil('ended', () => a.rig.hotline.engine.call(channelId) === undefined);
  });
});
