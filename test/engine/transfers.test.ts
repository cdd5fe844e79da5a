import { afterEach, describe, expect, it } from 'vitest';
import type { CallState } from '../../src/calls/core/types.ts';
import type { AgentEvent } from '../../src/calls/runtime/engine.ts';
import { plans, type Rig, readyAgents, startRig } from '../support/engine-harness.ts';

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

const TAX = 'PJSIP/12366@sc-tax';
const noLeaks = (r: Rig) => r.sim.stats().liveChannels === 0 && r.sim.stats().liveBridges === 0;

interface Talk {
  rig: Rig;
  callId: string;
  ended: CallState[];
  events: AgentEvent[];
}

/** A caller talking with agent a1001 on 12345; the tax sub-center's trunk behaves as given. */
async function talking(
  tax: Parameters<Rig['sim']['setEndpoint']>[1] = { behaviour: 'answer', answerAfterMs: 1500, online: true },
  extraRoster: { id: string; name: string; expertSeats?: string[]; skills?: Record<string, number> }[] = [],
): Promise<Talk> {
  rig = await startRig({
    roster: [{ id: 'a1001', name: 'a1001', pools: ['general'], skills: { general: 5 } }, ...extraRoster],
    at: '2026-11-24T10:00:00+08:00',
  });
  await readyAgents(rig, [{ id: 'a1001', endpoint: 'PJSIP/agent1001', answerAfterMs: 500 }]);
  rig.sim.setEndpoint(TAX, tax);
  const ended: CallState[] = [];
  const events: AgentEvent[] = [];
  rig.hotline.engine.onEnded((s) => ended.push(s));
  rig.hotline.engine.onAgentEvent((e) => events.push(e));
  const { channelId } = rig.sim.injectCall({ app: 'hotline', dialed: '12345', callerNumber: '13800138000' });
  await rig.runUntil('talking', () => rig!.hotline.engine.call(channelId)?.stage === 'talking');
  return { rig, callId: channelId, ended, events };
}

const stage = (t: Talk) => t.rig.hotline.engine.call(t.callId)?.stage;
const state = (t: Talk) => t.rig.hotline.engine.call(t.callId)!;

describe('agent transfers', () => {
  it('three-way: the sub-center joins, the agent drops out, caller and sub-center talk on', async () => {
    const t = await talking();
    expect(
      t.rig.hotline.engine.request(t.callId, {
        kind: 'transfer',
        target: 'subcenter:tax',
        mode: 'three-way',
      }),
    ).toMatchObject({ ok: true });
    await t.rig.runUntil('target joined', () => state(t).transfers?.[0]?.result === 'connected');
    await t.rig.runUntil('three parties in one bridge', () =>
      t.rig.sim.bridges().some((b) => b.channels.length === 3),
    );
    expect(t.rig.hotline.engine.request(t.callId, { kind: 'agent-leave' })).toEqual({ ok: true });
    await t.rig.runUntil('transferred', () => stage(t) === 'transferred');
    const agent = await t.rig.hotline.store.getAgent('a1001');
    expect(['wrap-up', 'ready']).toContain(agent?.status.state);
    t.rig.sim.hangup(t.callId);
    await t.rig.runUntil('ended', () => t.ended.length === 1);
    expect(t.ended[0]!.disposition).toBe('transferred');
    expect(t.ended[0]!.transfers).toMatchObject([
      { mode: 'three-way', target: { kind: 'subcenter', id: 'tax' }, result: 'completed' },
    ]);
    expect(t.events.map((e) => e.event)).toEqual(
      expect.arrayContaining(['offered', 'connected', 'transfer-dialing', 'transfer-connected']),
    );
    await t.rig.runUntil('no leaks', () => noLeaks(t.rig));
  });

  it('consult, then complete: the caller holds with music, then joins the target', async () => {
    const t = await talking();
    t.rig.hotline.engine.request(t.callId, { kind: 'transfer', target: 'subcenter:tax', mode: 'consult' });
    await t.rig.runUntil('consulting', () => state(t).transfers?.[0]?.result === 'connected');
    await t.rig.runUntil(
      'caller and consult bridges',
      () => t.rig.sim.bridges().filter((b) => b.channels.length > 0).length === 2,
    );
    expect(t.rig.hotline.engine.request(t.callId, { kind: 'transfer-complete' })).toMatchObject({ ok: true });
    await t.rig.runUntil('transferred', () => stage(t) === 'transferred');
    await t.rig.runUntil('one bridge left', () => t.rig.sim.bridges().length === 1);
    t.rig.sim.hangup(t.callId);
    await t.rig.runUntil('ended', () => t.ended.length === 1);
    expect(t.ended[0]!.transfers?.[0]).toMatchObject({ mode: 'consult', result: 'completed' });
    await t.rig.runUntil('no leaks', () => noLeaks(t.rig));
  });

  it('consult, then cancel: the target is hung up and the agent is back with the caller', async () => {
    const t = await talking();
    t.rig.hotline.engine.request(t.callId, { kind: 'transfer', target: 'subcenter:tax', mode: 'consult' });
    await t.rig.runUntil('consulting', () => state(t).transfers?.[0]?.result === 'connected');
    t.rig.hotline.engine.request(t.callId, { kind: 'transfer-cancel' });
    await t.rig.runUntil(
      'back together',
      () => t.rig.sim.bridges().length === 1 && t.rig.sim.bridges()[0]!.channels.length === 2,
    );
    expect(stage(t)).toBe('talking');
    expect(state(t).transfers?.[0]?.result).toBe('cancelled');
    t.rig.sim.hangup(t.callId);
    await t.rig.runUntil('no leaks', () => noLeaks(t.rig));
  });

  it('blind: the agent is freed at once and the caller is connected when the target answers', async () => {
    const t = await talking();
    t.rig.hotline.engine.request(t.callId, { kind: 'transfer', target: 'subcenter:tax', mode: 'blind' });
    await t.rig.runUntil('transferred', () => stage(t) === 'transferred');
    expect(state(t).agent).toBeUndefined();
    t.rig.sim.hangup(t.callId);
    await t.rig.runUntil('ended', () => t.ended.length === 1);
    expect(t.ended[0]!.transfers?.[0]).toMatchObject({ mode: 'blind', result: 'completed' });
    await t.rig.runUntil('no leaks', () => noLeaks(t.rig));
  });

  it.each([
    ['busy', { behaviour: 'busy' as const, online: true }, 'busy'],
    ['not answering', { behaviour: 'no-answer' as const, online: true }, 'no-answer'],
    ['unreachable', { behaviour: 'unreachable' as const, online: true }, 'no-answer'],
  ])(
    'keeps the caller with the agent when the target is %s, and tells the agent why',
    async (_name, tax, result) => {
      const t = await talking(tax);
      t.rig.hotline.engine.request(t.callId, {
        kind: 'transfer',
        target: 'subcenter:tax',
        mode: 'three-way',
      });
      await t.rig.runUntil('failed', () => t.events.some((e) => e.event === 'transfer-failed'));
      expect(stage(t)).toBe('talking');
      expect(state(t).transfers?.[0]?.result).toBe(result);
      expect(t.events.find((e) => e.event === 'transfer-failed')?.detail.result).toBe(result);
      // The agent can dispatch a ticket to the sub-center instead (派发工单).
      expect(
        t.rig.hotline.engine.request(t.callId, {
          kind: 'ticket',
          target: 'subcenter:tax',
          reason: '转接未接通，派发工单',
        }),
      ).toMatchObject({ ok: true });
      t.rig.sim.hangup(t.callId);
      await t.rig.runUntil('ended', () => t.ended.length === 1);
      expect(t.ended[0]!.transfers?.map((x) => x.mode)).toEqual(['three-way', 'ticket']);
      await t.rig.runUntil('no leaks', () => noLeaks(t.rig));
    },
    30_000,
  );

  it('returns to agent and caller when the target hangs up early', async () => {
    const t = await talking({ behaviour: 'answer', answerAfterMs: 1000, hangupAfterMs: 2000, online: true });
    t.rig.hotline.engine.request(t.callId, { kind: 'transfer', target: 'subcenter:tax', mode: 'three-way' });
    await t.rig.runUntil('target left', () => t.events.some((e) => e.event === 'target-left'));
    expect(stage(t)).toBe('talking');
    expect(state(t).transfers?.[0]?.result).toBe('target-left');
    t.rig.sim.hangup(t.callId);
    await t.rig.runUntil('no leaks', () => noLeaks(t.rig));
  });

  it('hangs up target and agent when the caller hangs up during a consult', async () => {
    const t = await talking();
    t.rig.hotline.engine.request(t.callId, { kind: 'transfer', target: 'subcenter:tax', mode: 'consult' });
    await t.rig.runUntil('consulting', () => state(t).transfers?.[0]?.result === 'connected');
    t.rig.sim.hangup(t.callId);
    await t.rig.runUntil('ended', () => t.ended.length === 1);
    expect(t.ended[0]!.transfers?.[0]?.result).toBe('completed');
    await t.rig.runUntil('no leaks', () => noLeaks(t.rig));
  });

  it('keeps the caller for the target when the agent hangs up before the target answers', async () => {
    const t = await talking({ behaviour: 'answer', answerAfterMs: 4000, online: true });
    t.rig.hotline.engine.request(t.callId, { kind: 'transfer', target: 'subcenter:tax', mode: 'three-way' });
    await t.rig.runUntil('dialing the target', () => state(t).transfers?.[0]?.result === 'dialing');
    t.rig.sim.hangup(state(t).agent!.channelId);
    await t.rig.runUntil('dialing', () => stage(t) === 'dialing');
    await t.rig.runUntil('transferred', () => stage(t) === 'transferred');
    t.rig.sim.hangup(t.callId);
    await t.rig.runUntil('no leaks', () => noLeaks(t.rig));
  });

  it('returns the caller to the queue when the agent has left and the target never answers', async () => {
    const t = await talking({ behaviour: 'no-answer', online: true });
    t.rig.hotline.engine.request(t.callId, { kind: 'transfer', target: 'subcenter:tax', mode: 'blind' });
    // Back in the queue first in line; the freed agent may already be ringing or talking again.
    await t.rig.runUntil(
      'back in the queue after the apology',
      () => state(t).transfers?.[0]?.result === 'no-answer' && stage(t) !== 'ivr' && stage(t) !== 'dialing',
    );
    expect(['queued', 'ringing', 'talking']).toContain(stage(t));
    expect(state(t).queue).toMatchObject({ kind: 'pool', id: 'general', priority: 9 });
    expect(state(t).prompts).toContain('transfer-failed');
    expect(state(t).transfers?.[0]?.result).toBe('no-answer');
    t.rig.sim.hangup(t.callId);
    await t.rig.runUntil('no leaks', () => noLeaks(t.rig));
  }, 30_000);

  it('queues the call with top priority at an expert seat', async () => {
    const t = await talking(undefined, [
      { id: 'e2001', name: 'e2001', expertSeats: ['legal'], skills: { legal: 9 } },
    ]);
    t.rig.hotline.engine.request(t.callId, { kind: 'transfer', target: 'expert:legal', mode: 'blind' });
    await t.rig.runUntil('queued at the expert seat', () => state(t).queue?.kind === 'expert');
    expect(state(t).queue).toMatchObject({ id: 'legal', priority: 9 });
    await readyAgents(t.rig, [{ id: 'e2001', endpoint: 'PJSIP/e2001', answerAfterMs: 300 }]);
    await t.rig.runUntil('talking to the expert', () => state(t).agent?.agentId === 'e2001');
    t.rig.sim.hangup(t.callId);
    await t.rig.runUntil('ended', () => t.ended.length === 1);
    expect(t.ended[0]!.transfers?.[0]).toMatchObject({
      mode: 'blind',
      target: { kind: 'expert', id: 'legal' },
      result: 'queued',
    });
    await t.rig.runUntil('no leaks', () => noLeaks(t.rig));
  });

  it('refuses a transfer to a target the plan does not have, and one with no agent on the call', async () => {
    const t = await talking();
    expect(
      t.rig.hotline.engine.request(t.callId, { kind: 'transfer', target: 'subcenter:nope', mode: 'blind' }),
    ).toMatchObject({ ok: false, code: 'no-such-target' });
    expect(t.rig.hotline.engine.request('no-call', { kind: 'agent-leave' })).toMatchObject({
      ok: false,
      code: 'no-such-call',
    });
    t.rig.sim.hangup(t.callId);
  });
});

describe('emergency linkage from the IVR', () => {
  it('bridges a caller who reports an emergency to 119 and records the transfer', async () => {
    rig = await startRig({ plan: plans.puyang() });
    rig.sim.setEndpoint('PJSIP/119@emergency', { behaviour: 'answer', answerAfterMs: 1000, online: true });
    const ended: CallState[] = [];
    rig.hotline.engine.onEnded((s) => ended.push(s));
    const { channelId } = rig.sim.injectCall({
      app: 'hotline',
      dialed: '12345',
      callerNumber: '13800138001',
      script: [{ wait: 3500 }, { dtmf: '0' }, { wait: 1500 }, { dtmf: '2' }],
    });
    await rig.runUntil('transferred', () => rig!.hotline.engine.call(channelId)?.stage === 'transferred');
    rig.sim.hangup(channelId);
    await rig.runUntil('ended', () => ended.length === 1);
    expect(ended[0]!.transfers).toMatchObject([
      { mode: 'ivr', target: { kind: 'emergency', id: 'fire' }, result: 'connected' },
    ]);
    await rig.runUntil('no leaks', () => noLeaks(rig!));
  });
});
