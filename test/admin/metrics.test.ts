import { afterEach, describe, expect, it } from 'vitest';
import { Tally } from '../../src/synthetic/run-simulation.ts';
import { readyAgents } from '../support/engine-harness.ts';
import { type AdminRig, startAdminRig } from './admin-rig.ts';

let a: AdminRig | undefined;
afterEach(async () => {
  await a?.close();
  a = undefined;
});

/** The value of one sample line of a Prometheus exposition. */
function sample(text: string, name: string, labels = ''): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ''} `));
  return line === undefined ? undefined : Number(line.split(' ').at(-1));
}

async function twoAnsweredTwoAbandoned(rig: AdminRig['rig']) {
  await readyAgents(rig, [
    { id: 'a1001', endpoint: 'PJSIP/agent1001', answerAfterMs: 300 },
    { id: 'a1002', endpoint: 'PJSIP/agent1002', answerAfterMs: 300 },
  ]);
  const ids = ['13800000001', '13800000002', '13800000003', '13800000004'].map(
    (caller) => rig.sim.injectCall({ app: 'hotline', dialed: '12345', callerNumber: caller }).channelId,
  );
  const stage = (id: string) => rig.hotline.engine.call(id)?.stage;
  await rig.runUntil('two talking, two waiting', () => {
    const stages = ids.map(stage);
    return (
      stages.filter((s) => s === 'talking').length === 2 && stages.filter((s) => s === 'queued').length === 2
    );
  });
  return {
    ids,
    talking: ids.filter((id) => stage(id) === 'talking'),
    waiting: ids.filter((id) => stage(id) === 'queued'),
  };
}

describe('metrics and wallboard figures', () => {
  it('count what a simulated run did: offered, answered, abandoned, waits, answer rate', async () => {
    a = await startAdminRig();
    const rig = a.rig;
    const { talking, waiting } = await twoAnsweredTwoAbandoned(rig);
    for (const id of waiting) rig.sim.hangup(id);
    for (const id of talking) rig.sim.hangup(id);
    await rig.runUntil('four records', () => rig.records.records.length === 4);
    const dispositions = rig.records.records.map((r) => r.disposition).sort();
    expect(dispositions).toEqual(['abandoned-queue', 'abandoned-queue', 'answered', 'answered']);

    const res = await a.as('supervisor', { method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    const text = res.body;
    const q = 'line="hotline-12345",queue="pool:general"';
    expect(sample(text, 'hotline_calls_offered_total', q)).toBe(4);
    expect(sample(text, 'hotline_calls_answered_total', q)).toBe(2);
    expect(sample(text, 'hotline_calls_answered_within_service_level_total', q)).toBe(2);
    // From arrival the prompts before the queue count too: never more calls within than from queue entry.
    const fromArrival =
      sample(text, 'hotline_calls_answered_within_service_level_from_arrival_total', q) ?? 0;
    expect(fromArrival).toBeLessThanOrEqual(2);
    expect(sample(text, 'hotline_service_level_from_arrival_24h')).toBe(fromArrival / 4);
    expect(sample(text, 'hotline_calls_abandoned_total', `${q},stage="queue"`)).toBe(2);
    expect(sample(text, 'hotline_queue_wait_seconds_count', 'queue="pool:general",outcome="answered"')).toBe(
      2,
    );
    expect(sample(text, 'hotline_queue_wait_seconds_count', 'queue="pool:general",outcome="abandoned"')).toBe(
      2,
    );
    expect(sample(text, 'hotline_talk_seconds_count', 'queue="pool:general"')).toBe(2);
    expect(sample(text, 'hotline_answer_rate_24h')).toBe(0.5);
    expect(sample(text, 'hotline_abandonment_rate_24h')).toBe(0.5);
    expect(sample(text, 'hotline_line_calls_24h', 'line="hotline-12345"')).toBe(4);
    expect(sample(text, 'hotline_service_level_seconds')).toBe(15);
    expect(sample(text, 'hotline_ari_reconnects_total')).toBe(0);
    expect(sample(text, 'hotline_ari_connected')).toBe(1);
    // the simulator's calls carry no carrier SIP Call-ID: no claim decided them
    expect(sample(text, 'hotline_carrier_call_channels_total', 'outcome="served"')).toBe(0);
    expect(sample(text, 'hotline_records_written_total')).toBe(4);
    const agents = ['ready', 'wrap-up', 'on-call'].reduce(
      (n, state) => n + (sample(text, 'hotline_agents', `state="${state}"`) ?? 0),
      0,
    );
    expect(agents).toBe(2);

    const stats = (await a.as('supervisor', { method: 'GET', url: '/stats' })).json();
    expect(stats.kpi).toMatchObject({
      calls: 4,
      offered: 4,
      answered: 2,
      abandoned: 2,
      answerRate: 0.5,
      abandonmentRate: 0.5,
      serviceLevel: 0.5,
      serviceLevelSeconds: 15,
      perLine: [{ line: 'hotline-12345', calls: 4, name: '12345政务服务便民热线' }],
    });
    expect(stats.kpi.asaSeconds).toBeGreaterThan(0);
    expect(stats.kpi.asaSeconds).toBeLessThan(15);
    expect(stats.kpi.asaFromArrivalSeconds).toBeGreaterThanOrEqual(stats.kpi.asaSeconds);
    expect(stats.kpi.serviceLevelFromArrival).toBeLessThanOrEqual(stats.kpi.serviceLevel);
    expect(stats.agents.map((x: { id: string }) => x.id)).toEqual(['a1001', 'a1002']);
    expect(stats.queues.find((x: { id: string }) => x.id === 'pool:general')).toMatchObject({ waiting: 0 });
  });

  it('count a call whose agent left a three-way call as answered: /metrics, /stats, the record and the simulator summary alike', async () => {
    a = await startAdminRig();
    const rig = a.rig;
    const tally = new Tally(15);
    rig.hotline.engine.onEnded((s) => tally.add(s));
    await readyAgents(rig, [{ id: 'a1001', endpoint: 'PJSIP/agent1001', answerAfterMs: 300 }]);
    rig.sim.setEndpoint('PJSIP/12366@sc-tax', { behaviour: 'answer', answerAfterMs: 1000, online: true });
    const { channelId } = rig.sim.injectCall({
      app: 'hotline',
      dialed: '12345',
      callerNumber: '13800000005',
    });
    const call = () => rig.hotline.engine.call(channelId);
    await rig.runUntil('talking', () => call()?.stage === 'talking');
    expect(
      rig.hotline.engine.request(channelId, { kind: 'transfer', target: 'subcenter:tax', mode: 'three-way' }),
    ).toMatchObject({ ok: true });
    await rig.runUntil('target joined', () => call()?.transfers?.[0]?.result === 'connected');
    expect(rig.hotline.engine.request(channelId, { kind: 'agent-leave' })).toEqual({ ok: true });
    await rig.runUntil('transferred', () => call()?.stage === 'transferred');
    rig.sim.hangup(channelId);
    await rig.runUntil('the record', () => rig.records.records.length === 1);

    const record = rig.records.records[0]!;
    expect(record).toMatchObject({ disposition: 'transferred', agentId: 'a1001' });
    expect(record.times.agentAnsweredAt).toBeDefined();
    expect(record.talkSeconds).toBeGreaterThan(0);
    const text = (await a.as('supervisor', { method: 'GET', url: '/metrics' })).body;
    const q = 'line="hotline-12345",queue="pool:general"';
    expect(sample(text, 'hotline_calls_offered_total', q)).toBe(1);
    expect(sample(text, 'hotline_calls_answered_total', q)).toBe(1);
    expect(sample(text, 'hotline_answer_rate_24h')).toBe(1);
    const stats = (await a.as('supervisor', { method: 'GET', url: '/stats' })).json();
    expect(stats.kpi).toMatchObject({ calls: 1, offered: 1, answered: 1, abandoned: 0, answerRate: 1 });
    expect(tally.summary(1, { liveChannels: 0, liveBridges: 0 }, 1)).toMatchObject({
      answered: 1,
      abandoned: 0,
      transferred: 1,
    });
  });

  it('writes each read of live calls to the access ledger: who, which route, which calls', async () => {
    a = await startAdminRig();
    const rig = a.rig;
    const { ids, talking } = await twoAnsweredTwoAbandoned(rig);
    const list = await a.as('supervisor', { method: 'GET', url: '/calls' });
    expect(list.statusCode).toBe(200);
    expect(JSON.stringify(list.json())).not.toContain('13800000001');
    const mine = rig.hotline.engine.call(talking[0]!)!.agent!.agentId as 'a1001' | 'a1002';
    await a.as(mine, { method: 'GET', url: `/calls/${talking[0]}` });
    const ledger = (await a.as('admin', { method: 'GET', url: '/admin/access-ledger' })).json().entries;
    expect(ledger).toHaveLength(2);
    expect(ledger[1]).toMatchObject({
      tokenId: 'duty-supervisor',
      role: 'supervisor',
      method: 'GET',
      route: '/calls',
    });
    expect([...ledger[1].callIds].sort()).toEqual([...ids].sort());
    expect(ledger[0]).toMatchObject({
      tokenId: mine,
      role: 'agent',
      route: '/calls/:id',
      callIds: [talking[0]],
    });
    expect(Date.parse(ledger[0].at)).not.toBeNaN();
    // Figures without caller data are not ledgered.
    await a.as('supervisor', { method: 'GET', url: '/stats' });
    expect(a.ledger.entries).toHaveLength(2);
    for (const id of ids) rig.sim.hangup(id);
  });
});
