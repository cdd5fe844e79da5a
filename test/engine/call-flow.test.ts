import { afterEach, describe, expect, it } from 'vitest';
import { generalAgent, type Rig, readyAgents, startRig } from '../support/engine-harness.ts';

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

const noLeaks = (r: Rig) => r.sim.stats().liveChannels === 0 && r.sim.stats().liveBridges === 0;

describe('a call through the engine, the real ari-client and the simulator', () => {
  it('answers 12345, queues the caller and connects the agent; both hang up and nothing leaks', async () => {
    rig = await startRig({ roster: [generalAgent('a1001')] });
    await readyAgents(rig, [{ id: 'a1001', endpoint: 'PJSIP/agent1001', hangupAfterMs: 20_000 }]);
    const { channelId } = rig.sim.injectCall({
      app: 'hotline',
      dialed: '12345',
      callerNumber: '13800138000',
    });
    await rig.runUntil('the record', () => rig!.records.records.length === 1);
    const record = rig.records.records[0]!;
    expect(record).toMatchObject({
      callId: channelId,
      dialed: '12345',
      disposition: 'answered',
      agentId: 'a1001',
      queue: { kind: 'pool', id: 'general' },
      callerMasked: '138******00',
    });
    expect(record.prompts).toContain('welcome-12345');
    expect(record.talkSeconds).toBeGreaterThanOrEqual(15);
    await rig.runUntil('no live channels or bridges', () => noLeaks(rig!));
    const agent = await rig.hotline.store.getAgent('a1001');
    expect(['wrap-up', 'ready']).toContain(agent?.status.state);
  });

  it('records a caller who hangs up in the queue as abandoned there', async () => {
    rig = await startRig({ roster: [generalAgent('a1001')] });
    rig.sim.injectCall({
      app: 'hotline',
      dialed: '12345',
      callerNumber: '13900000001',
      script: [{ wait: 10_000 }, { hangup: true }],
    });
    await rig.runUntil('the record', () => rig!.records.records.length === 1);
    expect(rig.records.records[0]).toMatchObject({ disposition: 'abandoned-queue' });
    await rig.runUntil('no live channels or bridges', () => noLeaks(rig!));
  });

  it('offers the call to a second agent when the first does not answer (RONA)', async () => {
    rig = await startRig({ roster: [generalAgent('a1001'), generalAgent('a1002')] });
    await readyAgents(rig, [
      { id: 'a1001', endpoint: 'PJSIP/agent1001', behaviour: 'no-answer' },
      { id: 'a1002', endpoint: 'PJSIP/agent1002', answerAfterMs: 2000, hangupAfterMs: 5000 },
    ]);
    // a1001 became ready first, so longest-idle picks it first.
    rig.sim.injectCall({ app: 'hotline', dialed: '12345', callerNumber: '13900000002' });
    await rig.runUntil('the record', () => rig!.records.records.length === 1);
    const record = rig.records.records[0]!;
    expect(record.agentId).toBe('a1002');
    expect(record.offers).toEqual([{ agentId: 'a1001', outcome: 'rona' }]);
    const first = await rig.hotline.store.getAgent('a1001');
    expect(first?.status).toMatchObject({ state: 'not-ready', notReadyReason: 'rona' });
  });

  it('plays the transition notice for a merging number inside its window and not outside', async () => {
    const caller = {
      app: 'hotline',
      dialed: '12396',
      callerNumber: '13900000003',
      script: [{ wait: 8000 }, { hangup: true as const }],
    };
    rig = await startRig({ roster: [generalAgent('a1001')], at: '2021-06-15T10:00:00+08:00' });
    rig.sim.injectCall(caller);
    await rig.runUntil('the record', () => rig!.records.records.length === 1);
    expect(rig.records.records[0]).toMatchObject({
      phase: { kind: 'transition' },
      prompts: ['transition-whole-merge'],
    });
    await rig.close();

    rig = await startRig({ roster: [generalAgent('a1001')], at: '2021-05-15T10:00:00+08:00' });
    rig.sim.injectCall(caller);
    await rig.runUntil('the record', () => rig!.records.records.length === 1);
    expect(rig.records.records[0]).toMatchObject({ phase: { kind: 'before-merge' }, prompts: [] });
  });

  it('tells a caller of a deregistered number to dial 12345 and still offers 12345 service', async () => {
    rig = await startRig({ roster: [generalAgent('a1001')], at: '2022-03-01T10:00:00+08:00' });
    await readyAgents(rig, [{ id: 'a1001', endpoint: 'PJSIP/agent1001', hangupAfterMs: 3000 }]);
    rig.sim.injectCall({ app: 'hotline', dialed: '12396', callerNumber: '13900000004' });
    await rig.runUntil('the record', () => rig!.records.records.length === 1);
    const r = rig.records.records[0]!;
    expect(r.phase.kind).toBe('deregistered');
    expect(r.prompts.slice(0, 2)).toEqual(['deregistered-notice', 'welcome-12345']);
    expect(r).toMatchObject({ disposition: 'answered', agentId: 'a1001', queue: { skill: 'science' } });
  });
});
