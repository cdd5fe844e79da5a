import { request } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { issueToken, TokenSet } from '../../src/admin/tokens.ts';
import { buildApi } from '../../src/api/server.ts';
import { rosterToAgents } from '../../src/app.ts';
import { createLogger } from '../../src/log.ts';
import { type Rig, readyAgents, startRig } from '../support/engine-harness.ts';

let rig: Rig | undefined;
let api: FastifyInstance | undefined;
afterEach(async () => {
  await api?.close();
  await rig?.close();
  rig = undefined;
  api = undefined;
});

const roster = [
  { id: 'a1001', name: 'a1001', endpoint: 'PJSIP/agent1001', pools: ['general'], skills: { general: 5 } },
];
const agentToken = issueToken('a1001', 'agent', 'a1001');
const headers = { authorization: `Bearer ${agentToken.token}` };

async function setup() {
  rig = await startRig({ roster });
  api = await buildApi({
    hotline: rig.hotline,
    roster: rosterToAgents(roster, 'sichuan'),
    clock: rig.clock,
    logger: createLogger({ level: 'silent' }),
    tokens: new TokenSet([agentToken.entry]),
  });
  await readyAgents(rig, [{ id: 'a1001', endpoint: 'PJSIP/agent1001', answerAfterMs: 300 }]);
  rig.sim.setEndpoint('PJSIP/12366@sc-tax', { behaviour: 'answer', answerAfterMs: 1500, online: true });
  return { rig, api };
}

describe('the calls API', () => {
  it('starts a transfer (202), refuses a second one (409) and names bad fields (400)', async () => {
    const { rig, api } = await setup();
    const { channelId } = rig.sim.injectCall({
      app: 'hotline',
      dialed: '12345',
      callerNumber: '13800138000',
    });
    await rig.runUntil('talking', () => rig.hotline.engine.call(channelId)?.stage === 'talking');
    const bad = await api.inject({
      headers,
      method: 'POST',
      url: `/calls/${channelId}/transfers`,
      payload: { target: 'tax', mode: 'three-way' },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: 'invalid-request', field: 'body.target' });
    const badMode = await api.inject({
      headers,
      method: 'POST',
      url: `/calls/${channelId}/transfers`,
      payload: { target: 'subcenter:tax', mode: 'warm' },
    });
    expect(badMode.json()).toMatchObject({ error: 'invalid-request', field: 'body.mode' });
    const unknown = await api.inject({
      headers,
      method: 'POST',
      url: `/calls/${channelId}/transfers`,
      payload: { target: 'subcenter:none', mode: 'blind' },
    });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error).toBe('no-such-target');
    const ok = await api.inject({
      headers,
      method: 'POST',
      url: `/calls/${channelId}/transfers`,
      payload: { target: 'subcenter:tax', mode: 'consult' },
    });
    expect(ok.statusCode).toBe(202);
    const { transferId } = ok.json();
    const again = await api.inject({
      headers,
      method: 'POST',
      url: `/calls/${channelId}/transfers`,
      payload: { target: 'subcenter:tax', mode: 'blind' },
    });
    expect(again.statusCode).toBe(409);
    expect(again.json().error).toBe('transfer-in-progress');
    const early = await api.inject({
      headers,
      method: 'POST',
      url: `/calls/${channelId}/transfers/${transferId}/complete`,
    });
    expect(early.statusCode).toBe(409);
    expect(early.json().error).toBe('not-answered');
    const cancel = await api.inject({
      headers,
      method: 'POST',
      url: `/calls/${channelId}/transfers/${transferId}/cancel`,
    });
    expect(cancel.statusCode).toBe(200);
    const ticket = await api.inject({
      headers,
      method: 'POST',
      url: `/calls/${channelId}/tickets`,
      payload: { target: 'subcenter:tax', reason: '需税务部门办理' },
    });
    expect(ticket.statusCode).toBe(201);
    const leave = await api.inject({
      headers,
      method: 'DELETE',
      url: `/calls/${channelId}/agent`,
    });
    expect(leave.statusCode).toBe(200);
    rig.sim.hangup(channelId);
  });

  it('answers 404 for a call that is not live', async () => {
    const { api } = await setup();
    const r = await api.inject({
      headers,
      method: 'DELETE',
      url: '/calls/nope/agent',
    });
    expect(r.statusCode).toBe(404);
    expect(r.json()).toMatchObject({ error: 'no-such-call' });
  });

  it('streams an agent its call events: offered, connected, transfer progress, ended', async () => {
    const { rig, api } = await setup();
    await api.listen({ host: '127.0.0.1', port: 0 });
    const port = (api.server.address() as { port: number }).port;
    const received: string[] = [];
    let subscribed: () => void = () => undefined;
    const connected = new Promise<void>((r) => {
      subscribed = r;
    });
    const req = request({ host: '127.0.0.1', port, path: '/agents/a1001/events', headers }, (res) => {
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        // The stream's first line comes once the server listens for the agent's events.
        if (chunk.includes(': connected')) subscribed();
        for (const m of chunk.matchAll(/^event: (.+)$/gm)) received.push(m[1]!);
      });
    });
    req.end();
    await connected;
    const { channelId } = rig.sim.injectCall({
      app: 'hotline',
      dialed: '12345',
      callerNumber: '13800138000',
    });
    await rig.runUntil('talking', () => rig.hotline.engine.call(channelId)?.stage === 'talking');
    rig.hotline.engine.request(channelId, { kind: 'transfer', target: 'subcenter:tax', mode: 'blind' });
    await rig.runUntil('transferred', () => rig.hotline.engine.call(channelId)?.stage === 'transferred');
    await rig.runUntil('events', () => received.includes('transfer-dialing'));
    expect(received.slice(0, 3)).toEqual(['offered', 'connected', 'transfer-dialing']);
    req.destroy();
    rig.sim.hangup(channelId);
  });
});
