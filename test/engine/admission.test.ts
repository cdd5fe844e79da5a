import { afterEach, describe, expect, it } from 'vitest';
import { ENGINE_SHED_CONTEXT } from '../../src/admission/gate.ts';
import { CallRecord } from '../../src/records/schema.ts';
import { forcedOnlyAdmission } from '../support/admission.ts';
import { generalAgent, type Rig, readyAgents, startRig } from '../support/engine-harness.ts';

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

/**
 * Admission control with thresholds no test run reaches: the state is only what the test forces
 * (the monitor still samples the real event loop, which a busy machine may slow down).
 */
const noLeaks = (r: Rig) => r.sim.stats().liveChannels === 0 && r.sim.stats().liveBridges === 0;

describe('admission control in the engine', () => {
  it('hands a new call to the safety net while shedding, and keeps serving the call already in the engine', async () => {
    rig = await startRig({ roster: [generalAgent('a1001')], admission: forcedOnlyAdmission() });
    const admission = rig.hotline.engine.admission!;
    const rest: string[] = [];
    rig.sim.onRest((e) => rest.push(`${e.method} ${e.path}`));
    const handed: unknown[] = [];
    const telephony = rig.hotline.telephony;
    const handOver = telephony.continueInDialplan.bind(telephony);
    telephony.continueInDialplan = (channel, to) => {
      handed.push({ channel, to });
      return handOver(channel, to);
    };
    const served = rig.sim.injectCall({ app: 'hotline', dialed: '12345', callerNumber: '13800138000' });
    await rig.runUntil('the first call waits in the queue', () => {
      return rig!.hotline.engine.call(served.channelId)?.stage === 'queued';
    });

    // Held in the state machine only (not through the monitor): the dialplan gate is still open, as
    // for a call whose StasisStart was on its way when the engine began to shed.
    admission.admission.force('shedding');
    const shed = rig.sim.injectCall({ app: 'hotline', dialed: '12345', callerNumber: '13900000001' });
    await rig.runUntil('the shed call record and its hand-over', () => {
      const recorded = rig!.records.records.some((r) => r.callId === shed.channelId);
      return recorded && rest.some((r) => r.includes(`/channels/${shed.channelId}/continue`));
    });
    const record = rig.records.records.find((r) => r.callId === shed.channelId)!;
    expect(CallRecord.parse(record)).toMatchObject({ disposition: 'shed', shedReason: 'forced' });
    expect(handed).toEqual([
      {
        channel: shed.channelId,
        to: { context: ENGINE_SHED_CONTEXT, extension: '12345', priority: 1, label: 'forced' },
      },
    ]);
    const shedRequests = rest.filter((r) => r.includes(`/channels/${shed.channelId}/`));
    // No channel variable is set over ARI (it would block the safety net's FILE() note).
    expect(shedRequests).toEqual([`POST /channels/${shed.channelId}/continue`]);
    expect(rig.hotline.engine.stats.shed).toBe(1);
    expect(admission.shed.get('forced')).toBe(1);

    // The call that was already in the engine still gets its agent.
    await readyAgents(rig, [{ id: 'a1001', endpoint: 'PJSIP/agent1001', hangupAfterMs: 5_000 }]);
    await rig.runUntil('the first call record', () =>
      rig!.records.records.some((r) => r.callId === served.channelId),
    );
    expect(rig.records.records.find((r) => r.callId === served.channelId)).toMatchObject({
      disposition: 'answered',
      agentId: 'a1001',
    });
    await rig.runUntil('no live channels or bridges', () => noLeaks(rig!));
    expect(rig.records.records.filter((r) => r.callId === shed.channelId)).toHaveLength(1);
  });

  it('takes new calls again once the state is back to normal', async () => {
    rig = await startRig({ roster: [generalAgent('a1001')], admission: forcedOnlyAdmission() });
    const admission = rig.hotline.engine.admission!;
    admission.admission.force('critical');
    const first = rig.sim.injectCall({
      app: 'hotline',
      dialed: '12345',
      callerNumber: '13900000002',
    });
    await rig.runUntil('the shed record', () => rig!.records.records.length === 1);
    expect(rig.records.records[0]).toMatchObject({ callId: first.channelId, disposition: 'shed' });

    admission.admission.force(undefined);
    const second = rig.sim.injectCall({
      app: 'hotline',
      dialed: '12345',
      callerNumber: '13900000003',
      script: [{ wait: 4_000 }, { hangup: true }],
    });
    await rig.runUntil('the second record', () => rig!.records.records.length === 2);
    const record = rig.records.records[1]!;
    expect(record).toMatchObject({ callId: second.channelId });
    expect(record.disposition).not.toBe('shed');
    expect(record.prompts).toContain('welcome-12345');
    expect(rig.hotline.engine.stats.shed).toBe(1);
  });

  it("hands a call with no dialed number to the safety net as its line's number (the context matches digits)", async () => {
    rig = await startRig({ roster: [], admission: forcedOnlyAdmission() });
    const handed: { extension: string; label?: string }[] = [];
    const telephony = rig.hotline.telephony;
    const handOver = telephony.continueInDialplan.bind(telephony);
    telephony.continueInDialplan = (channel, to) => {
      handed.push(to);
      return handOver(channel, to);
    };
    rig.hotline.engine.admission!.admission.force('critical');
    rig.sim.injectCall({ app: 'hotline', dialed: 's', callerNumber: '13900000009' });
    await rig.runUntil('the hand-over', () => handed.length === 1);
    expect(handed[0]).toMatchObject({ extension: '12345', label: 'forced' });
  });

  it('takes every call when the engine runs without admission control', async () => {
    rig = await startRig({ roster: [generalAgent('a1001')] });
    expect(rig.hotline.engine.admission).toBeUndefined();
  });
});
