import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HotlineMetrics } from '../../src/admin/hotline-metrics.ts';
import { RulesInvalidError } from '../../src/plan/problems.ts';
import { formatProblem, loadRoster } from '../../src/roster.ts';
import type { AriSimulator } from '../../src/sim/index.ts';
import { type AdminRig, startAdminRig } from '../admin/admin-rig.ts';
import { plans, type Rig, readyAgents, startRig } from '../support/engine-harness.ts';
import { testRedisUrl } from '../support/redis.ts';

/**
 * Issue 16, item 1: an agent token could send citizens' calls to any phone number by logging in
 * on `PJSIP/<number>@<trunk>` (toll fraud), or on another agent's phone. The roster owns the
 * phones, the login chooses among them, and the engine dials nothing outside an allow-list.
 */

const TOLL_FRAUD = 'PJSIP/+8613912345678@sc-tax';

/** Counts the originates the engine sent to the PBX (`POST /channels/<id>`). */
function originates(sim: AriSimulator): { count: () => number } {
  let n = 0;
  sim.onRest((e) => {
    if (e.method === 'POST' && /^\/channels\/[^/]+$/.test(e.path.split('?')[0] ?? '')) n++;
  });
  return { count: () => n };
}

describe('agents log in only on the phones the roster assigns them', () => {
  let a: AdminRig;
  afterEach(async () => {
    await a?.close();
  });

  const login = (who: 'a1001' | 'a1002' | 'supervisor', agentId: string, endpoint?: string) =>
    a.as(who, {
      method: 'POST',
      url: `/agents/${agentId}/login`,
      payload: endpoint === undefined ? {} : { endpoint },
    });

  it('refuses agent1001 logging in on a number behind a trunk, and never offers it a call', async () => {
    a = await startAdminRig();
    const sent = originates(a.rig.sim);
    const res = await login('a1001', 'a1001', TOLL_FRAUD);
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ error: 'endpoint-not-assigned', field: 'body.endpoint' });

    const { channelId } = a.rig.sim.injectCall({
      app: 'hotline',
      dialed: '12345',
      callerNumber: '13800138000',
    });
    const call = () => a.rig.hotline.engine.call(channelId);
    await a.rig.runUntil('the caller waiting in the queue', () => call()?.stage === 'queued');
    await a.rig.advance(30_000);
    expect(call()?.stage).toBe('queued');
    expect(sent.count()).toBe(0);
    expect((await a.rig.hotline.store.getAgent('a1001'))?.status.state).toBe('logged-out');
  });

  it("refuses agent1002 logging in on agent1001's phone", async () => {
    a = await startAdminRig();
    const res = await login('a1002', 'a1002', 'PJSIP/agent1001');
    expect(res.statusCode).toBe(403);
    expect(res.json().message).toContain('PJSIP/agent1001');
    expect((await a.rig.hotline.store.getAgent('a1002'))?.status.state).toBe('logged-out');
  });

  it('refuses a Local/ dial string at login, from an agent and from a supervisor alike', async () => {
    a = await startAdminRig();
    for (const who of ['a1001', 'supervisor'] as const) {
      const res = await login(who, 'a1001', 'Local/13912345678@from-internal');
      expect(res.statusCode).toBe(403);
      expect(res.json()).toMatchObject({ error: 'endpoint-not-assigned' });
    }
  });

  it('logs an agent in on its default phone when the login names none, and lists its phones', async () => {
    a = await startAdminRig();
    const res = await login('a1001', 'a1001');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ state: 'not-ready', endpoint: 'PJSIP/agent1001' });
    const shown = await a.as('a1001', { method: 'GET', url: '/agents/a1001' });
    expect(shown.json().endpoints).toEqual(['PJSIP/agent1001']);
  });

  it("writes a supervisor's not-ready of agent1001 to the audit log, and not the agent's own changes", async () => {
    a = await startAdminRig();
    expect((await login('a1001', 'a1001')).statusCode).toBe(200);
    expect((await a.as('a1001', { method: 'POST', url: '/agents/a1001/ready' })).statusCode).toBe(200);
    const nr = await a.as('supervisor', {
      method: 'POST',
      url: '/agents/a1001/not-ready',
      payload: { reason: '会议' },
    });
    expect(nr.statusCode).toBe(200);
    const audit = await a.as('admin', { method: 'GET', url: '/admin/audit?limit=10' });
    expect(audit.statusCode).toBe(200);
    const entries = audit.json().entries;
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      action: 'agent-not-ready',
      tokenId: 'duty-supervisor',
      role: 'supervisor',
      agentId: 'a1001',
      from: 'ready',
      to: 'not-ready',
      reason: '会议',
    });
    expect(Number.isNaN(Date.parse(entries[0].at))).toBe(false);
  });
});

describe('the roster file owns the phones', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hotline-roster-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const problemsOf = (yaml: string): string[] => {
    const file = join(dir, `roster-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(file, yaml);
    try {
      loadRoster(file);
    } catch (err) {
      expect(err).toBeInstanceOf(RulesInvalidError);
      return (err as RulesInvalidError).problems.map((p) => formatProblem(p).replace(file, 'FILE'));
    }
    throw new Error('the roster loaded');
  };

  it('fails to load a roster where two agents share an endpoint, naming FILE:PATH', () => {
    const problems = problemsOf(
      [
        'agents:',
        '  - { id: a1001, name: 王敏, endpoint: PJSIP/agent1001 }',
        '  - { id: a1002, name: 李强, endpoint: PJSIP/agent1002, endpoints: [PJSIP/agent1001] }',
      ].join('\n'),
    );
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      /^FILE:agents\[1\]\.endpoints\[0\]: PJSIP\/agent1001 is already assigned to agent "a1001"/,
    );
  });

  it('fails to load a roster endpoint that is a dial string rather than a plain PJSIP device', () => {
    const problems = problemsOf(
      [
        'agents:',
        `  - { id: a1001, name: 王敏, endpoint: "${TOLL_FRAUD}" }`,
        '  - { id: a1002, name: 李强, endpoint: "Local/100@from-internal" }',
        '  - { id: a1003, name: 张伟, endpoints: ["PJSIP/agent1003/sip:13912345678@10.0.0.9"] }',
      ].join('\n'),
    );
    expect(problems.map((p) => p.split(': ')[0])).toEqual([
      'FILE:agents[0].endpoint',
      'FILE:agents[1].endpoint',
      'FILE:agents[2].endpoints[0]',
    ]);
    for (const p of problems) expect(p).toContain('a plain PJSIP device');
  });

  it('loads a roster with several phones per agent', () => {
    const file = join(dir, 'ok.yaml');
    writeFileSync(
      file,
      'agents:\n  - { id: a1001, name: 王敏, endpoint: PJSIP/agent1001, endpoints: [PJSIP/desk-7] }\n',
    );
    expect(loadRoster(file)[0]).toMatchObject({ endpoint: 'PJSIP/agent1001', endpoints: ['PJSIP/desk-7'] });
  });
});

describe('the engine originates only to endpoints on the allow-list', () => {
  let rig: Rig;
  afterEach(async () => {
    await rig?.close();
  });
  const roster = [
    { id: 'a1001', name: '王敏', endpoint: 'PJSIP/agent1001', pools: ['general'], skills: { general: 5 } },
    { id: 'a1002', name: '李强', endpoint: 'PJSIP/agent1002', pools: ['general'], skills: { general: 5 } },
  ];

  it('dials nothing for an agent whose state names a phone outside the roster: the caller waits, then another agent answers', async () => {
    rig = await startRig({ roster });
    const metrics = await HotlineMetrics.start(rig.hotline, rig.clock);
    const sent = originates(rig.sim);
    // State written behind the API's back (an older engine, a hand-edited store): the engine still refuses.
    await readyAgents(rig, [{ id: 'a1001', endpoint: TOLL_FRAUD, answerAfterMs: 300 }]);
    const { channelId } = rig.sim.injectCall({
      app: 'hotline',
      dialed: '12345',
      callerNumber: '13800138000',
    });
    const call = () => rig.hotline.engine.call(channelId);
    await rig.runUntil('the offer to a1001 refused', () => rig.hotline.engine.stats.dialsRefused === 1);
    await rig.runUntil('the caller back in the queue', () => call()?.stage === 'queued');
    await rig.runUntil(
      "a1001's phone taken off",
      async () => (await rig.hotline.store.getAgent('a1001'))?.status.deviceAvailable === false,
    );
    await rig.advance(20_000);
    expect(call()?.stage).toBe('queued');
    expect(rig.hotline.engine.stats.dialsRefused).toBe(1);
    expect(await metrics.registry.getSingleMetricAsString('hotline_dials_refused_total')).toMatch(
      /^hotline_dials_refused_total 1$/m,
    );
    metrics.stop();
    expect(sent.count()).toBe(0);
    expect(rig.sim.channels().some((c) => c.endpoint.includes('8613912345678'))).toBe(false);

    await readyAgents(rig, [{ id: 'a1002', endpoint: 'PJSIP/agent1002', answerAfterMs: 300 }]);
    await rig.runUntil('the caller talking with a1002', () => call()?.stage === 'talking');
    expect(call()?.agent?.agentId).toBe('a1002');
    expect(sent.count()).toBe(1);
  });

  it('follows the published plan: a trunk a publish took away is no longer dialled, even for a call begun before', async () => {
    rig = await startRig({ roster });
    const sent = originates(rig.sim);
    await readyAgents(rig, [{ id: 'a1001', endpoint: 'PJSIP/agent1001', answerAfterMs: 300 }]);
    rig.sim.setEndpoint('PJSIP/12366@sc-tax', { behaviour: 'answer', answerAfterMs: 300, online: true });
    const { channelId } = rig.sim.injectCall({
      app: 'hotline',
      dialed: '12345',
      callerNumber: '13800138000',
    });
    const call = () => rig.hotline.engine.call(channelId);
    await rig.runUntil('talking with a1001', () => call()?.stage === 'talking');
    expect(sent.count()).toBe(1);
    // The next plan sends the tax sub-center through another trunk: the old dial string is gone.
    const next = plans.sichuan();
    const tax = next.subcenters.get('tax')!;
    (next.subcenters as Map<string, typeof tax>).set('tax', { ...tax, dial: 'PJSIP/12366@sc-tax-new' });
    await rig.hotline.setPlan(next);
    // The call keeps the plan it began with, whose dial string the allow-list no longer has.
    const asked = rig.hotline.engine.request(channelId, {
      kind: 'transfer',
      mode: 'three-way',
      target: 'subcenter:tax',
    });
    expect(asked).toMatchObject({ ok: true });
    await rig.runUntil('the transfer refused', () => rig.hotline.engine.stats.dialsRefused === 1);
    await rig.runUntil('the transfer over', () => call()?.transfer === undefined);
    expect(call()?.stage).toBe('talking');
    expect(sent.count()).toBe(1);
  });
});

const redisUrl = testRedisUrl();

describe('an agent whose phone is no longer assigned, as the state kept in Redis says', () => {
  let rig: Rig | undefined;
  afterEach(async () => {
    await rig?.close();
  });

  it('is not dialled on the old phone its state in Redis still names', async () => {
    // The roster now gives a1001 PJSIP/agent1001; the state an earlier run left in Redis (or that
    // the agent recovery restored after Redis restarted) still names the desk it had before.
    rig = await startRig({
      roster: [
        {
          id: 'a1001',
          name: '王敏',
          endpoint: 'PJSIP/agent1001',
          pools: ['general'],
          skills: { general: 5 },
        },
      ],
      redisUrl,
      promptMs: 100,
    });
    const sent = originates(rig.sim);
    await readyAgents(rig, [{ id: 'a1001', endpoint: 'PJSIP/old-desk', answerAfterMs: 300 }]);
    expect((await rig.hotline.store.getAgent('a1001'))?.status).toMatchObject({
      state: 'ready',
      endpoint: 'PJSIP/old-desk',
    });
    const { channelId } = rig.sim.injectCall({
      app: 'hotline',
      dialed: '12345',
      callerNumber: '13800138000',
    });
    await rig.runUntil('the offer refused', () => rig!.hotline.engine.stats.dialsRefused === 1);
    await rig.runUntil('the caller waiting', () => rig!.hotline.engine.call(channelId)?.stage === 'queued');
    // The refused phone is taken off: the agent is not offered the call again and again (once more
    // at most, when the presence poll first sees that phone registered and puts it back).
    await rig.advance(60_000);
    expect(rig.hotline.engine.stats.dialsRefused).toBeLessThanOrEqual(2);
    expect((await rig.hotline.store.getAgent('a1001'))?.status.deviceAvailable).toBe(false);
    expect(rig.hotline.engine.call(channelId)?.stage).toBe('queued');
    expect(sent.count()).toBe(0);
  }, 60_000);
});
