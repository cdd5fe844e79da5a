import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemoryAcdStore } from '../../../src/acd/store/memory.ts';
import { acdQueueId, CallEngine } from '../../../src/calls/runtime/engine.ts';
import { noTicketing } from '../../../src/calls/runtime/ticketing.ts';
import { ManualClock } from '../../../src/clock.ts';
import { createLogger } from '../../../src/log.ts';
import { loadPlan } from '../../../src/plan/load.ts';
import type { CallRecord, RecordSink } from '../../../src/records/record.ts';
import { DialAllowList } from '../../../src/telephony/dial-allow-list.ts';
import {
  type OriginateRequest,
  type PbxListing,
  TelephonyError,
  type TelephonyEvent,
  type TelephonyListener,
  type TelephonyPort,
} from '../../../src/telephony/port.ts';

const root = join(import.meta.dirname, '../../..');

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
}
const deferred = (): Deferred => {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
};

/** A PBX the test steers: which channels exist, and which requests hang until released. */
class FakePbx implements TelephonyPort {
  listener?: TelephonyListener;
  readonly channels = new Set<string>();
  readonly bridges = new Set<string>();
  readonly hangups: string[] = [];
  holdOriginate?: Deferred;
  holdDestroyBridge?: Deferred;

  async start(listener: TelephonyListener): Promise<void> {
    this.listener = listener;
  }
  async stop(): Promise<void> {}
  emit(e: TelephonyEvent): void {
    this.listener?.(e);
  }
  async answer(channelId: string): Promise<void> {
    if (!this.channels.has(channelId)) throw new TelephonyError(404, 'answer', 'Channel not found');
  }
  async play(): Promise<void> {}
  async stopPlayback(): Promise<void> {}
  async hangup(channelId: string): Promise<void> {
    this.hangups.push(channelId);
    if (!this.channels.delete(channelId)) throw new TelephonyError(404, 'hangup', 'Channel not found');
  }
  async originate(r: OriginateRequest): Promise<void> {
    await this.holdOriginate?.promise;
    this.channels.add(r.channelId);
  }
  async createBridge(bridgeId: string): Promise<void> {
    this.bridges.add(bridgeId);
  }
  async addToBridge(): Promise<void> {}
  async removeFromBridge(): Promise<void> {}
  async setBridgeMoh(): Promise<void> {}
  async destroyBridge(bridgeId: string): Promise<void> {
    await this.holdDestroyBridge?.promise;
    this.bridges.delete(bridgeId);
  }
  async owned() {
    return { channels: [], bridges: [] };
  }
  async playbackExists(): Promise<boolean> {
    return false;
  }
  async channelExists(channelId: string): Promise<boolean> {
    return this.channels.has(channelId);
  }
  async listAll(): Promise<PbxListing> {
    return {
      channels: [...this.channels].map((id) => ({ id, state: 'Up' })),
      bridges: [...this.bridges].map((id) => ({ id, channels: [] })),
    };
  }
}

class Records implements RecordSink {
  readonly records: CallRecord[] = [];
  async write(r: CallRecord): Promise<void> {
    this.records.push(r);
  }
  async close(): Promise<void> {}
}

const flush = async () => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
};

/** An engine on the fake PBX with one caller queued and agent a1001 being rung. */
async function ringing(pbx: FakePbx) {
  const clock = new ManualClock(Date.parse('2026-03-02T10:00:00+08:00'));
  const plan = loadPlan(join(root, 'routing-rules')).plan;
  const allowList = DialAllowList.build({
    agents: [{ endpoint: 'PJSIP/agent1001' }, { endpoint: 'PJSIP/agent1002' }],
    plan,
  });
  const acd = new MemoryAcdStore({ centerId: plan.center.id, clock });
  await acd.setQueues([
    {
      id: acdQueueId('pool', 'general'),
      kind: 'pool',
      name: 'general',
      skills: ['general'],
      strategy: 'longest-idle',
      wrapUpSeconds: 0,
      maxWaitSeconds: 600,
    },
  ]);
  const records = new Records();
  const engine = new CallEngine({
    engineId: 'e1',
    telephony: pbx,
    acd,
    records,
    ticketing: noTicketing,
    clock,
    logger: createLogger({ level: 'silent' }),
    plan: () => plan,
    dialAllowList: () => allowList,
    reconcileEveryMs: 0,
  });
  await engine.start();
  pbx.channels.add('c1');
  pbx.emit({
    kind: 'channel-entered',
    app: 'hotline',
    channelId: 'c1',
    args: ['12345'],
    dialed: '12345',
    callerNumber: '13900000001',
    callerName: '',
    state: 'Ring',
  });
  for (let i = 0; i < 10 && engine.call('c1')?.stage === 'ivr'; i++) {
    await flush();
    const pb = engine.call('c1')?.playback;
    if (pb) pbx.emit({ kind: 'playback-finished', playbackId: pb.id, failed: false });
  }
  expect(engine.call('c1')?.stage).toBe('queued');
  engine.dispatch('c1', { kind: 'agent-reserved', agentId: 'a1001', endpoint: 'PJSIP/agent1001' });
  const offer = engine.call('c1')!.offer!.channelId;
  return { engine, records, offer, clock };
}

describe('a caller who leaves while the agent’s phone is being answered', () => {
  it('hangs up the agent leg that answers after its call ended, while the call’s last requests are still on their way', async () => {
    const pbx = new FakePbx();
    const { engine, records, offer } = await ringing(pbx);
    await flush();
    expect(pbx.channels.has(offer)).toBe(true);
    // The bridge removal is slow (a loaded PBX): the ended call's channels stay mapped meanwhile.
    pbx.holdDestroyBridge = deferred();
    // The hang-up of the ringing leg crosses the agent's 200 OK: the PBX answers 404 and the leg lives on.
    pbx.channels.delete(offer);
    pbx.emit({ kind: 'channel-ended', channelId: 'c1', cause: 16, causeText: 'Normal Clearing' });
    await flush();
    expect(records.records[0]).toMatchObject({ disposition: 'abandoned-ringing' });
    expect(pbx.hangups).toEqual([offer]);
    pbx.channels.add(offer);
    pbx.emit({
      kind: 'channel-entered',
      app: 'hotline',
      channelId: offer,
      args: ['agent', 'c1'],
      dialed: '',
      callerNumber: '',
      callerName: '',
      state: 'Up',
    });
    await flush();
    expect(pbx.hangups).toEqual([offer, offer]);
    expect(pbx.channels.has(offer)).toBe(false);
    pbx.holdDestroyBridge.resolve();
    await engine.settle();
  });

  it('hangs up an agent leg whose originate was still on its way when the caller left', async () => {
    const pbx = new FakePbx();
    pbx.holdOriginate = deferred();
    const { engine, offer } = await ringing(pbx);
    pbx.emit({ kind: 'channel-ended', channelId: 'c1', cause: 16, causeText: 'Normal Clearing' });
    await flush();
    // The hang-up overtook the originate: nothing to hang up yet.
    expect(pbx.hangups).toEqual([offer]);
    expect(pbx.channels.has(offer)).toBe(false);
    pbx.holdOriginate.resolve();
    await flush();
    expect(pbx.hangups).toEqual([offer, offer]);
    expect(pbx.channels.has(offer)).toBe(false);
    await engine.settle();
  });
});

describe('the periodic reconciliation, on a PBX that lost events', () => {
  it('ends a call whose legs are gone without a word (twice found), with its record, and hangs up nothing live', async () => {
    const pbx = new FakePbx();
    const { engine, records, clock } = await ringing(pbx);
    await flush();
    // The PBX loses both channels and their ChannelDestroyed events never come.
    pbx.channels.clear();
    clock.advance(15_000);
    expect(await engine.reconcile()).toEqual({
      orphanChannels: 0,
      orphanBridges: 0,
      lostChannels: 0,
      endedCalls: 0,
    });
    expect(engine.call('c1')?.stage).toBe('ringing');
    clock.advance(30_000);
    const found = await engine.reconcile();
    expect(found.lostChannels).toBeGreaterThanOrEqual(1);
    expect(found.endedCalls).toBe(1);
    await flush();
    expect(engine.call('c1')).toBeUndefined();
    expect(records.records).toHaveLength(1);
    expect(records.records[0]).toMatchObject({ callId: 'c1', disposition: 'abandoned-ringing' });
    expect(pbx.hangups).not.toContain('c1');
    // The call's end removed its bridge; later runs find nothing more.
    expect(pbx.bridges.size).toBe(0);
    clock.advance(30_000);
    await engine.reconcile();
    clock.advance(30_000);
    expect(await engine.reconcile()).toEqual({
      orphanChannels: 0,
      orphanBridges: 0,
      lostChannels: 0,
      endedCalls: 0,
    });
    expect(engine.stats.reconcile).toMatchObject({
      runs: 4,
      endedCalls: 1,
      orphanBridges: 0,
      orphanChannels: 0,
    });
  });
});

describe('ids the engine handed out, known from its own maps', () => {
  it('hangs up a leg it originated for an ended call without reading the leg’s app arguments', async () => {
    const pbx = new FakePbx();
    const { engine, offer } = await ringing(pbx);
    await flush();
    pbx.emit({ kind: 'channel-ended', channelId: 'c1', cause: 16, causeText: 'Normal Clearing' });
    await engine.settle();
    await flush();
    expect(pbx.hangups).toEqual([offer]);
    pbx.channels.add(offer);
    pbx.emit({
      kind: 'channel-entered',
      app: 'hotline',
      channelId: offer,
      args: [],
      dialed: '',
      callerNumber: '',
      callerName: '',
      state: 'Up',
    });
    await flush();
    expect(pbx.hangups).toEqual([offer, offer]);
    expect(engine.liveCalls()).toEqual([]);
    expect(engine.stats.started).toBe(1);
  });

  it('moves a call on only for a playback it started', async () => {
    const pbx = new FakePbx();
    const { engine } = await ringing(pbx);
    pbx.channels.add('c2');
    pbx.emit({
      kind: 'channel-entered',
      app: 'hotline',
      channelId: 'c2',
      args: ['12345'],
      dialed: '12345',
      callerNumber: '13900000002',
      callerName: '',
      state: 'Ring',
    });
    await flush();
    const pb = engine.call('c2')!.playback!;
    const before = JSON.stringify(engine.call('c2'));
    pbx.emit({ kind: 'playback-finished', playbackId: `c2-p${pb.id.length + 99}`, failed: false });
    await flush();
    expect(JSON.stringify(engine.call('c2'))).toBe(before);
    pbx.emit({ kind: 'playback-finished', playbackId: pb.id, failed: false });
    await flush();
    expect(engine.call('c2')!.playback?.id).not.toBe(pb.id);
    // The same playback finishing twice moves nothing a second time.
    const after = JSON.stringify(engine.call('c2'));
    pbx.emit({ kind: 'playback-finished', playbackId: pb.id, failed: false });
    await flush();
    expect(JSON.stringify(engine.call('c2'))).toBe(after);
    await engine.settle();
  });
});
