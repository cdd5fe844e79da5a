/**
 * A call that ended is never started again, whatever a listing or a late StasisStart says, and
 * its record is written exactly once, retried until the sink takes it.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemoryAcdStore } from '../../../src/acd/store/memory.ts';
import { CallEngine } from '../../../src/calls/runtime/engine.ts';
import { noTicketing } from '../../../src/calls/runtime/ticketing.ts';
import { ManualClock } from '../../../src/clock.ts';
import { createLogger } from '../../../src/log.ts';
import { loadPlan } from '../../../src/plan/load.ts';
import type { CallRecord, RecordSink } from '../../../src/records/record.ts';
import { DialAllowList } from '../../../src/telephony/dial-allow-list.ts';
import {
  type OwnedResources,
  type PbxListing,
  TelephonyError,
  type TelephonyEvent,
  type TelephonyListener,
  type TelephonyPort,
} from '../../../src/telephony/port.ts';

const root = join(import.meta.dirname, '../../..');

/** A PBX whose app listing the test writes, and can hold until released. */
class StalePbx implements TelephonyPort {
  listener?: TelephonyListener;
  readonly hangups: string[] = [];
  listing: OwnedResources['channels'] = [];
  /** Listed carrier channels handed to the claim (several nodes), with their SIP Call-IDs. */
  readonly admitted: [string, string][] = [];
  holdListing?: Promise<void>;
  async start(listener: TelephonyListener): Promise<void> {
    this.listener = listener;
  }
  async stop(): Promise<void> {}
  emit(e: TelephonyEvent): void {
    this.listener?.(e);
  }
  async answer(): Promise<void> {}
  async play(): Promise<void> {}
  async stopPlayback(): Promise<void> {}
  async hangup(channelId: string): Promise<void> {
    this.hangups.push(channelId);
    throw new TelephonyError(404, 'hangup', 'Channel not found');
  }
  async originate(): Promise<void> {}
  async createBridge(): Promise<void> {}
  async addToBridge(): Promise<void> {}
  async removeFromBridge(): Promise<void> {}
  async setBridgeMoh(): Promise<void> {}
  async destroyBridge(): Promise<void> {}
  async owned(): Promise<OwnedResources> {
    const channels = [...this.listing];
    await this.holdListing;
    return { channels, bridges: [] };
  }
  async playbackExists(): Promise<boolean> {
    return true;
  }
  async channelExists(): Promise<boolean> {
    return false;
  }
  async listAll(): Promise<PbxListing> {
    return { channels: [], bridges: [] };
  }
  admit(e: Extract<TelephonyEvent, { kind: 'channel-entered' }>, sipCallId: string): void {
    this.admitted.push([e.channelId, sipCallId]);
  }
}

/** A sink that refuses its first `failures` writes. */
class FlakyRecords implements RecordSink {
  readonly records: CallRecord[] = [];
  attempts = 0;
  constructor(private failures = 0) {}
  async write(r: CallRecord): Promise<void> {
    this.attempts++;
    if (this.failures-- > 0) throw new Error('sink unavailable');
    this.records.push(r);
  }
  async close(): Promise<void> {}
}

const flush = async () => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
};

const entered = (channelId: string, args: string[] = ['12345']): TelephonyEvent => ({
  kind: 'channel-entered',
  app: 'hotline',
  channelId,
  args,
  dialed: '12345',
  callerNumber: '13900000001',
  callerName: '',
  state: 'Up',
});
const listed = (id: string) => ({
  id,
  app: 'hotline',
  dialed: '12345',
  callerNumber: '13900000001',
  callerName: '',
  state: 'Up',
});
const ended = (channelId: string): TelephonyEvent => ({
  kind: 'channel-ended',
  channelId,
  cause: 16,
  causeText: 'Normal Clearing',
});

async function engineOn(pbx: StalePbx, records = new FlakyRecords()) {
  const clock = new ManualClock(Date.parse('2026-03-02T10:00:00+08:00'));
  const plan = loadPlan(join(root, 'routing-rules')).plan;
  const allowList = DialAllowList.build({
    agents: [{ endpoint: 'PJSIP/agent1001' }, { endpoint: 'PJSIP/agent1002' }],
    plan,
  });
  const engine = new CallEngine({
    engineId: 'e1',
    telephony: pbx,
    acd: new MemoryAcdStore({ centerId: plan.center.id, clock }),
    records,
    ticketing: noTicketing,
    clock,
    logger: createLogger({ level: 'silent' }),
    plan: () => plan,
    dialAllowList: () => allowList,
    reconcileEveryMs: 0,
  });
  await engine.start();
  const started: string[] = [];
  engine.onStage((s) => started.push(s.id));
  return { engine, records, clock, started };
}

describe('resync and StasisStart against calls that have ended', () => {
  it('does not start again a call that ends while the listing is being read', async () => {
    const pbx = new StalePbx();
    const { engine, records } = await engineOn(pbx);
    pbx.emit(entered('c1'));
    await flush();
    expect(engine.call('c1')?.stage).toBe('ivr');
    let release!: () => void;
    pbx.holdListing = new Promise((r) => {
      release = r;
    });
    pbx.listing = [listed('c1')];
    const resync = engine.resync();
    pbx.emit(ended('c1'));
    await flush();
    release();
    await resync;
    await flush();
    expect(engine.liveCalls()).toEqual([]);
    expect(records.records.map((r) => r.callId)).toEqual(['c1']);
  });

  it('hangs up a listed channel and a StasisStart of a call that ended (its tombstone), never a second record', async () => {
    const pbx = new StalePbx();
    const { engine, records } = await engineOn(pbx);
    pbx.emit(entered('c2'));
    await flush();
    pbx.emit(ended('c2'));
    await engine.settle();
    await flush();
    pbx.listing = [listed('c2')];
    await engine.resync();
    pbx.emit(entered('c2'));
    await flush();
    expect(engine.liveCalls()).toEqual([]);
    expect(pbx.hangups.filter((h) => h === 'c2')).toHaveLength(2);
    expect(records.records.map((r) => [r.callId, r.idempotencyKey])).toEqual([['c2', 'c2:record']]);
  });

  it("hands a listed channel of a carrier call to the call's claim, and starts no call for it itself", async () => {
    const pbx = new StalePbx();
    const { engine } = await engineOn(pbx);
    pbx.listing = [{ ...listed('c4'), sipCallId: 'sip-4@carrier' }, listed('c5')];
    await engine.resync();
    await flush();
    expect(pbx.admitted).toEqual([['c4', 'sip-4@carrier']]);
    expect(engine.liveCalls().map((s) => s.id)).toEqual(['c5']);
  });

  it('never takes a leg whose app arguments name an originated role for a caller', async () => {
    const pbx = new StalePbx();
    const { engine, records } = await engineOn(pbx);
    pbx.emit(entered('leg-1', ['agent', 'gone-call']));
    pbx.emit(entered('leg-2', ['target', 'gone-call']));
    await flush();
    expect(engine.liveCalls()).toEqual([]);
    expect(pbx.hangups).toEqual(['leg-1', 'leg-2']);
    expect(records.records).toEqual([]);
  });
});

describe('a record the sink refuses', () => {
  it('is retried with a growing delay on the clock until written, once', async () => {
    const pbx = new StalePbx();
    const { engine, records, clock } = await engineOn(pbx, new FlakyRecords(3));
    pbx.emit(entered('c3'));
    await flush();
    pbx.emit(ended('c3'));
    await flush();
    expect(records.attempts).toBe(1);
    expect(engine.endsPending).toBe(1);
    clock.advance(1_000);
    await flush();
    expect(records.attempts).toBe(2);
    clock.advance(1_999);
    await flush();
    expect(records.attempts).toBe(2); // the second retry waits 2 s
    clock.advance(1);
    await flush();
    clock.advance(4_000);
    await flush();
    expect(records.attempts).toBe(4);
    expect(records.records.map((r) => r.callId)).toEqual(['c3']);
    expect(engine.endsPending).toBe(0);
    clock.advance(600_000);
    await flush();
    expect(records.attempts).toBe(4);
  });
});
