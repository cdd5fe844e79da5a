import { afterEach, describe, expect, it } from 'vitest';
import type { CallState } from '../../src/calls/core/types.ts';
import { parseWavHeader } from '../../src/prompts/wav.ts';
import type { RecordingSettings } from '../../src/recordings/recordings.ts';
import { CallRecord } from '../../src/records/schema.ts';
import { type Rig, readyAgents, startRig } from '../support/engine-harness.ts';

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

const TAX = 'PJSIP/12366@sc-tax';
const DAY = 24 * 60 * 60 * 1000;
/** Recording on, kept 30 days; the periodic sweep is out of the way unless a test drives it. */
const ON: RecordingSettings = { retentionDays: 30, sweepEveryMs: 365 * DAY };

interface Talk {
  rig: Rig;
  callId: string;
  ended: CallState[];
}

async function talking(recording: RecordingSettings | 'off' = ON): Promise<Talk> {
  rig = await startRig({
    roster: [
      { id: 'a1001', name: 'a1001', endpoint: 'PJSIP/agent1001', pools: ['general'], skills: { general: 5 } },
    ],
    at: '2026-11-24T10:00:00+08:00',
    ...(recording !== 'off' ? { recording } : {}),
  });
  await readyAgents(rig, [{ id: 'a1001', endpoint: 'PJSIP/agent1001', answerAfterMs: 500 }]);
  rig.sim.setEndpoint(TAX, { behaviour: 'answer', answerAfterMs: 1500, online: true });
  const ended: CallState[] = [];
  rig.hotline.engine.onEnded((s) => ended.push(s));
  const { channelId } = rig.sim.injectCall({ app: 'hotline', dialed: '12345', callerNumber: '13800138000' });
  await rig.runUntil('talking', () => rig!.hotline.engine.call(channelId)?.stage === 'talking');
  return { rig, callId: channelId, ended };
}

const state = (t: Talk) => t.rig.hotline.engine.call(t.callId)!;

/** What the simulated Asterisk says over ARI (basic auth of the rig). */
async function ari(r: Rig, path: string, method = 'GET'): Promise<Response> {
  return fetch(`${r.sim.url}/ari${path}`, {
    method,
    headers: { authorization: `Basic ${Buffer.from('hotline:hotline').toString('base64')}` },
  });
}

async function stored(r: Rig): Promise<string[]> {
  return (await r.hotline.recordings!.store.list()).map((s) => s.name).sort();
}

async function hangUpAndRecord(t: Talk): Promise<CallRecord> {
  t.rig.sim.hangup(t.callId);
  await t.rig.runUntil('ended', () => t.ended.length === 1);
  await t.rig.runUntil('record written', () => t.rig.records.records.length === 1);
  return CallRecord.parse(t.rig.records.records[0]);
}

describe('call recording', () => {
  it("records the call's bridge from the agent's answer to the end, and names it in the call record", async () => {
    const t = await talking();
    const s = state(t);
    expect(s.recordings).toHaveLength(1);
    const [rec] = s.recordings!;
    expect(rec!.bridgeId).toBe(s.bridgeId);
    expect(rec!.startedAt).toBe(s.agent!.answeredAt);
    expect(rec!.name).toMatch(/^hotline-20261124T0200\d\dZ-.+-r\d+$/);
    await t.rig.settle();
    const live = await ari(t.rig, `/recordings/live/${rec!.name}`);
    expect(await live.json()).toMatchObject({
      name: rec!.name,
      format: 'wav',
      state: 'recording',
      target_uri: `bridge:${s.bridgeId}`,
    });
    // As on Asterisk, its file is among the stored recordings from the start.
    expect(await stored(t.rig)).toEqual([rec!.name]);

    await t.rig.advance(20_000);
    const record = await hangUpAndRecord(t);
    expect(record.recordings).toEqual([rec!.name]);
    expect(record.recording).toBe(rec!.name);
    expect(await stored(t.rig)).toEqual([rec!.name]);
    const file = await ari(t.rig, `/recordings/stored/${rec!.name}/file`);
    expect(file.headers.get('content-type')).toBe('audio/wav');
    const wav = parseWavHeader(new Uint8Array(await file.arrayBuffer()));
    expect(wav.durationMs).toBeGreaterThanOrEqual(19_000);
  });

  it('does not record while the caller is only in the IVR or the queue', async () => {
    rig = await startRig({ roster: [], at: '2026-11-24T10:00:00+08:00', recording: ON });
    const ended: CallState[] = [];
    rig.hotline.engine.onEnded((s) => ended.push(s));
    const { channelId } = rig.sim.injectCall({
      app: 'hotline',
      dialed: '12345',
      callerNumber: '13800138000',
    });
    await rig.runUntil('queued', () => rig!.hotline.engine.call(channelId)?.stage === 'queued');
    await rig.advance(10_000);
    rig.sim.hangup(channelId);
    await rig.runUntil('ended', () => ended.length === 1);
    await rig.runUntil('record written', () => rig!.records.records.length === 1);
    expect(ended[0]!.recordings).toBeUndefined();
    expect(rig.records.records[0]!.recordings).toBeUndefined();
    expect(await stored(rig)).toEqual([]);
  });

  it('covers a three-way transfer: the sub-center joins the recorded bridge, which is recorded once', async () => {
    const t = await talking();
    t.rig.hotline.engine.request(t.callId, { kind: 'transfer', target: 'subcenter:tax', mode: 'three-way' });
    await t.rig.runUntil('target joined', () => state(t).transfers?.[0]?.result === 'connected');
    t.rig.hotline.engine.request(t.callId, { kind: 'agent-leave' });
    await t.rig.runUntil('transferred', () => state(t).stage === 'transferred');
    const name = state(t).recordings![0]!.name;
    expect(state(t).recordings).toHaveLength(1);
    // Caller and sub-center talk on after the agent left: the recording is still running.
    await t.rig.settle();
    const live = (await (await ari(t.rig, `/recordings/live/${name}`)).json()) as { state: string };
    expect(live.state).toBe('recording');
    const record = await hangUpAndRecord(t);
    expect(record.disposition).toBe('transferred');
    expect(record.recordings).toEqual([name]);
    expect(await stored(t.rig)).toEqual([name]);
  });

  it("records a consult's own bridge too, once the sub-center answered, and keeps both names", async () => {
    const t = await talking();
    t.rig.hotline.engine.request(t.callId, { kind: 'transfer', target: 'subcenter:tax', mode: 'consult' });
    await t.rig.runUntil('consulting', () => state(t).transfers?.[0]?.result === 'connected');
    const s = state(t);
    expect(s.recordings?.map((r) => r.bridgeId)).toEqual([s.bridgeId, s.transfer!.consultBridgeId]);
    t.rig.hotline.engine.request(t.callId, { kind: 'transfer-complete' });
    await t.rig.runUntil('transferred', () => state(t).stage === 'transferred');
    const names = state(t).recordings!.map((r) => r.name);
    const record = await hangUpAndRecord(t);
    expect(record.recordings).toEqual(names);
    expect(await stored(t.rig)).toEqual([...names].sort());
  });

  it('records nothing with RECORDING=off', async () => {
    const t = await talking('off');
    expect(state(t).recordings).toBeUndefined();
    expect(t.rig.hotline.recordings).toBeUndefined();
    const record = await hangUpAndRecord(t);
    expect(record.recording).toBeUndefined();
    expect(record.recordings).toBeUndefined();
    const list = await (await ari(t.rig, '/recordings/stored')).json();
    expect(list).toEqual([]);
  });

  it("the retention sweep deletes only the engine's recordings older than the retention", async () => {
    const t = await talking({ retentionDays: 30, sweepEveryMs: 60 * 60 * 1000 });
    // Earlier recordings on the PBX: one of the engine's 40 days old, one 10 days old, one not the engine's.
    const old = 'hotline-20261015T020000Z-1700000000_1-r5';
    const recent = 'hotline-20261114T020000Z-1700000000_2-r5';
    const foreign = 'voicemail-20200101';
    for (const name of [old, recent, foreign]) {
      expect((await ari(t.rig, `/bridges/b-${name}`, 'POST')).status).toBe(200);
      expect((await ari(t.rig, `/bridges/b-${name}/record?name=${name}&format=wav`, 'POST')).status).toBe(
        201,
      );
      expect((await ari(t.rig, `/bridges/b-${name}`, 'DELETE')).status).toBe(204);
    }
    await hangUpAndRecord(t);
    const today = t.ended[0]!.recordings![0]!.name;
    expect(await stored(t.rig)).toEqual([old, recent, today, foreign].sort());

    // The sweep runs on the engine's clock, one period after start.
    await t.rig.advance(60 * 60 * 1000);
    await expect.poll(() => stored(t.rig)).toEqual([recent, today, foreign].sort());
    // Nothing more to delete on the next run.
    expect(await t.rig.hotline.recordings!.retention.sweep()).toEqual([]);
  });
});
