import { afterAll, describe, expect, it } from 'vitest';
import type { CallState } from '../../src/calls/types.ts';
import { type Rig, readyAgents, startRig } from '../support/engine-harness.ts';

let rig: Rig | undefined;
afterAll(async () => {
  await rig?.close();
});

const agent = (id: string) => ({ id, name: id, pools: ['general'], skills: { general: 5 } });

describe('a 30 s ARI WebSocket outage with calls at every stage', () => {
  it('keeps every call: what happened meanwhile is caught up, lost legs are retried, all end with records', async () => {
    rig = await startRig({ roster: [agent('a1'), agent('a2'), agent('a3')], speed: 1, promptMs: 2000 });
    const engine = rig.hotline.engine;
    const stage = (id: string) => engine.call(id)?.stage;
    await readyAgents(rig, [
      { id: 'a1', endpoint: 'PJSIP/a1', answerAfterMs: 300 },
      { id: 'a2', endpoint: 'PJSIP/a2', answerAfterMs: 300 },
    ]);
    const call = (n: number) =>
      rig!.sim.injectCall({ app: 'hotline', dialed: '12345', callerNumber: `1390000005${n}` }).channelId;

    const talking = call(1);
    await rig.until('talking', () => stage(talking) === 'talking', 10_000);
    const transferring = call(2);
    await rig.until('second talking', () => stage(transferring) === 'talking', 10_000);
    rig.sim.setEndpoint('PJSIP/12366@sc-tax', { behaviour: 'answer', answerAfterMs: 8000, online: true });
    engine.request(transferring, { kind: 'transfer', target: 'subcenter:tax', mode: 'three-way' });
    // a3's phone answers 6 s after it starts ringing: during the outage.
    await readyAgents(rig, [{ id: 'a3', endpoint: 'PJSIP/a3', answerAfterMs: 6000 }]);
    const ringing = call(3);
    await rig.until('ringing', () => stage(ringing) === 'ringing', 10_000);
    const queued = call(4);
    await rig.until('queued', () => stage(queued) === 'queued', 10_000);
    const inIvr = call(5);
    await rig.until('in the IVR', () => stage(inIvr) === 'ivr', 5_000);

    rig.sim.refuseWebSockets(30_000);
    rig.sim.dropWebSockets('hotline');
    const down = Date.now();
    await rig.until('reconnected', () => rig!.hotline.telephony.reconnects === 1, 50_000);
    expect(Date.now() - down).toBeGreaterThanOrEqual(29_000);
    // a3 answered during the outage; with the app unregistered the answered leg could not enter
    // Stasis and was lost. The agent is not blamed (no RONA): the call is offered to a3 again.
    await rig.until('caught up', () => stage(ringing) === 'talking' && stage(inIvr) === 'queued', 20_000);

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
    await rig.until('five records', () => rig!.records.records.length === 5, 10_000);
    expect(ended.map((s) => s.disposition).sort()).toEqual([
      'abandoned-queue',
      'abandoned-queue',
      'answered',
      'answered',
      'answered',
    ]);
    await rig.until(
      'no leaks',
      () => rig!.sim.stats().liveChannels === 0 && rig!.sim.stats().liveBridges === 0,
    );
  }, 90_000);
});
