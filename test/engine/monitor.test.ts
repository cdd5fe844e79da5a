import { afterEach, describe, expect, it } from 'vitest';
import { MemoryAppendLog } from '../../src/admin/append-log.ts';
import { stepTo } from '../../src/calls/core/monitor.ts';
import { type MonitorAuditRecord, Monitors } from '../../src/calls/runtime/monitors.ts';
import { createLogger } from '../../src/log.ts';
import type { SimChannelInfo } from '../../src/sim/control.ts';
import { type Rig, readyAgents, startRig } from '../support/engine-harness.ts';

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

const SUP = 'PJSIP/sup9001';
const who = { tokenId: 'sup-wang', role: 'supervisor' };

interface Talk {
  rig: Rig;
  callId: string;
  agentChannel: string;
  monitors: Monitors;
  audit: MemoryAppendLog<MonitorAuditRecord>;
}

/** A caller talking with agent a1001, and supervisor monitoring over the engine. */
async function talking(supervisor: { behaviour?: 'answer' | 'busy' } = {}): Promise<Talk> {
  rig = await startRig({
    roster: [
      { id: 'a1001', name: 'a1001', endpoint: 'PJSIP/agent1001', pools: ['general'], skills: { general: 5 } },
    ],
    at: '2026-11-24T10:00:00+08:00',
  });
  const audit = new MemoryAppendLog<MonitorAuditRecord>();
  const monitors = new Monitors({
    engine: rig.hotline.engine,
    telephony: rig.hotline.telephony,
    audit: (r) => audit.append(r),
    clock: rig.clock,
    logger: createLogger({ level: 'silent' }),
  });
  await readyAgents(rig, [{ id: 'a1001', endpoint: 'PJSIP/agent1001', answerAfterMs: 500 }]);
  rig.sim.setEndpoint(SUP, { behaviour: supervisor.behaviour ?? 'answer', answerAfterMs: 800, online: true });
  const { channelId } = rig.sim.injectCall({ app: 'hotline', dialed: '12345', callerNumber: '13800138000' });
  const r = rig;
  await r.runUntil('talking', () => r.hotline.engine.call(channelId)?.stage === 'talking');
  return {
    rig: r,
    callId: channelId,
    agentChannel: r.hotline.engine.call(channelId)!.agent!.channelId,
    monitors,
    audit,
  };
}

const supLeg = (t: Talk): SimChannelInfo | undefined => t.rig.sim.channels().find((c) => c.endpoint === SUP);
const snoops = (t: Talk): SimChannelInfo[] => t.rig.sim.channels().filter((c) => c.kind === 'snoop');
const callBridge = (t: Talk) => t.rig.hotline.engine.call(t.callId)!.bridgeId!;
const membersOf = (t: Talk, bridgeId: string | undefined) =>
  t.rig.sim.bridges().find((b) => b.id === bridgeId)?.channels ?? [];
const actions = async (t: Talk) => (await t.audit.latest(100)).map((e) => e.action).reverse();

/** The supervisor's leg is bridged with exactly one snoop on the agent's leg, with these directions. */
async function listeningWith(t: Talk, spy: string, whisper: string): Promise<void> {
  await t.rig.runUntil(`a ${spy}/${whisper} snoop bridged with the supervisor`, () => {
    const [snoop, ...more] = snoops(t);
    const sup = supLeg(t);
    return (
      more.length === 0 &&
      snoop?.snoop?.spy === spy &&
      snoop.snoop.whisper === whisper &&
      sup?.bridgeId !== undefined &&
      sup.bridgeId === snoop.bridgeId
    );
  });
  expect(snoops(t)[0]!.snoop!.of).toBe(t.agentChannel);
  expect(membersOf(t, callBridge(t))).not.toContain(supLeg(t)!.id);
}

const noLeaks = (r: Rig) => r.sim.stats().liveChannels === 0 && r.sim.stats().liveBridges === 0;

describe('supervisor monitoring: listen, whisper, barge', () => {
  it('listen: the supervisor hears both sides through a snoop and the call is not touched', async () => {
    const t = await talking();
    const view = t.monitors.start(who, t.callId, 'listen', SUP);
    expect(view).toMatchObject({ callId: t.callId, mode: 'listen', stage: 'dialing', endpoint: SUP });
    await listeningWith(t, 'both', 'none');
    expect(t.monitors.ofCall(t.callId)?.stage).toBe('live');
    expect(membersOf(t, callBridge(t))).toHaveLength(2);
    expect(t.rig.hotline.engine.call(t.callId)?.stage).toBe('talking');
  });

  it('whisper: the snoop speaks into what goes out to the agent only', async () => {
    const t = await talking();
    t.monitors.start(who, t.callId, 'whisper', SUP);
    await listeningWith(t, 'both', 'out');
  });

  it('barge: the supervisor joins the call bridge, no snoop', async () => {
    const t = await talking();
    t.monitors.start(who, t.callId, 'barge', SUP);
    await t.rig.runUntil('three in the call bridge', () => membersOf(t, callBridge(t)).length === 3);
    expect(membersOf(t, callBridge(t))).toContain(supLeg(t)!.id);
    expect(snoops(t)).toHaveLength(0);
  });

  it('switches listen → whisper → barge → listen on the live session without disturbing the call', async () => {
    const t = await talking();
    t.monitors.start(who, t.callId, 'listen', SUP);
    await listeningWith(t, 'both', 'none');
    const supId = supLeg(t)!.id;
    expect(t.monitors.switch(who, t.callId, 'whisper').mode).toBe('whisper');
    await listeningWith(t, 'both', 'out');
    t.monitors.switch(who, t.callId, 'barge');
    await t.rig.runUntil('supervisor in the call bridge, snoop gone', () => {
      return membersOf(t, callBridge(t)).includes(supId) && snoops(t).length === 0;
    });
    t.monitors.switch(who, t.callId, 'listen');
    await listeningWith(t, 'both', 'none');
    expect(membersOf(t, callBridge(t))).toHaveLength(2);
    expect(supLeg(t)!.id).toBe(supId);
    expect(t.rig.hotline.engine.call(t.callId)?.stage).toBe('talking');
    expect(await actions(t)).toEqual(['monitor-start', 'monitor-mode', 'monitor-mode', 'monitor-mode']);
  });

  it('stop: the supervisor leg, snoop and bridge go, the call talks on', async () => {
    const t = await talking();
    t.monitors.start(who, t.callId, 'listen', SUP);
    await listeningWith(t, 'both', 'none');
    const stopped = t.monitors.stop({ tokenId: 'sup-li', role: 'supervisor' }, t.callId);
    expect(stopped).toMatchObject({ stage: 'ended', endReason: 'stopped' });
    await t.rig.runUntil('only the call left', () => t.rig.sim.channels().length === 2);
    expect(t.rig.sim.bridges().map((b) => b.id)).toEqual([callBridge(t)]);
    expect(t.rig.hotline.engine.call(t.callId)?.stage).toBe('talking');
    expect(t.monitors.ofCall(t.callId)).toBeUndefined();
    const [end] = await t.audit.latest(1);
    expect(end).toMatchObject({
      action: 'monitor-end',
      reason: 'stopped',
      tokenId: 'sup-li',
      mode: 'listen',
    });
  });

  it('the supervisor hanging up ends the session, not the call', async () => {
    const t = await talking();
    t.monitors.start(who, t.callId, 'barge', SUP);
    await t.rig.runUntil('barged', () => membersOf(t, callBridge(t)).length === 3);
    t.rig.sim.hangup(supLeg(t)!.id);
    await t.rig.runUntil('session ended', () => t.monitors.ofCall(t.callId) === undefined);
    await t.rig.runUntil('only the call left', () => t.rig.sim.channels().length === 2);
    expect(t.rig.hotline.engine.call(t.callId)?.stage).toBe('talking');
    const [end] = await t.audit.latest(1);
    expect(end).toMatchObject({ action: 'monitor-end', reason: 'supervisor-hung-up', tokenId: 'sup-wang' });
  });

  it('the call ending ends the snoop and the session, leaving nothing behind', async () => {
    const t = await talking();
    t.monitors.start(who, t.callId, 'whisper', SUP);
    await listeningWith(t, 'both', 'out');
    t.rig.sim.hangup(t.callId);
    await t.rig.runUntil('session ended', () => t.monitors.ofCall(t.callId) === undefined);
    await t.rig.runUntil('no leaks', () => noLeaks(t.rig));
    const entries = (await t.audit.latest(10)).reverse();
    expect(entries.map((e) => e.action)).toEqual(['monitor-start', 'monitor-end']);
    expect(entries[0]).toMatchObject({
      tokenId: 'sup-wang',
      callId: t.callId,
      mode: 'whisper',
      endpoint: SUP,
    });
    expect(entries[1]).toMatchObject({ reason: 'call-ended' });
  });

  it("a supervisor's phone that does not answer ends the session as unreachable", async () => {
    const t = await talking({ behaviour: 'busy' });
    t.monitors.start(who, t.callId, 'listen', SUP);
    await t.rig.runUntil('session ended', () => t.monitors.ofCall(t.callId) === undefined);
    const [end] = await t.audit.latest(1);
    expect(end).toMatchObject({ action: 'monitor-end', reason: 'supervisor-unreachable' });
    await t.rig.runUntil('only the call left', () => t.rig.sim.channels().length === 2);
    expect(t.rig.hotline.engine.call(t.callId)?.stage).toBe('talking');
  });

  it('refuses a call that is not talking, an unknown call, and a second session on one call', async () => {
    const t = await talking();
    expect(() => t.monitors.start(who, 'nope', 'listen', SUP)).toThrow(
      expect.objectContaining({ code: 'no-such-call' }),
    );
    t.monitors.start(who, t.callId, 'listen', SUP);
    expect(() => t.monitors.start(who, t.callId, 'barge', SUP)).toThrow(
      expect.objectContaining({ code: 'monitor-in-progress' }),
    );
    expect(() => t.monitors.switch(who, 'nope', 'barge')).toThrow(
      expect.objectContaining({ code: 'no-such-monitor' }),
    );
    const queued = t.rig.sim.injectCall({ app: 'hotline', dialed: '12345', callerNumber: '13900139000' });
    await t.rig.runUntil('second call waiting', () => {
      const s = t.rig.hotline.engine.call(queued.channelId)?.stage;
      return s === 'queued' || s === 'ivr';
    });
    expect(() => t.monitors.start(who, queued.channelId, 'listen', SUP)).toThrow(
      expect.objectContaining({ code: 'not-talking' }),
    );
  });
});

describe('monitor steps', () => {
  it('takes a new snoop between listen and whisper, and none for barge', () => {
    expect(stepTo(undefined, 'listen')).toEqual({
      kind: 'snoop',
      spy: 'both',
      whisper: 'none',
      leaveCall: false,
    });
    expect(stepTo('listen', 'whisper')).toEqual({
      kind: 'snoop',
      spy: 'both',
      whisper: 'out',
      leaveCall: false,
    });
    expect(stepTo('whisper', 'barge')).toEqual({ kind: 'join-call', leaveOwn: true });
    expect(stepTo('barge', 'listen')).toMatchObject({ kind: 'snoop', leaveCall: true });
    expect(stepTo('barge', 'barge')).toEqual({ kind: 'none' });
  });
});

describe('monitor channels nobody owns', () => {
  it('a monitor channel of no session is hung up, by the engine when no monitor service runs, never taken for a caller', async () => {
    rig = await startRig({
      roster: [
        {
          id: 'a1001',
          name: 'a1001',
          endpoint: 'PJSIP/agent1001',
          pools: ['general'],
          skills: { general: 5 },
        },
      ],
      at: '2026-11-24T10:00:00+08:00',
    });
    const r = rig;
    await readyAgents(r, [{ id: 'a1001', endpoint: 'PJSIP/agent1001', answerAfterMs: 500 }]);
    const { channelId } = r.sim.injectCall({ app: 'hotline', dialed: '12345', callerNumber: '13800138000' });
    await r.runUntil('talking', () => r.hotline.engine.call(channelId)?.stage === 'talking');
    const agentChannel = r.hotline.engine.call(channelId)!.agent!.channelId;
    const snoop = (id: string) =>
      fetch(
        `${r.sim.url}/ari/channels/${agentChannel}/snoop/${id}?spy=both&app=hotline&appArgs=monitor,gone`,
        {
          method: 'POST',
          headers: { authorization: `Basic ${Buffer.from('hotline:hotline').toString('base64')}` },
        },
      );
    // No monitor service: the engine hangs it up as a leg of nothing.
    expect((await snoop('stray-1')).status).toBe(200);
    await r.runUntil('the stray hung up', () => !r.sim.channels().some((c) => c.id === 'stray-1'));
    expect(r.hotline.engine.liveCalls().map((c) => c.id)).toEqual([channelId]);
    // One the engine could not hang up (as if left by an earlier run) goes when the service starts.
    r.sim.failNextRest({ method: 'DELETE', pathPrefix: '/channels/stray-2', status: 500, count: 1 });
    expect((await snoop('stray-2')).status).toBe(200);
    await r.runUntil('the engine tried', () =>
      r.sim.channels().some((c) => c.id === 'stray-2' && c.inStasis),
    );
    await r.settle('the engine gave up');
    expect(r.sim.channels().some((c) => c.id === 'stray-2')).toBe(true);
    const audit = new MemoryAppendLog<MonitorAuditRecord>();
    const monitors = new Monitors({
      engine: r.hotline.engine,
      telephony: r.hotline.telephony,
      audit: (e) => audit.append(e),
      clock: r.clock,
      logger: createLogger({ level: 'silent' }),
    });
    await r.runUntil(
      "the earlier run's channel hung up",
      () => !r.sim.channels().some((c) => c.id === 'stray-2'),
    );
    expect(monitors.ofCall(channelId)).toBeUndefined();
    expect(r.hotline.engine.call(channelId)?.stage).toBe('talking');
    expect(await audit.latest(10)).toEqual([]);
  });
});
