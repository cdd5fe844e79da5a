import { afterEach, describe, expect, it } from 'vitest';
import { startHotline } from '../../src/app.ts';
import type { CallState } from '../../src/calls/core/types.ts';
import { SteppedClock } from '../../src/clock.ts';
import type { Hotline } from '../../src/hotline.ts';
import { createLogger } from '../../src/log.ts';
import { CallRecord } from '../../src/records/schema.ts';
import { type AriSimulator, startAriSimulator } from '../../src/sim/index.ts';
import { sichuanWithCallbacks } from '../support/callback-plan.ts';
import { MemoryRecords, type Rig, readyAgents, startRig, VirtualTime } from '../support/engine-harness.ts';
import { testRedisUrl } from '../support/redis.ts';

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

const CITIZEN = 'PJSIP/13800138000@citizen-trunk';
const AGENT = { id: 'a1001', endpoint: 'PJSIP/agent1001', answerAfterMs: 2000 };
const noLeaks = (r: Rig) => r.sim.stats().liveChannels === 0 && r.sim.stats().liveBridges === 0;

interface Waiting {
  rig: Rig;
  callId: string;
  ended: CallState[];
}

/** A caller from 13800138000 waits in the general queue (no agent ready) and asks for a call-back. */
async function callbackPending(citizen: Parameters<Rig['sim']['setEndpoint']>[1]): Promise<Waiting> {
  const r = await startRig({
    plan: sichuanWithCallbacks(),
    roster: [
      { id: 'a1001', name: 'a1001', endpoint: AGENT.endpoint, pools: ['general'], skills: { general: 5 } },
    ],
    at: '2026-11-24T10:00:00+08:00',
  });
  rig = r;
  r.sim.setEndpoint(CITIZEN, citizen);
  const ended: CallState[] = [];
  r.hotline.engine.onEnded((s) => ended.push(s));
  const { channelId } = r.sim.injectCall({ app: 'hotline', dialed: '12345', callerNumber: '13800138000' });
  const call = () => r.hotline.engine.call(channelId);
  await r.runUntil('the offer', () => call()?.playback?.prompt === 'callback-offer-b');
  expect(r.clock.now() - call()!.queue!.enqueuedAt).toBeGreaterThanOrEqual(60_000);
  r.sim.sendDtmf(channelId, '1');
  await r.runUntil('the caller hung up, the call-back waiting', () => call()?.callback?.status === 'pending');
  await r.runUntil('the caller channel gone', () => noLeaks(r));
  return { rig: r, callId: channelId, ended };
}

describe('call-backs with the simulator', () => {
  it('keeps the place, calls the agent first, then the caller, and bridges them', async () => {
    const w = await callbackPending({ behaviour: 'answer', answerAfterMs: 4000, online: true });
    const entry = await w.rig.hotline.store.getCall(w.callId);
    const state = w.rig.hotline.engine.call(w.callId)!;
    expect(entry).toMatchObject({
      enqueuedAt: state.queue!.enqueuedAt,
      callback: { requestedAt: state.callback!.requestedAt },
    });
    await readyAgents(w.rig, [AGENT]);
    await w.rig.runUntil('talking', () => w.rig.hotline.engine.call(w.callId)?.stage === 'talking');
    const talking = w.rig.hotline.engine.call(w.callId)!;
    expect(talking.callerChannel).not.toBe(w.callId);
    const bridge = w.rig.sim.bridges().find((b) => b.id === talking.bridgeId)!;
    expect([...bridge.channels].sort()).toEqual([talking.agent!.channelId, talking.callerChannel].sort());
    const agentLeg = w.rig.sim.channels().find((c) => c.id === talking.agent!.channelId);
    const citizenLeg = w.rig.sim.channels().find((c) => c.id === talking.callerChannel);
    expect(agentLeg).toBeDefined();
    expect(citizenLeg).toBeDefined();
    expect(await w.rig.hotline.store.getCall(w.callId)).toBeUndefined();
    w.rig.sim.hangup(talking.callerChannel);
    await w.rig.runUntil('ended', () => w.ended.length === 1 && w.rig.records.records.length === 1);
    const record = CallRecord.parse(w.rig.records.records[0]);
    expect(record).toMatchObject({
      disposition: 'answered',
      agentId: 'a1001',
      callback: { outcome: 'connected', attempts: [{ result: 'answered' }] },
    });
    await w.rig.runUntil('no leaks', () => noLeaks(w.rig));
  });

  it('retries a caller who does not answer, then gives up and releases the agent', async () => {
    const w = await callbackPending({ behaviour: 'no-answer', online: true });
    await readyAgents(w.rig, [AGENT]);
    await w.rig.runUntil('ended', () => w.ended.length === 1 && w.rig.records.records.length === 1);
    const record = CallRecord.parse(w.rig.records.records[0]);
    expect(record.disposition).toBe('callback-unanswered');
    expect(record.callback).toMatchObject({ outcome: 'unanswered' });
    expect(record.callback!.attempts.map((a) => a.result)).toEqual(['no-answer', 'no-answer']);
    const [first, second] = record.callback!.attempts;
    expect(Date.parse(second!.startedAt) - Date.parse(first!.endedAt!)).toBe(20_000);
    const agent = await w.rig.hotline.store.getAgent('a1001');
    expect(['wrap-up', 'ready']).toContain(agent?.status.state);
    await w.rig.runUntil('no leaks', () => noLeaks(w.rig));
  });
});

describe('a pending call-back and an engine restart (Redis)', () => {
  const redisUrl = testRedisUrl();
  const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  let sim: AriSimulator | undefined;
  const engines: Hotline[] = [];
  afterEach(async () => {
    for (const e of engines.splice(0)) await e.close().catch(() => undefined);
    await sim?.stop();
    sim = undefined;
  });

  it('is kept: the restarted engine calls the agent, then the caller, in the same place', async () => {
    const clock = new SteppedClock(Date.parse('2026-11-24T10:00:00+08:00'));
    sim = await startAriSimulator({ clock, logger, defaultPlaybackMs: 2000 });
    const time = new VirtualTime(clock, { sim, engines: () => engines });
    const until = time.runUntil.bind(time);
    const plan = sichuanWithCallbacks();
    const prefix = `hotline-callback-${process.pid}-${Date.now()}`;
    const start = async (records: MemoryRecords) => {
      const h = await startHotline({
        plan,
        ari: { url: sim!.url, user: 'hotline', password: 'hotline', apps: ['hotline'], maxConnections: 8 },
        redisUrl,
        redisKeyPrefix: prefix,
        roster: [{ id: 'a1001', name: 'a1001', pools: ['general'], skills: { general: 5 } }],
        records,
        engineId: 'engine-one',
        clock,
        logger,
        env: {},
      });
      engines.push(h);
      return h;
    };
    const first = await start(new MemoryRecords());
    sim.setEndpoint(CITIZEN, { behaviour: 'answer', answerAfterMs: 3000, online: true });
    const { channelId } = sim.injectCall({ app: 'hotline', dialed: '12345', callerNumber: '13800138000' });
    await until('the offer', () => first.engine.call(channelId)?.playback?.prompt === 'callback-offer-b');
    sim.sendDtmf(channelId, '1');
    await until('pending', () => first.engine.call(channelId)?.callback?.status === 'pending');
    await until('the caller channel gone', () => sim!.stats().liveChannels === 0);
    const enqueuedAt = first.engine.call(channelId)!.queue!.enqueuedAt;
    await time.settle("the session's last writes");

    engines.splice(engines.indexOf(first), 1);
    await first.close();

    const records = new MemoryRecords();
    const second = await start(records);
    expect(second.engine.call(channelId)).toMatchObject({
      stage: 'queued',
      callerChannel: '',
      callback: { status: 'pending' },
    });
    expect(await second.store.getCall(channelId)).toMatchObject({ enqueuedAt, callback: {} });
    await time.advance(60_000);
    expect(second.engine.call(channelId)?.callback?.status).toBe('pending');

    sim.setEndpoint('PJSIP/a1001', { behaviour: 'answer', answerAfterMs: 1000, online: true });
    await second.store.login('a1001', 'PJSIP/a1001');
    await until('talking', () => second.engine.call(channelId)?.stage === 'talking');
    const talking = second.engine.call(channelId)!;
    sim.hangup(talking.callerChannel);
    await until('the record', () => records.records.length === 1);
    expect(records.records[0]).toMatchObject({
      disposition: 'answered',
      agentId: 'a1001',
      callback: { outcome: 'connected' },
    });
    await until('no leaks', () => sim!.stats().liveChannels === 0 && sim!.stats().liveBridges === 0);
  });
});
