import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryAppendLog } from '../../src/admin/append-log.ts';
import type { AuditEntry } from '../../src/admin/ledgers.ts';
import { issueToken, TokenSet } from '../../src/admin/tokens.ts';
import { buildApi } from '../../src/api/server.ts';
import { rosterToAgents } from '../../src/app.ts';
import { EngineGroup } from '../../src/calls/runtime/engine-group.ts';
import type { HeldHotline } from '../../src/hotline.ts';
import { createLogger } from '../../src/log.ts';
import type { RosterEntry } from '../../src/roster.ts';
import { type Rig, readyAgents, startRig } from '../support/engine-harness.ts';

let rig: Rig | undefined;
let api: FastifyInstance | undefined;
afterEach(async () => {
  await api?.close();
  await rig?.close();
  api = undefined;
  rig = undefined;
});

const SUP = 'PJSIP/sup9001';
const supervisor = issueToken('sup-wang', 'supervisor');
const admin = issueToken('ops-admin', 'admin');
const agent = issueToken('a1001', 'agent', 'a1001');
/** A supervisor whose own phone the tokens file names. */
const withPhone = issueToken('sup-li', 'supervisor');
const withPhoneEntry = { ...withPhone.entry, endpoint: 'PJSIP/sup9002' };
const auth = (t: { token: string }) => ({ authorization: `Bearer ${t.token}` });

async function talkingApi(): Promise<{
  rig: Rig;
  api: FastifyInstance;
  callId: string;
  audit: MemoryAppendLog<AuditEntry>;
}> {
  const roster: RosterEntry[] = [
    { id: 'a1001', name: 'a1001', endpoint: 'PJSIP/agent1001', pools: ['general'], skills: { general: 5 } },
  ];
  rig = await startRig({ roster, at: '2026-11-24T10:00:00+08:00' });
  const audit = new MemoryAppendLog<AuditEntry>();
  api = await buildApi({
    hotline: rig.hotline,
    roster: rosterToAgents(roster, 'sichuan'),
    clock: rig.clock,
    logger: createLogger({ level: 'silent' }),
    tokens: new TokenSet([supervisor.entry, admin.entry, agent.entry, withPhoneEntry]),
    audit,
  });
  await readyAgents(rig, [{ id: 'a1001', endpoint: 'PJSIP/agent1001', answerAfterMs: 500 }]);
  rig.sim.setEndpoint(SUP, { behaviour: 'answer', answerAfterMs: 800, online: true });
  rig.sim.setEndpoint('PJSIP/sup9002', { behaviour: 'answer', answerAfterMs: 800, online: true });
  const { channelId } = rig.sim.injectCall({ app: 'hotline', dialed: '12345', callerNumber: '13800138000' });
  const r = rig;
  await r.runUntil('talking', () => r.hotline.engine.call(channelId)?.stage === 'talking');
  return { rig: r, api, callId: channelId, audit };
}

describe('monitor API', () => {
  it('a supervisor listens, switches to whisper, then stops; each step is in the audit log', async () => {
    const t = await talkingApi();
    const url = `/calls/${t.callId}/monitor`;
    const start = await t.api.inject({
      method: 'POST',
      url,
      headers: auth(supervisor),
      payload: { mode: 'listen', endpoint: SUP },
    });
    expect(start.statusCode).toBe(201);
    expect(start.json()).toMatchObject({
      callId: t.callId,
      mode: 'listen',
      stage: 'dialing',
      tokenId: 'sup-wang',
    });
    await t.rig.runUntil('listening', async () => {
      const r = await t.api.inject({ method: 'GET', url, headers: auth(supervisor) });
      return r.json().stage === 'live';
    });
    await t.rig.runUntil('snoop bridged', () =>
      t.rig.sim.channels().some((c) => c.kind === 'snoop' && c.bridgeId !== undefined),
    );
    const patch = await t.api.inject({
      method: 'PATCH',
      url,
      headers: auth(admin),
      payload: { mode: 'whisper' },
    });
    expect(patch.statusCode).toBe(200);
    expect(patch.json()).toMatchObject({ mode: 'whisper' });
    await t.rig.runUntil('whisper snoop bridged', () =>
      t.rig.sim.channels().some((c) => c.snoop?.whisper === 'out' && c.bridgeId !== undefined),
    );
    const stop = await t.api.inject({ method: 'DELETE', url, headers: auth(supervisor) });
    expect(stop.statusCode).toBe(200);
    expect(stop.json()).toMatchObject({ stage: 'ended', endReason: 'stopped' });
    await t.rig.runUntil('only the call left', () => t.rig.sim.channels().length === 2);
    expect((await t.api.inject({ method: 'GET', url, headers: auth(supervisor) })).json()).toMatchObject({
      error: 'no-such-monitor',
    });
    const log = await t.api.inject({ method: 'GET', url: '/admin/audit', headers: auth(supervisor) });
    const monitorEntries = (log.json().entries as { action: string }[]).filter((e) =>
      e.action.startsWith('monitor-'),
    );
    expect(monitorEntries.reverse()).toMatchObject([
      { action: 'monitor-start', tokenId: 'sup-wang', callId: t.callId, mode: 'listen', endpoint: SUP },
      { action: 'monitor-mode', tokenId: 'ops-admin', from: 'listen', mode: 'whisper' },
      { action: 'monitor-end', tokenId: 'sup-wang', reason: 'stopped', mode: 'whisper' },
    ]);
  });

  it('refuses an agent token with 403, for every method', async () => {
    const t = await talkingApi();
    const url = `/calls/${t.callId}/monitor`;
    for (const [method, payload] of [
      ['POST', { mode: 'listen', endpoint: SUP }],
      ['PATCH', { mode: 'barge' }],
      ['DELETE', undefined],
      ['GET', undefined],
    ] as const) {
      const r = await t.api.inject({ method, url, headers: auth(agent), ...(payload ? { payload } : {}) });
      expect(r.statusCode, method).toBe(403);
    }
    expect(t.rig.sim.channels().some((c) => c.endpoint === SUP)).toBe(false);
  });

  it('answers the catalogue errors: bad mode or endpoint 400, no call 404, not talking 409, twice 409', async () => {
    const t = await talkingApi();
    const url = `/calls/${t.callId}/monitor`;
    const post = (u: string, payload: object) =>
      t.api.inject({ method: 'POST', url: u, headers: auth(supervisor), payload });
    const badMode = await post(url, { mode: 'spy', endpoint: SUP });
    expect(badMode.statusCode).toBe(400);
    expect(badMode.json()).toMatchObject({ error: 'invalid-request', field: 'body.mode' });
    const trunk = await post(url, { mode: 'listen', endpoint: 'PJSIP/13800138000@carrier' });
    expect(trunk.json()).toMatchObject({ error: 'invalid-request', field: 'body.endpoint' });
    expect((await post('/calls/nope/monitor', { mode: 'listen', endpoint: SUP })).json()).toMatchObject({
      error: 'no-such-call',
    });
    const waiting = t.rig.sim.injectCall({ app: 'hotline', dialed: '12345', callerNumber: '13900139000' });
    await t.rig.runUntil('second call in', () => t.rig.hotline.engine.call(waiting.channelId) !== undefined);
    const notTalking = await post(`/calls/${waiting.channelId}/monitor`, { mode: 'listen', endpoint: SUP });
    expect(notTalking.statusCode).toBe(409);
    expect(notTalking.json()).toMatchObject({ error: 'not-talking' });
    expect((await post(url, { mode: 'barge', endpoint: SUP })).statusCode).toBe(201);
    const twice = await post(url, { mode: 'listen', endpoint: SUP });
    expect(twice.statusCode).toBe(409);
    expect(twice.json()).toMatchObject({ error: 'monitor-in-progress' });
    const noSession = await t.api.inject({
      method: 'PATCH',
      url: `/calls/${waiting.channelId}/monitor`,
      headers: auth(supervisor),
      payload: { mode: 'listen' },
    });
    expect(noSession.statusCode).toBe(404);
    expect(noSession.json()).toMatchObject({ error: 'no-such-monitor' });
  });

  it("calls the phone the supervisor's token names, and refuses another one or none at all", async () => {
    const t = await talkingApi();
    const url = `/calls/${t.callId}/monitor`;
    const other = await t.api.inject({
      method: 'POST',
      url,
      headers: auth(withPhone),
      payload: { mode: 'listen', endpoint: SUP },
    });
    expect(other.statusCode).toBe(403);
    expect(other.json()).toMatchObject({ error: 'endpoint-not-assigned' });
    const none = await t.api.inject({
      method: 'POST',
      url,
      headers: auth(supervisor),
      payload: { mode: 'listen' },
    });
    expect(none.statusCode).toBe(400);
    expect(none.json()).toMatchObject({ error: 'invalid-request', field: 'body.endpoint' });
    const own = await t.api.inject({
      method: 'POST',
      url,
      headers: auth(withPhone),
      payload: { mode: 'listen' },
    });
    expect(own.statusCode).toBe(201);
    expect(own.json()).toMatchObject({ endpoint: 'PJSIP/sup9002', tokenId: 'sup-li' });
    await t.rig.runUntil("the token holder's phone bridged with a snoop", () => {
      const sup = t.rig.sim.channels().find((c) => c.endpoint === 'PJSIP/sup9002');
      return (
        sup?.bridgeId !== undefined &&
        t.rig.sim.channels().some((c) => c.kind === 'snoop' && c.bridgeId === sup.bridgeId)
      );
    });
  });

  it('listens in on a call of an engine taken over, and ends the session, the call going on, when that engine is handed back', async () => {
    const roster: RosterEntry[] = [
      { id: 'a1001', name: 'a1001', endpoint: 'PJSIP/agent1001', pools: ['general'], skills: { general: 5 } },
    ];
    rig = await startRig({ roster, at: '2026-11-24T10:00:00+08:00' });
    // The engine this process took over, on a simulator of its own.
    const taken = await startRig({ roster, at: '2026-11-24T10:00:00+08:00' });
    try {
      const engines = new EngineGroup<HeldHotline>(rig.hotline);
      engines.add('e1', taken.hotline);
      const audit = new MemoryAppendLog<AuditEntry>();
      api = await buildApi({
        hotline: rig.hotline,
        engines,
        roster: rosterToAgents(roster, 'sichuan'),
        clock: rig.clock,
        logger: createLogger({ level: 'silent' }),
        tokens: new TokenSet([supervisor.entry]),
        audit,
      });
      const app = api;
      await readyAgents(taken, [{ id: 'a1001', endpoint: 'PJSIP/agent1001', answerAfterMs: 500 }]);
      taken.sim.setEndpoint(SUP, { behaviour: 'answer', answerAfterMs: 800, online: true });
      const { channelId } = taken.sim.injectCall({
        app: 'hotline',
        dialed: '12345',
        callerNumber: '13800138000',
      });
      await taken.runUntil('talking', () => taken.hotline.engine.call(channelId)?.stage === 'talking');
      const url = `/calls/${channelId}/monitor`;
      const start = await app.inject({
        method: 'POST',
        url,
        headers: auth(supervisor),
        payload: { mode: 'listen', endpoint: SUP },
      });
      expect(start.statusCode).toBe(201);
      await taken.runUntil('snoop bridged', () =>
        taken.sim.channels().some((c) => c.kind === 'snoop' && c.bridgeId !== undefined),
      );
      expect((await app.inject({ method: 'GET', url, headers: auth(supervisor) })).json()).toMatchObject({
        stage: 'live',
      });

      engines.remove('e1');
      await taken.runUntil('only the call left', () => taken.sim.channels().length === 2);
      expect(taken.hotline.engine.call(channelId)?.stage).toBe('talking');
      expect((await app.inject({ method: 'GET', url, headers: auth(supervisor) })).json()).toMatchObject({
        error: 'no-such-monitor',
      });
      expect((await audit.latest(10)).find((e) => e.action === 'monitor-end')).toMatchObject({
        callId: channelId,
        reason: 'handed-back',
      });
    } finally {
      await taken.close();
    }
  });
});
