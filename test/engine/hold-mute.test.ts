import { afterEach, describe, expect, it } from 'vitest';
import { CallRecord } from '../../src/records/schema.ts';
import { type Rig, readyAgents, startRig } from '../support/engine-harness.ts';

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

/** A citizen talking with agent a1001 on the simulator. */
async function talking(): Promise<{ rig: Rig; callId: string; agentChannel: string }> {
  rig = await startRig({
    roster: [
      { id: 'a1001', name: 'a1001', endpoint: 'PJSIP/agent1001', pools: ['general'], skills: { general: 5 } },
    ],
    at: '2026-11-24T10:00:00+08:00',
  });
  await readyAgents(rig, [{ id: 'a1001', endpoint: 'PJSIP/agent1001', answerAfterMs: 500 }]);
  const { channelId } = rig.sim.injectCall({ app: 'hotline', dialed: '12345', callerNumber: '13800138000' });
  const r = rig;
  await r.runUntil('talking', () => r.hotline.engine.call(channelId)?.stage === 'talking');
  return { rig: r, callId: channelId, agentChannel: r.hotline.engine.call(channelId)!.agent!.channelId };
}

const channel = (r: Rig, id: string) => r.sim.channels().find((c) => c.id === id);
const recordOf = (r: Rig, callId: string) => r.records.records.find((x) => x.callId === callId);

describe('hold (保持)', () => {
  it('plays music on hold on the citizen’s channel and stops it when the agent takes them back', async () => {
    const { rig: r, callId } = await talking();
    expect(r.hotline.engine.request(callId, { kind: 'hold' })).toEqual({ ok: true });
    await r.runUntil('music on the caller', () => channel(r, callId)?.moh === 'default');
    // The citizen stays in the call's bridge with the agent: only their own channel hears music.
    const call = r.hotline.engine.call(callId)!;
    expect(channel(r, callId)?.bridgeId).toBe(call.bridgeId);
    expect(channel(r, call.agent!.channelId)?.moh).toBeUndefined();
    expect(call.hold).toMatchObject({ count: 1, totalMs: 0 });

    await r.advance(40_000);
    expect(r.hotline.engine.request(callId, { kind: 'unhold' })).toEqual({ ok: true });
    await r.runUntil('music stopped', () => channel(r, callId)?.moh === undefined);
    expect(r.hotline.engine.call(callId)!.hold).toEqual({ count: 1, totalMs: 40_000 });
  });

  it('puts the number of holds and their total time in the call record', async () => {
    const { rig: r, callId } = await talking();
    r.hotline.engine.request(callId, { kind: 'hold' });
    await r.advance(20_000);
    r.hotline.engine.request(callId, { kind: 'unhold' });
    await r.advance(5_000);
    r.hotline.engine.request(callId, { kind: 'hold' });
    // A second hold asked for while on hold changes nothing.
    r.hotline.engine.request(callId, { kind: 'hold' });
    await r.advance(12_000);
    // The citizen hangs up on hold: the open hold counts until the end.
    r.sim.hangup(callId);
    await r.runUntil('record written', () => recordOf(r, callId) !== undefined);
    const record = recordOf(r, callId)!;
    expect(record).toMatchObject({ holdCount: 2, holdSeconds: 32 });
    expect(CallRecord.parse(record)).toMatchObject({ holdCount: 2, holdSeconds: 32 });
  });

  it('stops the music when the agent hangs up while the citizen is on hold', async () => {
    const { rig: r, callId, agentChannel } = await talking();
    r.hotline.engine.request(callId, { kind: 'hold' });
    await r.runUntil('music on the caller', () => channel(r, callId)?.moh === 'default');
    await r.advance(10_000);
    r.sim.hangup(agentChannel);
    await r.runUntil('agent gone', () => r.hotline.engine.call(callId)?.stage !== 'talking');
    await r.runUntil(
      'music stopped',
      () => channel(r, callId) === undefined || channel(r, callId)?.moh === undefined,
    );
    await r.runUntil('record written', () => recordOf(r, callId) !== undefined, { maxVirtualMs: 600_000 });
    expect(recordOf(r, callId)).toMatchObject({ holdCount: 1, holdSeconds: 10 });
  });

  it('takes the citizen back when the agent starts a transfer while they are on hold, and refuses hold during it', async () => {
    const { rig: r, callId } = await talking();
    r.sim.setEndpoint('PJSIP/12366@sc-tax', { behaviour: 'answer', answerAfterMs: 5_000, online: true });
    r.hotline.engine.request(callId, { kind: 'hold' });
    await r.runUntil('music on the caller', () => channel(r, callId)?.moh === 'default');
    await r.advance(8_000);
    expect(
      r.hotline.engine.request(callId, { kind: 'transfer', target: 'subcenter:tax', mode: 'three-way' }),
    ).toMatchObject({
      ok: true,
    });
    await r.runUntil('music stopped', () => channel(r, callId)?.moh === undefined);
    expect(r.hotline.engine.call(callId)!.hold).toEqual({ count: 1, totalMs: 8_000 });
    expect(r.hotline.engine.request(callId, { kind: 'hold' })).toMatchObject({
      ok: false,
      code: 'transfer-in-progress',
    });
    // The agent may still mute while the transfer is under way.
    expect(r.hotline.engine.request(callId, { kind: 'mute', on: true })).toEqual({ ok: true });
  });

  it('leaves records of calls never held without hold figures (older records stay valid)', async () => {
    const { rig: r, callId } = await talking();
    r.sim.hangup(callId);
    await r.runUntil('record written', () => recordOf(r, callId) !== undefined);
    const record = recordOf(r, callId)!;
    expect(record.holdCount).toBeUndefined();
    expect(record.holdSeconds).toBeUndefined();
  });
});

describe('mute (静音)', () => {
  it('mutes the direction in (what the agent’s phone sends) on the agent’s channel only', async () => {
    const { rig: r, callId, agentChannel } = await talking();
    expect(r.hotline.engine.request(callId, { kind: 'mute', on: true })).toEqual({ ok: true });
    await r.runUntil('agent muted', () => channel(r, agentChannel)?.muted?.join() === 'in');
    expect(channel(r, callId)?.muted).toBeUndefined();
    expect(r.hotline.engine.call(callId)!.muted).toBe(true);
    r.hotline.engine.request(callId, { kind: 'mute', on: false });
    await r.runUntil('agent unmuted', () => channel(r, agentChannel)?.muted === undefined);
    expect(r.hotline.engine.call(callId)!.muted).toBeUndefined();
  });
});

describe('refusals', () => {
  it('refuses hold and mute on a call that is not talking with an agent', async () => {
    rig = await startRig({ roster: [], at: '2026-11-24T10:00:00+08:00' });
    const { channelId } = rig.sim.injectCall({
      app: 'hotline',
      dialed: '12345',
      callerNumber: '13800138000',
    });
    const r = rig;
    await r.runUntil('call live', () => r.hotline.engine.call(channelId) !== undefined);
    for (const req of [{ kind: 'hold' }, { kind: 'unhold' }, { kind: 'mute', on: true }] as const)
      expect(r.hotline.engine.request(channelId, req)).toMatchObject({ ok: false, code: 'not-talking' });
    expect(r.hotline.engine.request('no-such', { kind: 'hold' })).toMatchObject({
      ok: false,
      code: 'no-such-call',
    });
    expect(channel(r, channelId)?.moh).toBeUndefined();
  });
});
