import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { issueToken, TokenSet } from '../../src/admin/tokens.ts';
import { buildApi } from '../../src/api/server.ts';
import { rosterToAgents } from '../../src/app.ts';
import type { CallState } from '../../src/calls/core/types.ts';
import type { AgentEvent } from '../../src/calls/runtime/engine.ts';
import { createLogger } from '../../src/log.ts';
import type { CallRecord } from '../../src/records/record.ts';
import type { RosterEntry } from '../../src/roster.ts';
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
    roster: [
      { id: 'a1001', name: 'a1001', endpoint: 'PJSIP/agent1001', pools: ['general'], skills: { general: 5 } },
      ...extraRoster,
    ],
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
    rig = await startRig({ plan: plans.puyangWithMenu() });
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

describe('records of transferred calls', () => {
  const expertSeat = [{ id: 'e2001', name: 'e2001', expertSeats: ['legal'], skills: { legal: 9 } }];

  /** The call's record, once written; the first agent answered 500 ms after being offered. */
  async function recordOf(t: Talk): Promise<CallRecord> {
    await t.rig.runUntil('record written', () => t.rig.records.records.length === 1);
    return t.rig.records.records[0]!;
  }

  /** The record names the agent who first answered the caller, when, and how long they talked. */
  function expectFirstAgent(r: CallRecord, state: CallState, talkSeconds: number) {
    const connected = state.events.find((e) => e.what === 'connected')!;
    expect(r.agentId).toBe('a1001');
    expect(r.times.agentAnsweredAt).toBe(new Date(connected.at).toISOString());
    expect(r.talkSeconds).toBe(talkSeconds);
  }

  it.each([
    ['three-way', 'agent-leave'],
    ['consult', 'transfer-complete'],
  ] as const)('%s: agentId, agentAnsweredAt and talkSeconds of the first agent', async (mode, then) => {
    const t = await talking();
    await t.rig.advance(10_000);
    t.rig.hotline.engine.request(t.callId, { kind: 'transfer', target: 'subcenter:tax', mode });
    await t.rig.runUntil('target answered', () => state(t).transfers?.[0]?.result === 'connected');
    await t.rig.advance(5_000);
    expect(t.rig.hotline.engine.request(t.callId, { kind: then })).toMatchObject({ ok: true });
    await t.rig.runUntil('transferred', () => stage(t) === 'transferred');
    await t.rig.advance(30_000);
    t.rig.sim.hangup(t.callId);
    const r = await recordOf(t);
    expectFirstAgent(r, t.ended[0]!, 17);
    expect(r.transfers).toMatchObject([
      { mode, target: { kind: 'subcenter', id: 'tax' }, result: 'completed' },
    ]);
    expect(r.disposition).toBe('transferred');
  });

  it('blind: agentId, agentAnsweredAt and talkSeconds of the agent who passed the call on', async () => {
    const t = await talking();
    await t.rig.advance(10_000);
    t.rig.hotline.engine.request(t.callId, { kind: 'transfer', target: 'subcenter:tax', mode: 'blind' });
    await t.rig.runUntil('transferred', () => stage(t) === 'transferred');
    await t.rig.advance(30_000);
    t.rig.sim.hangup(t.callId);
    const r = await recordOf(t);
    expectFirstAgent(r, t.ended[0]!, 10);
    expect(r.transfers).toMatchObject([{ mode: 'blind', result: 'completed' }]);
  });

  it('blind to an expert seat: the first agent, not the expert', async () => {
    const t = await talking(undefined, expertSeat);
    await readyAgents(t.rig, [{ id: 'e2001', endpoint: 'PJSIP/e2001', answerAfterMs: 300 }]);
    await t.rig.advance(10_000);
    t.rig.hotline.engine.request(t.callId, { kind: 'transfer', target: 'expert:legal', mode: 'blind' });
    await t.rig.runUntil('talking to the expert', () => state(t).agent?.agentId === 'e2001');
    await t.rig.advance(30_000);
    t.rig.sim.hangup(t.callId);
    const r = await recordOf(t);
    expectFirstAgent(r, t.ended[0]!, 10);
    expect(r.transfers).toMatchObject([
      { mode: 'blind', target: { kind: 'expert', id: 'legal' }, result: 'queued' },
    ]);
  });

  it('consult with an expert seat, completed: the first agent, and the consult in the transfers', async () => {
    const t = await talking(undefined, expertSeat);
    await readyAgents(t.rig, [{ id: 'e2001', endpoint: 'PJSIP/e2001', answerAfterMs: 300 }]);
    await t.rig.advance(10_000);
    t.rig.hotline.engine.request(t.callId, { kind: 'transfer', target: 'expert:legal', mode: 'consult' });
    await t.rig.runUntil('expert answered', () => state(t).transfers?.[0]?.result === 'connected');
    await t.rig.advance(5_000);
    expect(t.rig.hotline.engine.request(t.callId, { kind: 'transfer-complete' })).toMatchObject({ ok: true });
    await t.rig.runUntil('with the expert', () => state(t).agent?.agentId === 'e2001');
    await t.rig.advance(30_000);
    t.rig.sim.hangup(t.callId);
    const r = await recordOf(t);
    // a1001 talked from the answer to the hand-over: 10 s, 0.3 s for the expert to answer, 5 s.
    expectFirstAgent(r, t.ended[0]!, 15);
    expect(r.transfers).toMatchObject([
      { mode: 'consult', target: { kind: 'expert', id: 'legal' }, result: 'completed' },
    ]);
    expect(r.disposition).toBe('answered');
    await t.rig.runUntil('no leaks', () => noLeaks(t.rig));
  });
});

describe('consult with an expert seat through the calls API', () => {
  const agentToken = issueToken('a1001', 'agent', 'a1001');
  const headers = { authorization: `Bearer ${agentToken.token}` };
  let api: FastifyInstance | undefined;
  afterEach(async () => {
    await api?.close();
    api = undefined;
  });

  /** a1001 consults the legal expert seat over the API; e2001 answers there. */
  async function consulting() {
    const roster: RosterEntry[] = [
      { id: 'a1001', name: 'a1001', endpoint: 'PJSIP/agent1001', pools: ['general'], skills: { general: 5 } },
      { id: 'e2001', name: 'e2001', expertSeats: ['legal'], skills: { legal: 9 } },
    ];
    const t = await talking(undefined, roster.slice(1));
    api = await buildApi({
      hotline: t.rig.hotline,
      roster: rosterToAgents(roster, 'sichuan'),
      clock: t.rig.clock,
      logger: createLogger({ level: 'silent' }),
      tokens: new TokenSet([agentToken.entry]),
    });
    await readyAgents(t.rig, [{ id: 'e2001', endpoint: 'PJSIP/e2001', answerAfterMs: 300 }]);
    const start = await api.inject({
      headers,
      method: 'POST',
      url: `/calls/${t.callId}/transfers`,
      payload: { target: 'expert:legal', mode: 'consult' },
    });
    expect(start.statusCode).toBe(202);
    expect(start.json()).toMatchObject({ mode: 'consult', target: 'expert:legal' });
    const { transferId } = start.json() as { transferId: string };
    await t.rig.runUntil('expert answered', () => state(t).transfers?.[0]?.result === 'connected');
    expect(stage(t)).toBe('talking');
    expect(state(t).agent?.agentId).toBe('a1001');
    expect((await t.rig.hotline.store.getAgent('a1001'))?.status.state).toBe('on-call');
    expect(t.rig.sim.bridges().filter((b) => b.channels.length === 2)).toHaveLength(1);
    return { t, api: api!, transferId };
  }

  it('complete answers 200 and hands the caller to the expert', async () => {
    const { t, api, transferId } = await consulting();
    const done = await api.inject({
      headers,
      method: 'POST',
      url: `/calls/${t.callId}/transfers/${transferId}/complete`,
    });
    expect(done.statusCode).toBe(200);
    await t.rig.runUntil('with the expert', () => state(t).agent?.agentId === 'e2001');
    await t.rig.runUntil('one bridge left', () => t.rig.sim.bridges().length === 1);
    expect(t.rig.sim.bridges()[0]!.channels).toHaveLength(2);
    t.rig.sim.hangup(t.callId);
    await t.rig.runUntil('ended', () => t.ended.length === 1);
    expect(t.ended[0]!.transfers).toMatchObject([
      { mode: 'consult', target: { kind: 'expert', id: 'legal' }, result: 'completed' },
    ]);
    expect(t.events.map((e) => `${e.agentId}:${e.event}`)).toEqual(
      expect.arrayContaining(['e2001:offered', 'e2001:connected', 'a1001:transfer-completed']),
    );
    await t.rig.runUntil('no leaks', () => noLeaks(t.rig));
  });

  it('leaves the agent in wrap-up and the expert on-call in the ACD after a completed consult', async () => {
    const { t, api, transferId } = await consulting();
    const agentState = async (id: string) => (await t.rig.hotline.store.getAgent(id))?.status;
    expect((await agentState('e2001'))?.state).toBe('on-call');
    await api.inject({ headers, method: 'POST', url: `/calls/${t.callId}/transfers/${transferId}/complete` });
    await t.rig.runUntil('agent in wrap-up', async () => (await agentState('a1001'))?.state === 'wrap-up');
    expect((await agentState('e2001'))?.state).toBe('on-call');
    t.rig.sim.hangup(t.callId);
    await t.rig.runUntil('ended', () => t.ended.length === 1);
    await t.rig.runUntil('expert in wrap-up', async () => (await agentState('e2001'))?.state === 'wrap-up');
    await t.rig.runUntil('no leaks', () => noLeaks(t.rig));
  });

  it('leaves the expert in wrap-up, and the agent in wrap-up once the call ends, after a cancelled consult', async () => {
    const { t, api, transferId } = await consulting();
    const agentState = async (id: string) => (await t.rig.hotline.store.getAgent(id))?.status;
    await api.inject({ headers, method: 'POST', url: `/calls/${t.callId}/transfers/${transferId}/cancel` });
    await t.rig.runUntil('expert in wrap-up', async () => (await agentState('e2001'))?.state === 'wrap-up');
    expect((await agentState('a1001'))?.state).toBe('on-call');
    t.rig.sim.hangup(t.callId);
    await t.rig.runUntil('ended', () => t.ended.length === 1);
    await t.rig.runUntil('agent in wrap-up', async () => (await agentState('a1001'))?.state === 'wrap-up');
    await t.rig.runUntil('no leaks', () => noLeaks(t.rig));
  });

  it('cancel answers 200 and puts the agent back with the caller', async () => {
    const { t, api, transferId } = await consulting();
    const cancelled = await api.inject({
      headers,
      method: 'POST',
      url: `/calls/${t.callId}/transfers/${transferId}/cancel`,
    });
    expect(cancelled.statusCode).toBe(200);
    await t.rig.runUntil(
      'back together',
      () => t.rig.sim.bridges().length === 1 && t.rig.sim.bridges()[0]!.channels.length === 2,
    );
    expect(state(t).agent?.agentId).toBe('a1001');
    expect(state(t).transfers?.[0]).toMatchObject({ mode: 'consult', result: 'cancelled' });
    const leave = await api.inject({ headers, method: 'DELETE', url: `/calls/${t.callId}/agent` });
    expect(leave.statusCode).toBe(200);
    await t.rig.runUntil('ended', () => t.ended.length === 1);
    await t.rig.runUntil('no leaks', () => noLeaks(t.rig));
  });
});

describe('a dual-number line before it is transferred to 12345 (附件二: 10月16日起)', () => {
  it("puts a caller of 12333 on 15 October 2021 through to the department's own seats over its trunk", async () => {
    rig = await startRig({ roster: [], at: '2021-10-15T15:00:00+08:00' });
    const own = 'PJSIP/12333@dept-hr-social-security';
    rig.sim.setEndpoint(own, { behaviour: 'answer', answerAfterMs: 2000, online: true });
    const ended: CallState[] = [];
    rig.hotline.engine.onEnded((s) => ended.push(s));
    const { channelId } = rig.sim.injectCall({
      app: 'hotline',
      dialed: '12333',
      callerNumber: '13800138002',
    });
    await rig.runUntil('transferred', () => rig!.hotline.engine.call(channelId)?.stage === 'transferred');
    expect(rig.hotline.engine.call(channelId)?.queue).toBeUndefined();
    expect(rig.sim.bridges().some((b) => b.channels.length === 2)).toBe(true);
    rig.sim.hangup(channelId);
    await rig.runUntil('ended', () => ended.length === 1);
    expect(ended[0]!.disposition).toBe('transferred');
    expect(ended[0]!.transfers).toMatchObject([
      { mode: 'ivr', target: { kind: 'department', id: 'hr-social-security' }, result: 'connected' },
    ]);
    await rig.runUntil('no leaks', () => noLeaks(rig!));
  });
});
