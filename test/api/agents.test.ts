import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryAcdStore } from '../../src/acd/store/memory.ts';
import { MemoryAppendLog } from '../../src/admin/append-log.ts';
import type { AuditEntry } from '../../src/admin/ledgers.ts';
import { agentsApi } from '../../src/api/agents.ts';
import { ManualClock } from '../../src/clock.ts';
import { definition, T0 } from '../acd/helpers.ts';

describe('agent API', () => {
  let clock: ManualClock;
  let store: MemoryAcdStore;
  let app: FastifyInstance;

  beforeEach(async () => {
    clock = new ManualClock(T0);
    store = new MemoryAcdStore({ centerId: 'c1', clock });
    await store.setQueues([
      { id: 'general', kind: 'pool', name: 'General', wrapUpSeconds: 20, maxWaitSeconds: 300 },
      { id: 'expert-12333', kind: 'expert', name: 'HR experts', wrapUpSeconds: 60, maxWaitSeconds: 300 },
    ]);
    app = Fastify({ logger: false });
    await app.register(agentsApi, {
      store,
      clock,
      roster: [
        definition('1001'),
        definition('1002'),
        definition('2001', { pools: [], expertSeats: ['expert-12333'], department: '12333' }),
      ],
    });
    await app.ready();
  });

  afterEach(async () => {
    await app.close();
  });

  const post = (url: string, payload?: object) =>
    app.inject({ method: 'POST', url, ...(payload === undefined ? {} : { payload }) });

  it('logs an agent in on the endpoint given, not-ready (登录) until it says ready', async () => {
    const res = await post('/agents/1001/login', { endpoint: 'PJSIP/agent1001' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      id: '1001',
      state: 'not-ready',
      notReadyReason: '登录',
      endpoint: 'PJSIP/agent1001',
    });
  });

  it('logs an agent in on the default phone of the roster when no endpoint is given', async () => {
    const res = await post('/agents/1001/login', {});
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ state: 'not-ready', endpoint: 'PJSIP/agent1001' });
  });

  it('refuses with 403 endpoint-not-assigned, naming the field, a phone the roster does not assign to the agent', async () => {
    for (const endpoint of [
      'PJSIP/agent1002',
      'PJSIP/+8613912345678@sc-tax',
      'Local/13912345678@from-internal',
      'agent1001',
    ]) {
      const res = await post('/agents/1001/login', { endpoint });
      expect(res.statusCode).toBe(403);
      expect(res.json()).toMatchObject({ error: 'endpoint-not-assigned', field: 'body.endpoint' });
      expect(res.json().message).toContain("agent '1001'");
    }
    expect((await store.getAgent('1001'))?.status.state).toBe('logged-out');
  });

  it('answers 400 naming the field when the endpoint is not a string', async () => {
    for (const payload of [{ endpoint: 42 }, { endpoint: '' }, { endpoint: 'x'.repeat(200) }]) {
      const res = await post('/agents/1001/login', payload);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ error: 'invalid-request', field: 'body.endpoint' });
    }
  });

  it('answers 400 naming the body when there is none', async () => {
    const res = await post('/agents/1001/login');
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: 'invalid-request', field: 'body' });
  });

  it('answers 400 when the JSON body cannot be parsed', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/agents/1001/not-ready',
      headers: { 'content-type': 'application/json' },
      payload: '{"reason":',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: 'invalid-request', field: 'body' });
  });

  it('answers 404 no-such-agent for an agent not in the roster', async () => {
    for (const res of [
      await post('/agents/9999/login', { endpoint: 'PJSIP/x' }),
      await post('/agents/9999/ready'),
      await app.inject({ method: 'GET', url: '/agents/9999' }),
    ]) {
      expect(res.statusCode).toBe(404);
      expect(res.json()).toMatchObject({ error: 'no-such-agent' });
      expect(res.json().message).toContain('9999');
    }
  });

  it('sets an agent not-ready with a reason and ready again', async () => {
    await post('/agents/1001/login', { endpoint: 'PJSIP/agent1001' });
    const nr = await post('/agents/1001/not-ready', { reason: '培训' });
    expect(nr.statusCode).toBe(200);
    expect(nr.json()).toMatchObject({ state: 'not-ready', notReadyReason: '培训' });
    const bad = await post('/agents/1001/not-ready', { reason: '  ' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ field: 'body.reason' });
    const ready = await post('/agents/1001/ready');
    expect(ready.json()).toMatchObject({ state: 'ready' });
  });

  it('answers 409 with the error code for a state change the agent cannot make', async () => {
    const res = await post('/agents/1001/ready');
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ error: 'invalid-transition' });
    await post('/agents/1001/login', { endpoint: 'PJSIP/agent1001' });
    const again = await post('/agents/1001/login', { endpoint: 'PJSIP/agent1001' });
    expect(again.statusCode).toBe(409);
    expect((await post('/agents/1001/wrap-up/end')).statusCode).toBe(409);
  });

  it('lets an agent end wrap-up early, and log out', async () => {
    await post('/agents/1001/login', { endpoint: 'PJSIP/agent1001' });
    await post('/agents/1001/ready');
    await store.enqueue({ callId: 'c1', queueId: 'general', enqueuedAt: T0, engineId: 'e1' });
    await store.reserve('1001', 'c1', 'e1', 5000);
    await store.confirm('c1');
    clock.advance(30_000);
    await store.complete('c1', 30);
    const during = await app.inject({ method: 'GET', url: '/agents/1001' });
    expect(during.json()).toMatchObject({
      state: 'wrap-up',
      callId: 'c1',
      wrapUpEndsAt: new Date(T0 + 50_000).toISOString(),
      today: { callsAnswered: 1, talkSeconds: 30 },
    });
    const end = await post('/agents/1001/wrap-up/end');
    expect(end.statusCode).toBe(200);
    expect(end.json()).toMatchObject({ state: 'ready' });
    const out = await post('/agents/1001/logout');
    expect(out.json()).toMatchObject({ state: 'logged-out' });
  });

  it('lists the roster with each agent’s state', async () => {
    await post('/agents/1002/login', { endpoint: 'PJSIP/agent1002' });
    const res = await app.inject({ method: 'GET', url: '/agents' });
    expect(res.statusCode).toBe(200);
    expect(res.json().agents.map((a: { id: string; state: string }) => [a.id, a.state])).toEqual([
      ['1001', 'logged-out'],
      ['1002', 'not-ready'],
      ['2001', 'logged-out'],
    ]);
  });

  it('shows live queue figures: waiting, longest wait, agents ready and on a call', async () => {
    await post('/agents/1001/login', { endpoint: 'PJSIP/agent1001' });
    await post('/agents/1002/login', { endpoint: 'PJSIP/agent1002' });
    await post('/agents/2001/login', { endpoint: 'PJSIP/agent2001' });
    for (const id of ['1001', '1002', '2001']) await post(`/agents/${id}/ready`);
    await store.enqueue({ callId: 'c1', queueId: 'general', enqueuedAt: T0, engineId: 'e1' });
    await store.enqueue({ callId: 'c2', queueId: 'general', enqueuedAt: T0 + 5000, engineId: 'e1' });
    await store.reserve('1001', 'c1', 'e1', 30_000);
    await store.confirm('c1');
    clock.advance(45_000);
    const res = await app.inject({ method: 'GET', url: '/queues' });
    expect(res.statusCode).toBe(200);
    const byId = Object.fromEntries(res.json().queues.map((q: { id: string }) => [q.id, q]));
    expect(byId.general).toMatchObject({
      waiting: 1,
      offered: 0,
      longestWaitSeconds: 40,
      agentsLoggedIn: 2,
      agentsReady: 1,
      agentsOnCall: 1,
    });
    expect(byId['expert-12333']).toMatchObject({ waiting: 0, longestWaitSeconds: 0, agentsReady: 1 });
  });

  it('hides the message of an unexpected error behind 500 internal', async () => {
    const broken = Fastify({ logger: false });
    const failing = new MemoryAcdStore({ centerId: 'c1', clock });
    failing.listAgents = async () => {
      throw new Error('secret connection string redis://:hunter2@db');
    };
    await broken.register(agentsApi, { store: failing, clock, roster: [definition('1001')] });
    const res = await broken.inject({ method: 'GET', url: '/agents' });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ error: 'internal' });
    await broken.close();
  });
});

describe('agent API: the phones of the roster', () => {
  let app: FastifyInstance;

  beforeEach(async () => {
    const clock = new ManualClock(T0);
    const store = new MemoryAcdStore({ centerId: 'c1', clock });
    await store.setQueues([
      { id: 'general', kind: 'pool', name: 'General', wrapUpSeconds: 20, maxWaitSeconds: 300 },
    ]);
    const { endpoint: _none, ...withoutPhone } = definition('4001');
    app = Fastify({ logger: false });
    await app.register(agentsApi, {
      store,
      clock,
      roster: [definition('3001', { endpoints: ['PJSIP/desk-3001b'] }), withoutPhone],
    });
    await app.ready();
  });

  afterEach(async () => {
    await app.close();
  });

  const post = (url: string, payload: object) => app.inject({ method: 'POST', url, payload });

  it('lets an agent choose among the phones the roster assigns to it', async () => {
    const res = await post('/agents/3001/login', { endpoint: 'PJSIP/desk-3001b' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ state: 'not-ready', endpoint: 'PJSIP/desk-3001b' });
  });

  it('shows the phones assigned to an agent, the default first, so the toolbar can list them', async () => {
    const res = await app.inject({ method: 'GET', url: '/agents/3001' });
    expect(res.json()).toMatchObject({
      endpoint: 'PJSIP/agent3001',
      endpoints: ['PJSIP/agent3001', 'PJSIP/desk-3001b'],
    });
  });

  it('refuses a login without an endpoint when the roster assigns the agent no phone', async () => {
    const res = await post('/agents/4001/login', {});
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ error: 'endpoint-not-assigned', field: 'body.endpoint' });
  });
});

describe("agent API: supervisors' changes in the audit log", () => {
  let app: FastifyInstance;
  let store: MemoryAcdStore;
  let audit: MemoryAppendLog<AuditEntry>;

  beforeEach(async () => {
    const clock = new ManualClock(T0);
    store = new MemoryAcdStore({ centerId: 'c1', clock });
    await store.setQueues([
      { id: 'general', kind: 'pool', name: 'General', wrapUpSeconds: 20, maxWaitSeconds: 300 },
    ]);
    audit = new MemoryAppendLog<AuditEntry>();
    app = Fastify({ logger: false });
    // Who is asking, as the auth hook would have found it from the token.
    app.addHook('onRequest', async (req) => {
      const who = req.headers['x-test-who'];
      req.principal =
        who === 'supervisor'
          ? { tokenId: 'duty-supervisor', role: 'supervisor' }
          : { tokenId: 'agent-1001', role: 'agent', agentId: '1001' };
    });
    await app.register(agentsApi, { store, clock, audit, roster: [definition('1001')] });
    await app.ready();
  });

  afterEach(async () => {
    await app.close();
  });

  const post = (who: 'supervisor' | 'agent', url: string, payload?: object) =>
    app.inject({
      method: 'POST',
      url,
      headers: { 'x-test-who': who },
      ...(payload === undefined ? {} : { payload }),
    });

  it("records each change a supervisor makes to an agent's state, from and to, and none the agent makes itself", async () => {
    expect((await post('agent', '/agents/1001/login', {})).statusCode).toBe(200);
    expect((await post('agent', '/agents/1001/not-ready', { reason: '小休' })).statusCode).toBe(200);
    expect(audit.entries).toEqual([]);
    expect((await post('supervisor', '/agents/1001/ready')).statusCode).toBe(200);
    expect((await post('supervisor', '/agents/1001/logout')).statusCode).toBe(200);
    expect((await post('supervisor', '/agents/1001/login', { endpoint: 'PJSIP/agent1001' })).statusCode).toBe(
      200,
    );
    expect(audit.entries.map((e) => ('agentId' in e ? [e.action, e.from, e.to, e.tokenId] : []))).toEqual([
      ['agent-ready', 'not-ready', 'ready', 'duty-supervisor'],
      ['agent-logout', 'ready', 'logged-out', 'duty-supervisor'],
      ['agent-login', 'logged-out', 'not-ready', 'duty-supervisor'],
    ]);
    expect(audit.entries[2]).toMatchObject({
      role: 'supervisor',
      agentId: '1001',
      endpoint: 'PJSIP/agent1001',
    });
  });

  it('records nothing for a change the state does not allow', async () => {
    expect((await post('supervisor', '/agents/1001/wrap-up/end')).statusCode).toBe(409);
    expect(audit.entries).toEqual([]);
  });
});
