import { readFileSync, rmSync } from 'node:fs';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RosterAuditEntry } from '../../src/admin/ledgers.ts';
import { RedisRosterStore } from '../../src/redis/roster-store.ts';
import { testRedisUrl } from '../support/redis.ts';
import { type RosterRig, startRosterRig } from './roster-rig.ts';

let r: RosterRig;

beforeEach(async () => {
  r = await startRosterRig();
});

afterEach(async () => {
  await r?.close().catch(() => undefined);
});

const newAgent = {
  id: 'a2001',
  name: '张华',
  endpoint: 'PJSIP/agent2001',
  skills: { general: 5 },
  pools: ['general'],
};

const add = (body: object, who: 'admin' | 'supervisor' | 'agent' = 'admin') =>
  r.as(who, { method: 'POST', url: '/roster/agents', payload: body });
const put = (id: string, body: object) =>
  r.as('admin', { method: 'PUT', url: `/roster/agents/${id}`, payload: body });
const post = (path: string) => r.as('admin', { method: 'POST', url: path });

/** A call on 12345, and the live call it became. */
function placeCall() {
  const { channelId } = r.rig.sim.injectCall({
    app: 'hotline',
    dialed: '12345',
    callerNumber: '13800138000',
  });
  return { channelId, call: () => r.rig.hotline.engine.call(channelId) };
}

const stateOf = async (id: string) => (await r.rig.hotline.store.getAgent(id))?.status.state;

/** Logs an agent in and ready on its phone (as its toolbar does), its softphone answering. */
async function staff(id: string, endpoint: string) {
  r.rig.sim.setEndpoint(endpoint, { behaviour: 'answer', answerAfterMs: 500, online: true });
  await r.rig.hotline.store.login(id, endpoint);
  if ((await stateOf(id)) !== 'ready') await r.rig.hotline.store.ready(id);
}

describe('roster administration: who may', () => {
  it("lets a supervisor read the roster with the plan's pools and expert seats, but not change it", async () => {
    const res = await r.as('supervisor', { method: 'GET', url: '/roster/agents' });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.agents.map((a: { id: string }) => a.id)).toEqual(['a1001', 'a1002']);
    expect(body.agents[0]).toMatchObject({ pools: ['general'], disabled: false, state: 'logged-out' });
    expect(body.pools).toContainEqual({ id: 'general', name: '12345综合受理座席' });
    expect(body.expertSeats.map((e: { id: string }) => e.id)).toContain('legal');
    expect((await add(newAgent, 'supervisor')).statusCode).toBe(403);
    expect(
      (await r.as('supervisor', { method: 'POST', url: '/roster/agents/a1001/disable' })).statusCode,
    ).toBe(403);
    expect(r.roster.agent('a2001')).toBeUndefined();
  });

  it('refuses agents and callers without a token', async () => {
    expect((await r.as('agent', { method: 'GET', url: '/roster/agents' })).statusCode).toBe(403);
    expect((await add(newAgent, 'agent')).statusCode).toBe(403);
    expect((await r.as(undefined, { method: 'GET', url: '/roster/agents' })).statusCode).toBe(401);
  });
});

describe('roster administration: validation names the field', () => {
  it('refuses pools and expert seats the routing plan does not have, naming every unknown id', async () => {
    const res = await add({ ...newAgent, pools: ['general', 'nowhere', 'elsewhere'] });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: 'invalid-request', field: 'body.pools.1' });
    expect(res.json().message).toContain('"nowhere", "elsewhere"');
    const seats = await add({ ...newAgent, expertSeats: ['legal', 'astrology'] });
    expect(seats.statusCode).toBe(400);
    expect(seats.json()).toMatchObject({ field: 'body.expertSeats.1' });
    expect(seats.json().message).toContain('"astrology"');
    expect(r.roster.agent('a2001')).toBeUndefined();
  });

  it('refuses a bad phone, a skill level out of 1–10, an unknown field and a bad id, each by its field', async () => {
    const cases: [object, string][] = [
      [{ ...newAgent, endpoint: 'Local/13912345678@from-internal' }, 'body.endpoint'],
      [{ ...newAgent, endpoints: ['PJSIP/agent2001', 'PJSIP/x@trunk'] }, 'body.endpoints.1'],
      [{ ...newAgent, skills: { general: 11 } }, 'body.skills.general'],
      [{ ...newAgent, colour: 'blue' }, 'body'],
      [{ ...newAgent, id: 'a 2001' }, 'body.id'],
      [{ ...newAgent, name: '' }, 'body.name'],
    ];
    for (const [body, field] of cases) {
      const res = await add(body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json()).toMatchObject({ error: 'invalid-request', field });
    }
  });

  it("refuses another agent's phone, naming its owner, and an id already in the roster", async () => {
    const taken = await add({ ...newAgent, endpoint: 'PJSIP/agent1001' });
    expect(taken.statusCode).toBe(400);
    expect(taken.json()).toMatchObject({ field: 'body.endpoint' });
    expect(taken.json().message).toContain('agent "a1001"');
    const twice = await add({ ...newAgent, id: 'a1002' });
    expect(twice.statusCode).toBe(409);
    expect(twice.json()).toMatchObject({ error: 'agent-exists' });
  });

  it('answers 404 for an agent not in the roster', async () => {
    const { id: _id, ...fields } = newAgent;
    expect((await put('a9999', fields)).json()).toMatchObject({ error: 'no-such-agent' });
    expect((await post('/roster/agents/a9999/disable')).statusCode).toBe(404);
  });
});

describe('roster administration: effective without a restart', () => {
  it('gives a call to an agent added through the API, on the phone it was given', async () => {
    const res = await add(newAgent);
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ id: 'a2001', disabled: false, state: 'logged-out' });
    await staff('a2001', 'PJSIP/agent2001');
    const { call } = placeCall();
    await r.rig.runUntil('the call talking to the new agent', () => call()?.stage === 'talking');
    expect(call()!.agent?.agentId).toBe('a2001');
    const leg = r.rig.sim.channels().find((c) => c.id === call()!.agent!.channelId);
    expect(leg?.endpoint).toBe('PJSIP/agent2001');
  });

  it('lets an agent added through the API log in through the agent API and lists it; a disabled one is refused', async () => {
    expect((await add(newAgent)).statusCode).toBe(201);
    const login = await r.as('supervisor', {
      method: 'POST',
      url: '/agents/a2001/login',
      payload: { endpoint: 'PJSIP/agent2001' },
    });
    expect(login.statusCode).toBe(200);
    expect(login.json()).toMatchObject({ id: 'a2001', state: 'not-ready' });
    const listed = (await r.as('supervisor', { method: 'GET', url: '/agents' })).json();
    expect(listed.agents.map((a: { id: string }) => a.id)).toContain('a2001');
    expect((await post('/roster/agents/a1002/disable')).statusCode).toBe(200);
    const refused = await r.as('supervisor', { method: 'POST', url: '/agents/a1002/login', payload: {} });
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({ error: 'agent-disabled' });
  });

  it('uses a changed pool in the next dispatch decision: a waiting call goes to the agent at once', async () => {
    expect((await add({ ...newAgent, pools: [] })).statusCode).toBe(201);
    await staff('a2001', 'PJSIP/agent2001');
    const { call } = placeCall();
    await r.rig.runUntil('the call waiting in the general pool', () => call()?.stage === 'queued');
    await r.rig.advance(5_000);
    expect(call()!.stage).toBe('queued');
    const { id: _id, ...fields } = newAgent;
    expect((await put('a2001', fields)).statusCode).toBe(200);
    await r.rig.runUntil('the call talking to the agent now in the pool', () => call()?.stage === 'talking', {
      maxVirtualMs: 5_000,
    });
    expect(call()!.agent?.agentId).toBe('a2001');
  });

  it('offers a disabled agent no call: logged out when idle, and again after logging back in', async () => {
    await staff('a1001', 'PJSIP/agent1001');
    const res = await post('/roster/agents/a1001/disable');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: 'a1001', disabled: true, pools: ['general'] });
    await r.rig.runUntil(
      'the disabled agent logged out',
      async () => (await stateOf('a1001')) === 'logged-out',
    );
    await r.rig.hotline.store.login('a1001', 'PJSIP/agent1001');
    await r.rig.runUntil('logged out again', async () => (await stateOf('a1001')) === 'logged-out');
    await staff('a1002', 'PJSIP/agent1002');
    const { call } = placeCall();
    await r.rig.runUntil('the call talking', () => call()?.stage === 'talking');
    expect(call()!.agent?.agentId).toBe('a1002');
    // Enabled again, it takes calls again.
    expect((await post('/roster/agents/a1001/enable')).json()).toMatchObject({ disabled: false });
    await staff('a1001', 'PJSIP/agent1001');
    const second = placeCall();
    await r.rig.runUntil('the second call talking', () => second.call()?.stage === 'talking');
    expect(second.call()!.agent?.agentId).toBe('a1001');
  });

  it('lets an agent on a call when disabled finish it, then logs it out', async () => {
    await staff('a1001', 'PJSIP/agent1001');
    const { channelId, call } = placeCall();
    await r.rig.runUntil('the call talking to a1001', () => call()?.stage === 'talking');
    expect((await post('/roster/agents/a1001/disable')).statusCode).toBe(200);
    await r.rig.advance(10_000);
    expect(call()!.stage).toBe('talking');
    expect(await stateOf('a1001')).toBe('on-call');
    r.rig.sim.hangup(channelId);
    await r.rig.runUntil('a1001 logged out after the call and its wrap-up', async () => {
      return (await stateOf('a1001')) === 'logged-out';
    });
    expect(r.rig.records.records.find((x) => x.callId === channelId)).toBeDefined();
  });
});

describe('roster administration: audit and persistence', () => {
  it('writes every change to the audit log: who, when, what changed, before and after', async () => {
    await add(newAgent);
    const { id: _id, ...fields } = newAgent;
    await put('a2001', { ...fields, skills: { general: 7, tax: 3 } });
    await post('/roster/agents/a2001/disable');
    await post('/roster/agents/a2001/disable'); // no change: nothing written
    await post('/roster/agents/a2001/enable');
    const lines = r.auditLines() as RosterAuditEntry[];
    expect(lines.map((l) => [l.action, l.agent, l.tokenId, l.role, l.changed])).toEqual([
      [
        'roster-add',
        'a2001',
        'ops-admin',
        'admin',
        ['name', 'endpoint', 'skills', 'pools', 'expertSeats', 'disabled'],
      ],
      ['roster-change', 'a2001', 'ops-admin', 'admin', ['skills']],
      ['roster-disable', 'a2001', 'ops-admin', 'admin', ['disabled']],
      ['roster-enable', 'a2001', 'ops-admin', 'admin', ['disabled']],
    ]);
    expect(lines[0]!.before).toBeUndefined();
    expect(lines[1]!.before?.skills).toEqual({ general: 5 });
    expect(lines[1]!.after.skills).toEqual({ general: 7, tax: 3 });
    for (const l of lines) expect(Date.parse(l.at)).toBe(r.rig.clock.now());
    // The audit API shows the same entries.
    const api = await r.as('supervisor', { method: 'GET', url: '/admin/audit?limit=10' });
    expect(api.json().entries[0]).toMatchObject({ action: 'roster-enable', agent: 'a2001' });
  });

  it('keeps the changes in the state folder: a restarted service has them', async () => {
    await add(newAgent);
    await post('/roster/agents/a1002/disable');
    const kept = JSON.parse(readFileSync(r.editsPath, 'utf8'));
    expect(kept.agents.map((a: { id: string }) => a.id).sort()).toEqual(['a1002', 'a2001']);
    const dir = r.dir;
    await r.rig.close();
    await r.api.close();
    r.roster.close();
    r = await startRosterRig({ dir });
    expect(r.roster.agent('a2001')).toMatchObject({ name: '张华', pools: ['general'], disabled: false });
    expect(r.roster.agent('a1002')).toMatchObject({ disabled: true });
    // Applied at start: the disabled agent is in no pool in the ACD, the added one is there.
    expect((await r.rig.hotline.store.getAgent('a1002'))?.pools).toEqual([]);
    expect((await r.rig.hotline.store.getAgent('a2001'))?.pools).toEqual(['pool:general']);
    await r.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('documents its routes and bodies in the OpenAPI document', async () => {
    const doc = (await r.as('admin', { method: 'GET', url: '/docs/openapi.json' })).json();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/roster/agents', '/roster/agents/{id}', '/roster/agents/{id}/disable']),
    );
    const body = doc.paths['/roster/agents'].post.requestBody.content['application/json'].schema;
    expect(body.required).toEqual(expect.arrayContaining(['id', 'name']));
    expect(Object.keys(body.properties)).toEqual(expect.arrayContaining(['pools', 'expertSeats', 'skills']));
  });
});

describe('roster administration with Redis', () => {
  it('keeps the changes in Redis and applies them to the ACD there: an added agent gets a call, a disabled one none', async () => {
    await r.close();
    const redis = new Redis(testRedisUrl());
    const centerId = `roster-api-${process.pid}-${Math.random().toString(36).slice(2)}`;
    try {
      r = await startRosterRig({
        redisUrl: testRedisUrl(),
        store: () => new RedisRosterStore({ redis, centerId, keyPrefix: 'hotline-test' }),
      });
      expect((await add(newAgent)).statusCode).toBe(201);
      expect((await post('/roster/agents/a1001/disable')).statusCode).toBe(200);
      const kept = await new RedisRosterStore({ redis, centerId, keyPrefix: 'hotline-test' }).load();
      expect(kept.agents.map((a) => [a.id, a.disabled])).toEqual([
        ['a1001', true],
        ['a2001', false],
      ]);
      expect((await r.rig.hotline.store.getAgent('a1001'))?.pools).toEqual([]);
      await staff('a2001', 'PJSIP/agent2001');
      const { call } = placeCall();
      await r.rig.runUntil('the call talking to the agent added', () => call()?.stage === 'talking');
      expect(call()!.agent?.agentId).toBe('a2001');
    } finally {
      await r.close();
      redis.disconnect();
    }
  });
});
