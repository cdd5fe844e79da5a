import { afterEach, describe, expect, it } from 'vitest';
import { readRulesFolder } from '../../src/admin/draft.ts';
import { isRulesAuditEntry } from '../../src/admin/ledgers.ts';
import { readyAgents } from '../support/engine-harness.ts';
import { type AdminRig, rulesDir, startAdminRig } from './admin-rig.ts';

let a: AdminRig | undefined;
afterEach(async () => {
  await a?.close();
  a = undefined;
});

const renamed = (files: Record<string, string>, name: string) => ({
  ...files,
  'lines.yaml': files['lines.yaml']!.replace('name: 12345政务服务便民热线', `name: ${name}`),
});

describe('publishing rules', () => {
  it('starts on version 1, seeded from the rules folder', async () => {
    a = await startAdminRig();
    const live = (await a.as('supervisor', { method: 'GET', url: '/rules' })).json();
    expect(live).toMatchObject({ version: 1, author: 'system', center: { id: 'sichuan' } });
    expect(live.files).toEqual(readRulesFolder(rulesDir));
  });

  it('publishes during 100 live calls without dropping any: they finish on their version, new calls use the new one', async () => {
    a = await startAdminRig({
      promptMs: 1000,
      roster: Array.from({ length: 10 }, (_, i) => ({
        id: `a${2000 + i}`,
        name: `a${2000 + i}`,
        endpoint: `PJSIP/agent${2000 + i}`,
        pools: ['general'],
        skills: { general: 5 },
      })),
    });
    const rig = a.rig;
    await readyAgents(
      rig,
      Array.from({ length: 10 }, (_, i) => ({
        id: `a${2000 + i}`,
        endpoint: `PJSIP/agent${2000 + i}`,
        answerAfterMs: 500,
      })),
    );
    const ids: string[] = [];
    for (let i = 0; i < 100; i++) {
      ids.push(
        rig.sim.injectCall({
          app: 'hotline',
          dialed: '12345',
          callerNumber: `1380000${String(i).padStart(4, '0')}`,
        }).channelId,
      );
    }
    await rig.runUntil('100 live calls', () => rig.hotline.engine.liveCalls().length === 100);
    await rig.runUntil('some talking', () =>
      rig.hotline.engine.liveCalls().some((c) => c.stage === 'talking'),
    );
    const before = (await a.as('admin', { method: 'GET', url: '/rules' })).json();
    const published = await a.as('admin', {
      method: 'POST',
      url: '/rules/publish',
      payload: {
        files: renamed(before.files, '12345热线（新版）'),
        message: 'rename the main line',
        baseVersion: 1,
      },
    });
    expect(published.statusCode).toBe(201);
    expect(published.json()).toMatchObject({ version: 2, author: 'ops-admin' });
    const after = rig.sim.injectCall({
      app: 'hotline',
      dialed: '12345',
      callerNumber: '13900000000',
    }).channelId;
    await rig.runUntil('new call', () => rig.hotline.engine.call(after) !== undefined);
    expect(rig.hotline.engine.call(after)!.line.name).toBe('12345热线（新版）');
    expect(rig.hotline.engine.liveCalls().filter((c) => ids.includes(c.id)).length).toBe(100);
    for (const id of [...ids, after]) rig.sim.hangup(id);
    await rig.runUntil('101 records', () => rig.records.records.length === 101);
    const byId = new Map(rig.records.records.map((r) => [r.callId, r]));
    for (const id of ids) {
      const r = byId.get(id)!;
      expect(r).toBeDefined();
      expect(r.line.name).toBe('12345政务服务便民热线');
      expect(r.disposition).toBeTruthy();
    }
    expect(byId.get(after)!.line.name).toBe('12345热线（新版）');
    expect(rig.hotline.engine.stats.recordFailures).toBe(0);
    expect(rig.hotline.engine.liveCalls()).toEqual([]);
    await rig.runUntil(
      'nothing left',
      () => rig.sim.stats().liveChannels === 0 && rig.sim.stats().liveBridges === 0,
    );
  }, 60_000);

  it('rolls back to the exact files of an earlier version, as a new version', async () => {
    a = await startAdminRig();
    const v1 = (await a.as('admin', { method: 'GET', url: '/rules' })).json().files;
    await a.as('admin', { method: 'POST', url: '/rules/publish', payload: { files: renamed(v1, '新名称') } });
    const rolled = await a.as('admin', { method: 'POST', url: '/rules/versions/1/rollback', payload: {} });
    expect(rolled.statusCode).toBe(201);
    expect(rolled.json()).toMatchObject({ version: 3, rollbackOf: 1 });
    const live = (await a.as('admin', { method: 'GET', url: '/rules' })).json();
    expect(live.version).toBe(3);
    expect(live.files).toEqual(v1);
    expect(a.rig.hotline.plan.lines.get('hotline-12345')!.name).toBe('12345政务服务便民热线');
    const history = (await a.as('supervisor', { method: 'GET', url: '/rules/versions' })).json();
    expect(history.versions.map((v: { version: number }) => v.version)).toEqual([3, 2, 1]);
    const v2diff = history.versions[1].diff.find((d: { file: string }) => d.file === 'lines.yaml');
    expect(v2diff).toMatchObject({ status: 'changed', added: 1, removed: 1 });
    expect(v2diff.lines).toContain('+     name: 新名称');
    expect(a.audit.entries.filter(isRulesAuditEntry).map((e) => [e.action, e.version, e.tokenId])).toEqual([
      ['publish', 2, 'ops-admin'],
      ['rollback', 3, 'ops-admin'],
    ]);
  });

  it('publishes nothing from an invalid draft and answers its problems where they are', async () => {
    a = await startAdminRig();
    const v1 = (await a.as('admin', { method: 'GET', url: '/rules' })).json().files;
    const broken = {
      ...v1,
      'lines.yaml': v1['lines.yaml'].replace('goto: "pool:general"', 'goto: "pool:nowhere"'),
    };
    const checked = (
      await a.as('admin', { method: 'POST', url: '/rules/validate', payload: { files: broken } })
    ).json();
    expect(checked.valid).toBe(false);
    expect(checked.problems[0]).toMatchObject({ file: 'lines.yaml', path: 'lines[0].route.goto' });
    const r = await a.as('admin', { method: 'POST', url: '/rules/publish', payload: { files: broken } });
    expect(r.statusCode).toBe(422);
    expect(r.json()).toMatchObject({
      error: 'rules-invalid',
      problems: [{ file: 'lines.yaml', path: 'lines[0].route.goto' }],
    });
    expect((await a.as('admin', { method: 'GET', url: '/rules' })).json().version).toBe(1);
    expect(a.audit.entries).toEqual([]);
    const yamlError = await a.as('admin', {
      method: 'POST',
      url: '/rules/validate',
      payload: { files: { ...v1, 'groups.yaml': 'groups: [\n' } },
    });
    expect(yamlError.json().problems[0].file).toBe('groups.yaml');
  });

  it('refuses a publication based on a version that is no longer live (409)', async () => {
    a = await startAdminRig();
    const v1 = (await a.as('admin', { method: 'GET', url: '/rules' })).json().files;
    await a.as('admin', { method: 'POST', url: '/rules/publish', payload: { files: renamed(v1, 'A') } });
    const stale = await a.as('admin', {
      method: 'POST',
      url: '/rules/publish',
      payload: { files: renamed(v1, 'B'), baseVersion: 1 },
    });
    expect(stale.statusCode).toBe(409);
    expect(stale.json().error).toBe('version-conflict');
  });

  it('explains a call against a draft or the live plan', async () => {
    a = await startAdminRig();
    const v1 = (await a.as('admin', { method: 'GET', url: '/rules' })).json().files;
    const live = await a.as('supervisor', {
      method: 'POST',
      url: '/rules/explain',
      payload: { number: '12396', at: '2021-10-01' },
    });
    expect(live.json()).toMatchObject({
      against: 'version 1',
      explanation: { phase: { kind: 'deregistered' } },
    });
    const draft = await a.as('admin', {
      method: 'POST',
      url: '/rules/explain',
      payload: { number: '12345', files: renamed(v1, '草稿名称') },
    });
    expect(draft.json()).toMatchObject({ against: 'draft', explanation: { line: { name: '草稿名称' } } });
    const unknown = await a.as('admin', {
      method: 'POST',
      url: '/rules/explain',
      payload: { number: '99999' },
    });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error).toBe('unknown-number');
  });

  it('explains a number as people write it, and says how it was read', async () => {
    a = await startAdminRig();
    const written = await a.as('supervisor', {
      method: 'POST',
      url: '/rules/explain',
      payload: { number: '+86 123-96', at: '2021-10-01' },
    });
    expect(written.statusCode).toBe(200);
    expect(written.json().explanation.line.id).toBe('l12396');
    expect(JSON.stringify(written.json().explanation)).toContain('country code +86 removed');
    const letters = await a.as('supervisor', {
      method: 'POST',
      url: '/rules/explain',
      payload: { number: '12396; DROP' },
    });
    expect(letters.statusCode).toBe(400);
  });
});
