import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CallState } from '../../src/calls/core/types.ts';
import { loadPlan } from '../../src/plan/load.ts';
import { plans, type Rig, readyAgents, root, startRig } from '../support/engine-harness.ts';
import { copyPlan, removePlan } from '../support/rules-fixture.ts';

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

const noLeaks = (r: Rig) => r.sim.stats().liveChannels === 0 && r.sim.stats().liveBridges === 0;
/** An agent of a pool; a1001's phone is PJSIP/agent1001, other agents' phones are named after them. */
const agent = (id: string, pool: string) => ({
  id,
  name: id,
  endpoint: /^a1\d{3}$/.test(id) ? `PJSIP/agent${id.slice(1)}` : `PJSIP/${id}`,
  pools: [pool],
  skills: { general: 5 },
});

describe('call paths through menus, queues and failures', () => {
  it('follows the Jilin level menu to the Changchun agents, then both hang up', async () => {
    rig = await startRig({ plan: plans.jilin(), roster: [agent('cc01', 'changchun')] });
    await readyAgents(rig, [{ id: 'cc01', endpoint: 'PJSIP/cc01', hangupAfterMs: 4000 }]);
    rig.sim.injectCall({
      app: 'hotline',
      dialed: '12345',
      callerNumber: '13900000010',
      script: [{ wait: 2500 }, { dtmf: '1' }],
    });
    await rig.runUntil('the record', () => rig!.records.records.length === 1);
    const r = rig.records.records[0]!;
    expect(r.ivrPath).toEqual([{ menu: 'level', keys: '1', outcome: '长春市事项' }]);
    expect(r).toMatchObject({ disposition: 'answered', agentId: 'cc01', queue: { id: 'changchun' } });
    await rig.runUntil('no leaks', () => noLeaks(rig!));
  });

  it('applies the default action after three invalid keys', async () => {
    rig = await startRig({ plan: plans.jilin(), roster: [agent('cc01', 'changchun')] });
    rig.sim.injectCall({
      app: 'hotline',
      dialed: '12345',
      callerNumber: '13900000011',
      script: [
        { wait: 2500 },
        { dtmf: '9' },
        { wait: 3000 },
        { dtmf: '8' },
        { wait: 3000 },
        { dtmf: '7' },
        { wait: 5000 },
        { hangup: true },
      ],
    });
    await rig.runUntil('the record', () => rig!.records.records.length === 1);
    const r = rig.records.records[0]!;
    expect(r.ivrPath.map((p) => p.outcome)).toEqual(['invalid', 'invalid', 'invalid']);
    expect(r.queue).toMatchObject({ id: 'changchun' });
    expect(r.disposition).toBe('abandoned-queue');
  });

  it('counts a caller who hangs up inside a menu as abandoned in the IVR', async () => {
    rig = await startRig({ plan: plans.jilin() });
    rig.sim.injectCall({
      app: 'hotline',
      dialed: '12345',
      callerNumber: '13900000012',
      script: [{ wait: 1500 }, { hangup: true }],
    });
    await rig.runUntil('the record', () => rig!.records.records.length === 1);
    expect(rig.records.records[0]!.disposition).toBe('abandoned-ivr');
    await rig.runUntil('no leaks', () => noLeaks(rig!));
  });

  it('hangs up the ringing agent and frees them when the caller hangs up during the ring', async () => {
    rig = await startRig({ roster: [agent('a1001', 'general')] });
    await readyAgents(rig, [{ id: 'a1001', endpoint: 'PJSIP/agent1001', answerAfterMs: 10_000 }]);
    rig.sim.injectCall({
      app: 'hotline',
      dialed: '12345',
      callerNumber: '13900000013',
      script: [{ wait: 4000 }, { hangup: true }],
    });
    await rig.runUntil('the record', () => rig!.records.records.length === 1);
    expect(rig.records.records[0]!.disposition).toBe('abandoned-ringing');
    await rig.runUntil('no leaks', () => noLeaks(rig!));
    const a = await rig.hotline.store.getAgent('a1001');
    expect(a?.status.state).toBe('ready');
  });

  it('turns a call into a ticket when no agent is logged in and the longest wait passes', async () => {
    rig = await startRig({});
    rig.sim.injectCall({ app: 'hotline', dialed: '12345', callerNumber: '13900000014' });
    await rig.runUntil('the record', () => rig!.records.records.length === 1);
    const r = rig.records.records[0]!;
    expect(r).toMatchObject({ disposition: 'ticketed', ticketReason: 'max-wait' });
    expect(r.prompts.at(-1)).toBe('ticket-created');
    expect(r.waitSeconds).toBeGreaterThanOrEqual(299);
    await rig.runUntil('no leaks', () => noLeaks(rig!));
  });

  it('keeps a talking call through a WebSocket outage and ends it cleanly afterwards', async () => {
    rig = await startRig({ roster: [agent('a1001', 'general')] });
    await readyAgents(rig, [{ id: 'a1001', endpoint: 'PJSIP/agent1001', answerAfterMs: 500 }]);
    const { channelId } = rig.sim.injectCall({
      app: 'hotline',
      dialed: '12345',
      callerNumber: '13900000015',
    });
    await rig.runUntil('talking', () => rig!.hotline.engine.liveCalls().some((c) => c.stage === 'talking'));
    rig.sim.dropWebSockets('hotline');
    await rig.runUntil('reconnected', () => rig!.hotline.telephony.reconnects === 1);
    expect(rig.hotline.engine.liveCalls()[0]?.stage).toBe('talking');
    rig.sim.hangup(channelId);
    await rig.runUntil('the record', () => rig!.records.records.length === 1);
    expect(rig.records.records[0]).toMatchObject({ disposition: 'answered', agentId: 'a1001' });
    await rig.runUntil('no leaks', () => noLeaks(rig!));
  });

  it('ends a call whose caller hung up while the event connection was down', async () => {
    rig = await startRig({ roster: [agent('a1001', 'general')] });
    const { channelId } = rig.sim.injectCall({
      app: 'hotline',
      dialed: '12345',
      callerNumber: '13900000016',
    });
    await rig.runUntil('queued', () => rig!.hotline.engine.liveCalls().some((c) => c.stage === 'queued'));
    rig.sim.refuseWebSockets(400);
    rig.sim.dropWebSockets('hotline');
    rig.sim.hangup(channelId);
    await rig.runUntil('the record', () => rig!.records.records.length === 1);
    expect(rig.records.records[0]!.disposition).toBe('abandoned-queue');
    await rig.runUntil('no leaks', () => noLeaks(rig!));
  });

  it('picks up a call that arrived while the event connection was down', async () => {
    rig = await startRig({ roster: [agent('a1001', 'general')] });
    await readyAgents(rig, [{ id: 'a1001', endpoint: 'PJSIP/agent1001', hangupAfterMs: 2000 }]);
    rig.sim.refuseWebSockets(400);
    rig.sim.dropWebSockets('hotline');
    await rig.runUntil('the engine to see the outage', () => !rig!.hotline.telephony.connected);
    // While the app is down a Stasis() call falls back to the dialplan; one already in Stasis stays.
    const fellBack = rig.sim.injectCall({ app: 'hotline', dialed: '12345', callerNumber: '13900000017' });
    expect(fellBack.fallback).toBe(true);
    await rig.runUntil('reconnected', () => rig!.hotline.telephony.reconnects === 1);
  });

  it('serves 200 simultaneous calls and leaves no channel or bridge behind', async () => {
    const roster = Array.from({ length: 40 }, (_, i) => agent(`a${2000 + i}`, 'general'));
    rig = await startRig({ roster, promptMs: 1000 });
    await readyAgents(
      rig,
      roster.map((a, i) => ({
        id: a.id,
        endpoint: `PJSIP/${a.id}`,
        answerAfterMs: 500,
        hangupAfterMs: 3000 + (i % 5) * 1000,
      })),
    );
    for (let i = 0; i < 200; i++) {
      rig.sim.injectCall({
        app: 'hotline',
        dialed: '12345',
        callerNumber: `1390000${String(i).padStart(4, '0')}`,
      });
    }
    await rig.runUntil('200 records', () => rig!.records.records.length === 200);
    const answered = rig.records.records.filter((r) => r.disposition === 'answered').length;
    expect(answered).toBe(200);
    await rig.runUntil('no leaks', () => noLeaks(rig!));
    expect(rig.hotline.engine.liveCalls()).toHaveLength(0);
  }, 60_000);
});

describe('publishing another plan', () => {
  it('routes new calls by the new plan while a call in progress finishes on its own', async () => {
    const dir = copyPlan(join(root, 'routing-rules'), join(root, 'ivr-prompts'));
    const lines = join(dir, 'lines.yaml');
    writeFileSync(
      lines,
      readFileSync(lines, 'utf8').replace(
        'route: { prompts: [welcome-12345], goto: "pool:general"',
        'route: { prompts: [queue-hold, welcome-12345], goto: "pool:general"',
      ),
    );
    const next = loadPlan(dir).plan;
    try {
      rig = await startRig({ roster: [agent('a1001', 'general')] });
      await readyAgents(rig, [
        { id: 'a1001', endpoint: 'PJSIP/agent1001', answerAfterMs: 300, hangupAfterMs: 3000 },
      ]);
      const ended: CallState[] = [];
      rig.hotline.engine.onEnded((st) => ended.push(st));
      const first = rig.sim.injectCall({ app: 'hotline', dialed: '12345', callerNumber: '13900000020' });
      await rig.runUntil('talking', () => rig!.hotline.engine.call(first.channelId)?.stage === 'talking');
      await rig.hotline.setPlan(next);
      const second = rig.sim.injectCall({
        app: 'hotline',
        dialed: '12345',
        callerNumber: '13900000021',
        script: [{ wait: 6000 }, { hangup: true }],
      });
      await rig.runUntil('both ended', () => ended.length === 2);
      const a = ended.find((x) => x.id === first.channelId)!;
      const b = ended.find((x) => x.id === second.channelId)!;
      expect(a.prompts[0]).toBe('welcome-12345');
      expect(a.disposition).toBe('answered');
      expect(b.prompts.slice(0, 2)).toEqual(['queue-hold', 'welcome-12345']);
      await expect(rig.hotline.setPlan(plans.puyang())).rejects.toThrow(/center "puyang"/);
    } finally {
      removePlan(join(dir, '..'));
    }
  });
});

describe('softphone availability', () => {
  it('does not offer calls to an agent whose softphone went offline, and does again once it is back', async () => {
    rig = await startRig({ roster: [agent('a1001', 'general')] });
    await readyAgents(rig, [
      { id: 'a1001', endpoint: 'PJSIP/agent1001', answerAfterMs: 300, hangupAfterMs: 2000 },
    ]);
    rig.sim.setEndpoint('PJSIP/agent1001', {
      behaviour: 'answer',
      answerAfterMs: 300,
      hangupAfterMs: 2000,
      online: false,
    });
    const store = rig.hotline.store;
    await rig.runUntil(
      'the softphone offline',
      async () => (await store.getAgent('a1001'))?.status.deviceAvailable === false,
    );
    const a = await store.getAgent('a1001');
    expect(a?.status.deviceAvailable).toBe(false);
    const { channelId } = rig.sim.injectCall({
      app: 'hotline',
      dialed: '12345',
      callerNumber: '13900000030',
    });
    await rig.runUntil('queued', () => rig!.hotline.engine.call(channelId)?.stage === 'queued');
    await rig.advance(6000);
    expect(rig.hotline.engine.call(channelId)?.stage).toBe('queued');
    rig.sim.setEndpoint('PJSIP/agent1001', {
      behaviour: 'answer',
      answerAfterMs: 300,
      hangupAfterMs: 2000,
      online: true,
    });
    await rig.runUntil(
      'talking once the softphone is back',
      () => rig!.hotline.engine.call(channelId)?.stage === 'talking',
    );
    rig.sim.hangup(channelId);
    await rig.runUntil('no leaks', () => noLeaks(rig!));
  });
});
