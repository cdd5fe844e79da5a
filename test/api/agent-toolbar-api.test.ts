import { afterEach, describe, expect, it } from 'vitest';
import { Center, DEFAULT_NOT_READY_REASONS } from '../../src/plan/schema.ts';
import { type AdminRig, startAdminRig } from '../admin/admin-rig.ts';
import { readyAgents } from '../support/engine-harness.ts';

/**
 * What the agent toolbar relies on from the API: a login that waits for 就绪, the center's list of
 * not-ready reasons (and nothing else), no leaving a call while the transfer target still rings,
 * and 派发工单 for the call under way.
 */
let a: AdminRig | undefined;
afterEach(async () => {
  await a?.close();
  a = undefined;
});

const TAX = 'PJSIP/12366@sc-tax';
const CENTER_REASONS = ['小休', '用餐', '培训', '会议', '事后处理'];

const post = (who: 'a1001' | 'supervisor', url: string, payload?: object) =>
  a!.as(who, { method: 'POST', url, ...(payload === undefined ? {} : { payload }) });

/** a1001 ready (through the store) and talking with a caller; the sub-center answers after `taxAnswerMs`. */
async function talking(taxAnswerMs: number) {
  a = await startAdminRig();
  const rig = a.rig;
  await readyAgents(rig, [{ id: 'a1001', endpoint: 'PJSIP/agent1001', answerAfterMs: 300 }]);
  rig.sim.setEndpoint(TAX, { behaviour: 'answer', answerAfterMs: taxAnswerMs, online: true });
  const { channelId } = rig.sim.injectCall({ app: 'hotline', dialed: '12345', callerNumber: '13800138000' });
  const call = () => rig.hotline.engine.call(channelId);
  await rig.runUntil('talking to a1001', () => call()?.stage === 'talking');
  return { rig, channelId, call };
}

describe('logging in', () => {
  it('leaves the agent not-ready (登录) and offers it no call until it says ready', async () => {
    a = await startAdminRig();
    const rig = a.rig;
    rig.sim.setEndpoint('PJSIP/agent1001', { behaviour: 'answer', answerAfterMs: 300, online: true });
    const login = await post('a1001', '/agents/a1001/login', { endpoint: 'PJSIP/agent1001' });
    expect(login.statusCode).toBe(200);
    expect(login.json()).toMatchObject({ state: 'not-ready', notReadyReason: '登录' });

    const { channelId } = rig.sim.injectCall({
      app: 'hotline',
      dialed: '12345',
      callerNumber: '13800138000',
    });
    const call = () => rig.hotline.engine.call(channelId);
    await rig.runUntil('the call waiting in the queue', () => call()?.stage === 'queued');
    await rig.advance(20_000);
    expect(call()?.stage).toBe('queued');
    expect((await rig.hotline.store.getAgent('a1001'))?.status.state).toBe('not-ready');

    expect((await post('a1001', '/agents/a1001/ready')).json()).toMatchObject({ state: 'ready' });
    await rig.runUntil(
      'a1001 talking',
      () => call()?.stage === 'talking' && call()?.agent?.agentId === 'a1001',
    );
    rig.sim.hangup(channelId);
  });
});

describe('not-ready reasons', () => {
  it("lists the center's reasons for the toolbar", async () => {
    a = await startAdminRig();
    const res = await a.as('a1001', { method: 'GET', url: '/not-ready-reasons' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ reasons: CENTER_REASONS });
  });

  it('refuses a reason not on the list with 400 naming body.reason, from the agent and a supervisor alike', async () => {
    a = await startAdminRig();
    expect((await post('a1001', '/agents/a1001/login', {})).statusCode).toBe(200);
    for (const who of ['a1001', 'supervisor'] as const) {
      const nap = await post(who, '/agents/a1001/not-ready', { reason: 'nap' });
      expect(nap.statusCode).toBe(400);
      expect(nap.json()).toMatchObject({ error: 'invalid-request', field: 'body.reason' });
      expect(nap.json().message).toContain('小休');
    }
    expect((await a.rig.hotline.store.getAgent('a1001'))?.status.notReadyReason).toBe('登录');
    expect(a.audit.entries).toEqual([]); // nothing was changed, so nothing was audited

    const meal = await post('a1001', '/agents/a1001/not-ready', { reason: '用餐' });
    expect(meal.statusCode).toBe(200);
    expect(meal.json()).toMatchObject({ state: 'not-ready', notReadyReason: '用餐' });
  });

  it('takes the list of a newly published plan at once', async () => {
    a = await startAdminRig();
    const { files } = (await a.as('admin', { method: 'GET', url: '/rules' })).json();
    const center = (files['center.yaml'] as string).replace(
      'notReadyReasons: [小休, 用餐, 培训, 会议, 事后处理]',
      'notReadyReasons: [小休, 学习]',
    );
    expect(center).not.toBe(files['center.yaml']);
    const published = await a.as('admin', {
      method: 'POST',
      url: '/rules/publish',
      payload: { files: { ...files, 'center.yaml': center }, message: '未就绪原因' },
    });
    expect(published.statusCode).toBe(201);
    expect((await a.as('a1001', { method: 'GET', url: '/not-ready-reasons' })).json()).toEqual({
      reasons: ['小休', '学习'],
    });
    await post('a1001', '/agents/a1001/login', {});
    expect((await post('a1001', '/agents/a1001/not-ready', { reason: '学习' })).statusCode).toBe(200);
    expect((await post('a1001', '/agents/a1001/not-ready', { reason: '用餐' })).statusCode).toBe(400);
  });

  it('is checked when the rules load: a repeated reason is refused, none given means the default list', () => {
    const base = {
      id: 'c',
      name: '测试中心',
      timezone: 'Asia/Shanghai',
      prompts: 'prompts/manifest.yaml',
      fallback: { goto: 'pool:general' },
    };
    expect(Center.parse(base).notReadyReasons).toEqual(DEFAULT_NOT_READY_REASONS);
    const repeated = Center.safeParse({ ...base, notReadyReasons: ['小休', '小休'] });
    expect(repeated.success).toBe(false);
    expect(repeated.error?.issues[0]).toMatchObject({
      path: ['notReadyReasons'],
      message: 'must not repeat a reason',
    });
    expect(Center.safeParse({ ...base, notReadyReasons: [] }).success).toBe(false);
  });
});

describe('leaving a call under transfer', () => {
  it.each(['three-way', 'consult'] as const)(
    '%s: refuses 409 not-answered while the target rings, and lets the agent leave once it answered',
    async (mode) => {
      const { rig, channelId, call } = await talking(5_000);
      const started = await post('a1001', `/calls/${channelId}/transfers`, { target: 'subcenter:tax', mode });
      expect(started.statusCode).toBe(202);
      const early = await a!.as('a1001', { method: 'DELETE', url: `/calls/${channelId}/agent` });
      expect(early.statusCode).toBe(409);
      expect(early.json()).toMatchObject({ error: 'not-answered' });
      expect(early.json().message).toContain('subcenter:tax has not answered yet');
      expect(call()?.agent?.agentId).toBe('a1001');
      expect(call()?.transfer?.answeredAt).toBeUndefined();

      await rig.runUntil('the sub-center answered', () => call()?.transfer?.answeredAt !== undefined);
      const left = await a!.as('a1001', { method: 'DELETE', url: `/calls/${channelId}/agent` });
      expect(left.statusCode).toBe(200);
      await rig.runUntil('caller with the sub-center', () => call()?.stage === 'transferred');
      rig.sim.hangup(channelId);
    },
  );
});

describe('派发工单', () => {
  it('dispatches a work order for the call under way (201) and the call record carries it', async () => {
    const { rig, channelId } = await talking(1_000);
    const empty = await post('a1001', `/calls/${channelId}/tickets`, { target: 'subcenter:tax', reason: '' });
    expect(empty.statusCode).toBe(400);
    expect(empty.json()).toMatchObject({ field: 'body.reason' });
    const res = await post('a1001', `/calls/${channelId}/tickets`, {
      target: 'subcenter:tax',
      reason: '个税汇算退税进度查询，需税务部门答复',
    });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ ticketId: expect.any(String), target: 'subcenter:tax' });
    // Another agent's token may not dispatch on this call.
    const other = await a!.as('a1002', {
      method: 'POST',
      url: `/calls/${channelId}/tickets`,
      payload: { target: 'subcenter:tax', reason: '越权' },
    });
    expect(other.statusCode).toBe(403);
    rig.sim.hangup(channelId);
    await rig.runUntil('the record', () => rig.records.records.some((r) => r.callId === channelId));
    const record = rig.records.records.find((r) => r.callId === channelId)!;
    expect(record.transfers).toContainEqual(
      expect.objectContaining({
        mode: 'ticket',
        target: { kind: 'subcenter', id: 'tax' },
        reason: '个税汇算退税进度查询，需税务部门答复',
      }),
    );
  });
});
