import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryAppendLog } from '../../src/admin/append-log.ts';
import type { AccessEntry } from '../../src/admin/ledgers.ts';
import { issueToken, TokenSet } from '../../src/admin/tokens.ts';
import { byteRange } from '../../src/api/recordings.ts';
import { buildApi } from '../../src/api/server.ts';
import { rosterToAgents } from '../../src/app.ts';
import type { CallState } from '../../src/calls/core/types.ts';
import { createLogger } from '../../src/log.ts';
import { parseWavHeader } from '../../src/prompts/wav.ts';
import type { RosterEntry } from '../../src/roster.ts';
import { type Rig, readyAgents, startRig } from '../support/engine-harness.ts';

const roster: RosterEntry[] = [
  { id: 'a1001', name: '王敏', endpoint: 'PJSIP/agent1001', pools: ['general'], skills: { general: 5 } },
];
const issued = {
  admin: issueToken('ops-admin', 'admin'),
  supervisor: issueToken('duty-supervisor', 'supervisor'),
  a1001: issueToken('a1001', 'agent', 'a1001'),
};
type Who = keyof typeof issued;

interface Api {
  rig: Rig;
  api: FastifyInstance;
  ledger: MemoryAppendLog<AccessEntry>;
  as(who: Who | undefined, o: InjectOptions): Promise<LightMyRequestResponse>;
}

let open: Api | undefined;
afterEach(async () => {
  await open?.api.close();
  await open?.rig.close();
  open = undefined;
});

async function start(recording: boolean): Promise<Api> {
  const rig = await startRig({
    roster,
    at: '2026-11-24T10:00:00+08:00',
    ...(recording ? { recording: { retentionDays: 30, sweepEveryMs: 365 * 86_400_000 } } : {}),
  });
  const ledger = new MemoryAppendLog<AccessEntry>();
  const api = await buildApi({
    hotline: rig.hotline,
    roster: rosterToAgents(roster, 'sichuan'),
    clock: rig.clock,
    logger: createLogger({ level: 'silent' }),
    tokens: new TokenSet(Object.values(issued).map((i) => i.entry)),
    authFailures: { max: 1000, windowMs: 60_000 },
    ledger,
  });
  const started: Api = {
    rig,
    api,
    ledger,
    as: (who, o) =>
      api.inject({
        ...o,
        headers: { ...(o.headers ?? {}), ...(who ? { authorization: `Bearer ${issued[who].token}` } : {}) },
      }),
  };
  open = started;
  return started;
}

/** One call answered by a1001, 30 s of talk, then the caller hangs up: its recording is stored. */
async function recordedCall(a: Api): Promise<{ callId: string; name: string }> {
  await readyAgents(a.rig, [{ id: 'a1001', endpoint: 'PJSIP/agent1001', answerAfterMs: 500 }]);
  const ended: CallState[] = [];
  a.rig.hotline.engine.onEnded((s) => ended.push(s));
  const { channelId } = a.rig.sim.injectCall({
    app: 'hotline',
    dialed: '12345',
    callerNumber: '13800138000',
  });
  await a.rig.runUntil('talking', () => a.rig.hotline.engine.call(channelId)?.stage === 'talking');
  await a.rig.advance(30_000);
  a.rig.sim.hangup(channelId);
  await a.rig.runUntil('ended', () => ended.length === 1);
  return { callId: channelId, name: ended[0]!.recordings![0]!.name };
}

describe('GET /recordings', () => {
  it('lists the recorded calls for supervisors, callers masked, and writes the read to the access ledger', async () => {
    const a = await start(true);
    const { callId, name } = await recordedCall(a);
    const res = await a.as('supervisor', { method: 'GET', url: '/recordings' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      recording: 'on',
      recordings: [
        {
          callId,
          startedAt: expect.any(String),
          recordings: [name],
          call: expect.objectContaining({
            callId,
            caller: '138******00',
            agentId: 'a1001',
            recordings: [name],
          }),
        },
      ],
    });
    expect(res.body).not.toContain('13800138000');
    expect(await a.ledger.latest(5)).toEqual([
      expect.objectContaining({ tokenId: 'duty-supervisor', route: '/recordings', callIds: [callId] }),
    ]);
  });

  it('says recording is off, with nothing to list, when RECORDING=off', async () => {
    const a = await start(false);
    const res = await a.as('admin', { method: 'GET', url: '/recordings' });
    expect(res.json()).toEqual({ recording: 'off', recordings: [] });
  });
});

describe('GET /recordings/:id', () => {
  it('streams the recording as audio/wav through the API and ledgers the playback', async () => {
    const a = await start(true);
    const { callId, name } = await recordedCall(a);
    const res = await a.as('supervisor', { method: 'GET', url: `/recordings/${name}` });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('audio/wav');
    expect(res.headers['accept-ranges']).toBe('bytes');
    expect(Number(res.headers['content-length'])).toBe(res.rawPayload.length);
    const wav = parseWavHeader(new Uint8Array(res.rawPayload));
    expect(wav).toMatchObject({ format: 1, channels: 1, sampleRate: 8000 });
    expect(wav.durationMs).toBeGreaterThanOrEqual(29_000);
    expect((await a.ledger.latest(1))[0]).toEqual(
      expect.objectContaining({
        tokenId: 'duty-supervisor',
        role: 'supervisor',
        method: 'GET',
        route: '/recordings/:id',
        callIds: [callId],
        recording: name,
      }),
    );
  });

  it('answers one byte range with 206, and a range past the end with 416', async () => {
    const a = await start(true);
    const { name } = await recordedCall(a);
    const whole = await a.as('admin', { method: 'GET', url: `/recordings/${name}` });
    const size = whole.rawPayload.length;
    const part = await a.as('admin', {
      method: 'GET',
      url: `/recordings/${name}`,
      headers: { range: 'bytes=40-99' },
    });
    expect(part.statusCode).toBe(206);
    expect(part.headers['content-range']).toBe(`bytes 40-99/${size}`);
    expect(part.rawPayload).toEqual(whole.rawPayload.subarray(40, 100));
    const tail = await a.as('admin', {
      method: 'GET',
      url: `/recordings/${name}`,
      headers: { range: 'bytes=-10' },
    });
    expect(tail.rawPayload).toEqual(whole.rawPayload.subarray(size - 10));
    const past = await a.as('admin', {
      method: 'GET',
      url: `/recordings/${name}`,
      headers: { range: `bytes=${size}-` },
    });
    expect(past.statusCode).toBe(416);
    expect(past.headers['content-range']).toBe(`bytes */${size}`);
    expect(past.json()).toMatchObject({ error: 'range-not-satisfiable' });
  });

  it('is for supervisors and admins only', async () => {
    const a = await start(true);
    const { name } = await recordedCall(a);
    expect((await a.as(undefined, { method: 'GET', url: `/recordings/${name}` })).statusCode).toBe(401);
    expect((await a.as('a1001', { method: 'GET', url: `/recordings/${name}` })).statusCode).toBe(403);
    expect((await a.as('a1001', { method: 'GET', url: '/recordings' })).statusCode).toBe(403);
    expect((await a.as('admin', { method: 'GET', url: `/recordings/${name}` })).statusCode).toBe(200);
    // Refused requests read nothing: only the admin's playback is in the ledger.
    expect((await a.ledger.latest(10)).map((e) => e.tokenId)).toEqual(['ops-admin']);
  });

  it('answers 404 for a recording it does not have, and 400 for what is no recording id', async () => {
    const a = await start(true);
    const missing = await a.as('supervisor', {
      method: 'GET',
      url: '/recordings/hotline-20261124T020000Z-1795485600_9-r7',
    });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ error: 'no-such-recording' });
    const bad = await a.as('supervisor', { method: 'GET', url: '/recordings/..%2F..%2Fetc%2Fpasswd' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: 'invalid-request', field: 'params.id' });
    expect(await a.ledger.latest(10)).toEqual([]);
  });
});

describe('byte ranges', () => {
  it('reads one range of the forms bytes=a-b, bytes=a- and bytes=-n, clipped to the size', () => {
    expect(byteRange('bytes=0-9', 100)).toEqual({ start: 0, end: 9 });
    expect(byteRange('bytes=90-200', 100)).toEqual({ start: 90, end: 99 });
    expect(byteRange('bytes=50-', 100)).toEqual({ start: 50, end: 99 });
    expect(byteRange('bytes=-20', 100)).toEqual({ start: 80, end: 99 });
    for (const bad of ['bytes=100-', 'bytes=5-1', 'bytes=-0', 'bytes=-', 'items=0-1', 'bytes=0-1,5-6'])
      expect(byteRange(bad, 100)).toBe('bad');
  });
});
