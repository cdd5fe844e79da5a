import { afterAll, describe, expect, it } from 'vitest';
import type { CallState } from '../../src/calls/core/types.ts';
import { STASIS_RETRY } from '../../src/deploy/extensions.ts';
import { type Rig, readyAgents, startRig } from '../support/engine-harness.ts';
import { heapMiB, reportScenario } from '../support/scenario-report.ts';

let rig: Rig | undefined;
afterAll(async () => {
  await rig?.close();
});

/** The shipped dialplan's retries: a call meeting no engine rings, then tries again. */
const dialplan = { ...STASIS_RETRY };

describe('a 1 s ARI WebSocket outage with calls at every stage', () => {
  it('keeps every call, and a call that arrives during the outage is served when it returns', async () => {
    const heapBefore = heapMiB();
    const r = await startRig({ roster: [agent('b1'), agent('b2'), agent('b3')], promptMs: 2000 });
    rig = r;
    const engine = r.hotline.engine;
    const stage = (id: string) => engine.call(id)?.stage;
    await readyAgents(r, [
      { id: 'b1', endpoint: 'PJSIP/b1', answerAfterMs: 200 },
      { id: 'b2', endpoint: 'PJSIP/b2', answerAfterMs: 200 },
    ]);
    const call = (n: number) =>
      r.sim.injectCall({ app: 'hotline', dialed: '12345', callerNumber: `1390000006${n}`, dialplan })
        .channelId;

    const talking = call(1);
    await r.runUntil('talking', () => stage(talking) === 'talking', { maxVirtualMs: 10_000 });
    const transferring = call(2);
    await r.runUntil('second talking', () => stage(transferring) === 'talking', { maxVirtualMs: 10_000 });
    await readyAgents(r, [{ id: 'b3', endpoint: 'PJSIP/b3', answerAfterMs: 3000 }]);
    const ringing = call(3);
    await r.runUntil('ringing', () => stage(ringing) === 'ringing', { maxVirtualMs: 10_000 });
    const queued = call(4);
    await r.runUntil('queued', () => stage(queued) === 'queued', { maxVirtualMs: 10_000 });
    const inIvr = call(5);
    await r.runUntil('in the IVR', () => stage(inIvr) === 'ivr', { maxVirtualMs: 5_000 });

    // The sub-center is dialed just before the outage and answers 2.5 s later, after it.
    r.sim.setEndpoint('PJSIP/12366@sc-tax', { behaviour: 'answer', answerAfterMs: 2500, online: true });
    engine.request(transferring, { kind: 'transfer', target: 'subcenter:tax', mode: 'three-way' });
    await r.runUntil(
      'dialing the sub-center',
      () => engine.call(transferring)?.transfers?.[0]?.result === 'dialing',
    );
    r.sim.refuseWebSockets(1_000);
    r.sim.dropWebSockets('hotline');
    await r.runUntil('the engine to see the outage', () => !r.hotline.telephony.connected, {
      maxVirtualMs: 2_000,
    });
    const during = call(6);
    expect(engine.call(during)).toBeUndefined();
    await r.runUntil('reconnected', () => r.hotline.telephony.reconnects === 1, { maxVirtualMs: 10_000 });
    await r.runUntil('the call from the outage', () => stage(during) !== undefined, {
      maxVirtualMs: 2 * STASIS_RETRY.waitMs + 1000,
    });
    expect(r.sim.stats().callsFallback).toBe(0);

    await r.runUntil('caught up', () => stage(ringing) === 'talking' && stage(during) === 'queued', {
      maxVirtualMs: 20_000,
    });
    expect(stage(talking)).toBe('talking');
    expect(engine.call(talking)?.agent?.agentId).toBe('b1');
    expect(engine.call(ringing)?.agent?.agentId).toBe('b3');
    // The transfer under way across the outage completes: caller, agent and sub-center talk.
    await r.runUntil(
      'the sub-center on the call',
      () => engine.call(transferring)?.transfers?.[0]?.result === 'connected',
    );
    expect(engine.call(transferring)?.agent?.agentId).toBe('b2');
    expect(stage(transferring)).toBe('talking');
    expect(stage(queued)).toBe('queued');

    const ended: CallState[] = [];
    engine.onEnded((s) => ended.push(s));
    const calls = [talking, transferring, ringing, queued, inIvr, during];
    for (const id of calls) r.sim.hangup(id);
    await r.runUntil('six records', () => r.records.records.length === calls.length, {
      maxVirtualMs: 10_000,
    });
    expect(new Set(r.records.records.map((x) => x.callId))).toEqual(new Set(calls));
    expect(ended.filter((s) => s.disposition === 'abandoned-queue')).toHaveLength(3);
    await r.runUntil('no leaks', () => r.sim.stats().liveChannels === 0 && r.sim.stats().liveBridges === 0);
    // Once all is settled: one record per call, none picked up again from the resync's listing.
    expect(r.records.records.map((x) => x.idempotencyKey).sort()).toEqual(
      calls.map((c) => `${c}:record`).sort(),
    );
    await r.close();
    rig = undefined;
    reportScenario({
      scenario: 'ari-outage-1s',
      calls: calls.length,
      faultsInjected: 1,
      recordsExpected: calls.length,
      recordsDelivered: r.records.records.length,
      heapBeforeMiB: heapBefore,
      heapAfterMiB: heapMiB(),
      stages: 'talking,mid-transfer,ringing,queued,ivr,arriving',
      leakedChannels: r.sim.stats().liveChannels,
      leakedBridges: r.sim.stats().liveBridges,
    });
  }, 60_000);
});

const agent = (id: string) => ({ id, name: id, pools: ['general'], skills: { general: 5 } });

describe('a 30 s ARI WebSocket outage with calls at every stage', () => {
  it('keeps every call: what happened meanwhile is caught up, lost legs are retried, all end with records', async () => {
    const heapBefore = heapMiB();
    rig = await startRig({ roster: [agent('a1'), agent('a2'), agent('a3')], promptMs: 2000 });
    const engine = rig.hotline.engine;
    const stage = (id: string) => engine.call(id)?.stage;
    await readyAgents(rig, [
      { id: 'a1', endpoint: 'PJSIP/a1', answerAfterMs: 300 },
      { id: 'a2', endpoint: 'PJSIP/a2', answerAfterMs: 300 },
    ]);
    const call = (n: number) =>
      rig!.sim.injectCall({ app: 'hotline', dialed: '12345', callerNumber: `1390000005${n}` }).channelId;

    const talking = call(1);
    await rig.runUntil('talking', () => stage(talking) === 'talking', { maxVirtualMs: 10_000 });
    const transferring = call(2);
    await rig.runUntil('second talking', () => stage(transferring) === 'talking', { maxVirtualMs: 10_000 });
    rig.sim.setEndpoint('PJSIP/12366@sc-tax', { behaviour: 'answer', answerAfterMs: 8000, online: true });
    engine.request(transferring, { kind: 'transfer', target: 'subcenter:tax', mode: 'three-way' });
    // a3's phone answers 6 s after it starts ringing: during the outage.
    await readyAgents(rig, [{ id: 'a3', endpoint: 'PJSIP/a3', answerAfterMs: 6000 }]);
    const ringing = call(3);
    await rig.runUntil('ringing', () => stage(ringing) === 'ringing', { maxVirtualMs: 10_000 });
    const queued = call(4);
    await rig.runUntil('queued', () => stage(queued) === 'queued', { maxVirtualMs: 10_000 });
    const inIvr = call(5);
    await rig.runUntil('in the IVR', () => stage(inIvr) === 'ivr', { maxVirtualMs: 5_000 });

    rig.sim.refuseWebSockets(30_000);
    rig.sim.dropWebSockets('hotline');
    const down = rig.clock.now();
    // A call arriving now rings through the dialplan's retries, then takes the safety net
    // (Asterisk's own queue of agents): the engine never sees it, and it is not lost.
    const during = rig.sim.injectCall({
      app: 'hotline',
      dialed: '12345',
      callerNumber: '13900000059',
      dialplan: { ...STASIS_RETRY },
    }).channelId;
    await rig.runUntil('reconnected', () => rig!.hotline.telephony.reconnects === 1, {
      maxVirtualMs: 50_000,
    });
    expect(rig.sim.callOutcome(during)).toMatchObject({ fallback: true, hangupBy: 'dialplan' });
    expect(engine.call(during)).toBeUndefined();
    expect(rig.clock.now() - down).toBeGreaterThanOrEqual(29_000);
    // a3 answered during the outage; with the app unregistered the answered leg could not enter
    // Stasis and was lost. The agent is not blamed (no RONA): the call is offered to a3 again.
    await rig.runUntil('caught up', () => stage(ringing) === 'talking' && stage(inIvr) === 'queued', {
      maxVirtualMs: 20_000,
    });

    expect(stage(talking)).toBe('talking');
    // The sub-center answered during the outage and its leg was lost the same way: the caller is
    // still with the agent, and the transfer is reported as failed.
    expect(stage(transferring)).toBe('talking');
    expect(engine.call(transferring)?.agent?.agentId).toBe('a2');
    expect(engine.call(transferring)?.transfers?.[0]?.result).toMatch(/failed|unreachable|no-answer/);
    expect(engine.call(ringing)?.agent?.agentId).toBe('a3');
    expect(engine.call(ringing)?.events.find((e) => e.what === 'offer-failed')?.detail?.outcome).toBe(
      'failed',
    );
    expect(stage(queued)).toBe('queued');

    const ended: CallState[] = [];
    engine.onEnded((s) => ended.push(s));
    for (const id of [talking, transferring, ringing, queued, inIvr]) rig.sim.hangup(id);
    await rig.runUntil('five records', () => rig!.records.records.length === 5, { maxVirtualMs: 10_000 });
    expect(ended.map((s) => s.disposition).sort()).toEqual([
      'abandoned-queue',
      'abandoned-queue',
      'answered',
      'answered',
      'answered',
    ]);
    await rig.runUntil(
      'no leaks',
      () => rig!.sim.stats().liveChannels === 0 && rig!.sim.stats().liveBridges === 0,
    );
    // Once all is settled: one record per call, none picked up again from the resync's listing.
    const keys = rig.records.records.map((x) => x.idempotencyKey);
    expect(keys.sort()).toEqual(
      [talking, transferring, ringing, queued, inIvr].map((c) => `${c}:record`).sort(),
    );
    reportScenario({
      scenario: 'ari-outage-30s',
      calls: 6,
      faultsInjected: 1,
      recordsExpected: 5,
      recordsDelivered: rig.records.records.length,
      safetyNetCalls: rig.sim.stats().callsFallback,
      heapBeforeMiB: heapBefore,
      heapAfterMiB: heapMiB(),
      stages: 'talking,mid-transfer,ringing,queued,ivr,arriving',
      leakedChannels: rig.sim.stats().liveChannels,
      leakedBridges: rig.sim.stats().liveBridges,
    });
  }, 90_000);
});
