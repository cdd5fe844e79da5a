import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { issueToken, TokenSet } from '../../src/admin/tokens.ts';
import { buildApi } from '../../src/api/server.ts';
import { rosterToAgents } from '../../src/app.ts';
import { createLogger } from '../../src/log.ts';
import { forcedOnlyAdmission } from '../support/admission.ts';
import { type Rig, startRig } from '../support/engine-harness.ts';

let rig: Rig | undefined;
let api: FastifyInstance | undefined;
afterEach(async () => {
  await api?.close();
  await rig?.close();
  api = undefined;
  rig = undefined;
});

const admin = issueToken('ops', 'admin');
const supervisor = issueToken('sup', 'supervisor');
const as = (t: { token: string }) => ({ authorization: `Bearer ${t.token}` });

async function setup({ admission = true } = {}) {
  rig = await startRig({ roster: [], ...(admission ? { admission: forcedOnlyAdmission() } : {}) });
  api = await buildApi({
    hotline: rig.hotline,
    roster: rosterToAgents([], 'sichuan'),
    clock: rig.clock,
    logger: createLogger({ level: 'silent' }),
    tokens: new TokenSet([admin.entry, supervisor.entry]),
  });
  return { rig, api };
}

const put = (api: FastifyInstance, force: string, token = admin) =>
  api.inject({ method: 'PUT', url: '/admission', headers: as(token), payload: { force } });

describe('holding admission control through the API', () => {
  it('diverts new calls to the safety net in the dialplan, without the engine, until released', async () => {
    const { rig, api } = await setup();
    const held = await put(api, 'shedding');
    expect(held.statusCode).toBe(200);
    expect(held.json()).toMatchObject({ state: 'shedding', reason: 'forced', held: 'shedding' });

    // The gate is closed by the time the answer came: the call never reaches the engine.
    const started = rig.hotline.engine.stats.started;
    const shed = rig.sim.injectCall({ app: 'hotline', dialed: '12345', callerNumber: '13900000001' });
    expect(shed).toMatchObject({ fallback: true, shed: 'forced' });
    await rig.settle();
    expect(rig.hotline.engine.stats.started).toBe(started);
    expect(rig.sim.stats()).toMatchObject({ callsShed: 1 });

    const released = await put(api, 'auto');
    expect(released.json()).toMatchObject({ state: 'normal', held: null });
    const taken = rig.sim.injectCall({ app: 'hotline', dialed: '12345', callerNumber: '13900000002' });
    expect(taken.fallback).toBe(false);
    await rig.runUntil('the call is in the engine', () => rig.hotline.engine.stats.started === started + 1);
  });

  it('writes each hold and release to the audit log with who did it', async () => {
    const { api } = await setup();
    for (const force of ['critical', 'auto']) await put(api, force);
    const audit = await api.inject({ method: 'GET', url: '/admin/audit', headers: as(admin) });
    const entries = audit.json().entries.filter((e: { action: string }) => e.action.startsWith('admission'));
    expect(entries).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          action: 'admission-hold',
          held: 'critical',
          from: 'normal',
          to: 'critical',
          tokenId: 'ops',
        }),
        expect.objectContaining({
          action: 'admission-release',
          from: 'critical',
          to: 'normal',
          tokenId: 'ops',
        }),
      ]),
    );
  });

  it('lets supervisors read the state but only administrators hold it', async () => {
    const { api } = await setup();
    const read = await api.inject({ method: 'GET', url: '/admission', headers: as(supervisor) });
    expect(read.statusCode).toBe(200);
    expect(read.json()).toMatchObject({ state: 'normal', held: null, shed: {} });
    const refused = await put(api, 'shedding', supervisor);
    expect(refused.statusCode).toBe(403);
  });

  it('names the field of a bad request, and says when admission control is off', async () => {
    const { api } = await setup();
    const bad = await put(api, 'maybe');
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: 'invalid-request', field: 'body.force' });
    await api.close();
    await rig!.close();
    const off = await setup({ admission: false });
    const refused = await put(off.api, 'shedding');
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({ error: 'admission-off' });
  });
});
