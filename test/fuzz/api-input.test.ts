import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AdminRig, startAdminRig } from '../admin/admin-rig.ts';

let a: AdminRig;
beforeAll(async () => {
  a = await startAdminRig();
});
afterAll(async () => {
  await a.close();
});

/** Routes that take a body, with the role allowed to call them. */
const routes: { method: 'POST' | 'DELETE'; url: string; who: 'admin' | 'supervisor' | 'a1001' }[] = [
  { method: 'POST', url: '/agents/a1001/login', who: 'a1001' },
  { method: 'POST', url: '/agents/a1001/not-ready', who: 'a1001' },
  { method: 'POST', url: '/agents/a1001/ready', who: 'a1001' },
  { method: 'POST', url: '/calls/1795500000.1/transfers', who: 'a1001' },
  { method: 'POST', url: '/calls/1795500000.1/tickets', who: 'a1001' },
  { method: 'POST', url: '/rules/validate', who: 'admin' },
  { method: 'POST', url: '/rules/explain', who: 'admin' },
  { method: 'POST', url: '/rules/publish', who: 'admin' },
];

const json = fc.jsonValue({ maxDepth: 3 });
const shaped = fc.oneof(
  json,
  fc.record({ endpoint: json, reason: json, target: json, mode: json }, { requiredKeys: [] }),
  fc.record({
    files: fc.dictionary(fc.string({ maxLength: 12 }), fc.oneof(fc.string({ maxLength: 60 }), json), {
      maxKeys: 3,
    }),
  }),
  fc.record({ number: json, at: json, digits: json, caller: json }, { requiredKeys: [] }),
);

describe('the HTTP API under generated input', () => {
  it('never answers 5xx to generated bodies, and names the field of every invalid request', async () => {
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routes), shaped, async (route, body) => {
        const res = await a.as(route.who, { method: route.method, url: route.url, payload: body as object });
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
        expect(res.statusCode, `${route.method} ${route.url} ${res.body}`).toBeLessThan(500);
        if (res.statusCode === 400 && res.json().error === 'invalid-request')
          expect(res.json().field).toMatch(/^(body|params|query)/);
      }),
      { numRuns: 1500, seed: 12345 },
    );
    // The inputs reached the handlers: most are refused as invalid, some accepted.
    expect(statuses.get(400) ?? 0).toBeGreaterThan(500);
    expect(statuses.get(401) ?? 0).toBe(0);
  }, 120_000);

  it('never answers 5xx to odd paths, ids and methods', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'POST', 'DELETE', 'PUT'),
        fc.constantFrom('/agents/', '/calls/', '/rules/versions/', '/agents/a1001/', '/calls/x/transfers/'),
        fc.string({ maxLength: 40 }),
        async (method, prefix, tail) => {
          const res = await a.as('supervisor', { method, url: prefix + encodeURIComponent(tail) });
          expect(res.statusCode, `${method} ${prefix}${tail}`).toBeLessThan(500);
        },
      ),
      { numRuns: 1000, seed: 54321 },
    );
  }, 120_000);

  it('rejects oversized bodies: past the route limit with 413, an oversized rules file naming it', async () => {
    const agentBody = await a.as('a1001', {
      method: 'POST',
      url: '/agents/a1001/not-ready',
      payload: { reason: 'x'.repeat(100 * 1024) },
    });
    expect(agentBody.statusCode).toBe(413);
    const draft = await a.as('admin', {
      method: 'POST',
      url: '/rules/validate',
      payload: { files: { 'lines.yaml': 'x'.repeat(9 * 1024 * 1024) } },
    });
    expect(draft.statusCode).toBe(413);
    const bigFile = await a.as('admin', {
      method: 'POST',
      url: '/rules/validate',
      payload: { files: { 'lines.yaml': 'x'.repeat(2 * 1024 * 1024) } },
    });
    expect(bigFile.statusCode).toBe(413);
    expect(bigFile.json()).toMatchObject({ limit: 'file-size', field: 'body.files.lines.yaml' });
  });
});
