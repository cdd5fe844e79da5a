import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { issueToken, TokenSet } from '../../src/admin/tokens.ts';
import { type ApiLimits, buildApi } from '../../src/api/server.ts';
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
const headers = { authorization: `Bearer ${admin.token}` };

async function setup(limits: Partial<ApiLimits> = {}) {
  rig = await startRig({ roster: [], admission: forcedOnlyAdmission() });
  api = await buildApi({
    hotline: rig.hotline,
    roster: rosterToAgents([], 'sichuan'),
    clock: rig.clock,
    logger: createLogger({ level: 'silent' }),
    tokens: new TokenSet([admin.entry]),
    limits,
  });
  return { rig, api };
}

const waitFor = async (what: string, test: () => boolean) => {
  for (let i = 0; i < 2000 && !test(); i++) await new Promise((r) => setImmediate(r));
  for (let i = 0; i < 100 && !test(); i++) await new Promise((r) => setTimeout(r, 50));
  if (!test()) throw new Error(`never happened: ${what}`);
};

describe('health and metrics under admission control', () => {
  it('says ok while calls are taken and degraded, with the reason, while new calls are shed', async () => {
    const { rig, api } = await setup();
    const ok = await api.inject({ method: 'GET', url: '/health' });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ status: 'ok', admission: { state: 'normal', shed: 0 } });

    rig.hotline.engine.admission!.admission.force('shedding');
    const degraded = await api.inject({ method: 'GET', url: '/health' });
    expect(degraded.statusCode).toBe(200);
    expect(degraded.json()).toMatchObject({
      status: 'degraded',
      admission: { state: 'shedding', reason: 'forced' },
    });
    expect(degraded.json().reasons).toEqual([expect.stringMatching(/^admission: shedding \(forced\)/)]);
  });

  it('gives the admission state to the wallboard with the figures', async () => {
    const { rig, api } = await setup();
    expect((await api.inject({ method: 'GET', url: '/stats', headers })).json().admission).toEqual({
      state: 'normal',
      share: 1,
      shed: 0,
    });
    rig.hotline.engine.admission!.admission.force('critical');
    expect((await api.inject({ method: 'GET', url: '/stats', headers })).json().admission).toMatchObject({
      state: 'critical',
    });
  });

  it('puts the admission state, calls shed by reason and lag percentiles on /metrics', async () => {
    const { rig, api } = await setup();
    const admission = rig.hotline.engine.admission!;
    admission.admission.force('critical');
    rig.sim.injectCall({ app: 'hotline', dialed: '12345', callerNumber: '13900000001' });
    await rig.runUntil('the shed record', () => rig!.records.records.length === 1);
    const res = await api.inject({ method: 'GET', url: '/metrics', headers });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('hotline_admission_state{state="critical"} 1');
    expect(res.body).toContain('hotline_admission_state{state="normal"} 0');
    expect(res.body).toContain('hotline_calls_shed_total{reason="forced"} 1');
    expect(res.body).toContain('hotline_admission_share 0');
    expect(res.body).toContain('# TYPE hotline_calls_shed_in_dialplan_total counter');
    expect(res.body).toMatch(/hotline_engine_lag_ms\{kind="event_loop_delay",quantile="0.99"\} [\d.]+/);
    expect(res.body).toMatch(/hotline_admission_signal\{signal="restInFlight"\} \d+/);
  });

  it('refuses API requests with 503 while the API is under pressure, and /health still answers degraded', async () => {
    const { api } = await setup({ maxHeapShare: 1e-6 });
    await waitFor('the pressure check has sampled the heap', () => api.isUnderPressure());
    const refused = await api.inject({ method: 'GET', url: '/metrics', headers });
    expect(refused.statusCode).toBe(503);
    expect(refused.headers['retry-after']).toBe('10');
    expect(refused.json()).toMatchObject({ error: 'overloaded' });
    const health = await api.inject({ method: 'GET', url: '/health' });
    expect(health.statusCode).toBe(200);
    expect(health.json()).toMatchObject({ status: 'degraded', http: { underPressure: true } });
  });
});
