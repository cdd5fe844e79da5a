import { describe, expect, it } from 'vitest';
import { CallerCipher } from '../../src/records/caller-crypto.ts';
import { buildCallRecord, liveEvent, liveEventsSince } from '../../src/records/record.ts';
import { CallRecord, LiveEvent, recordsJsonSchema } from '../../src/records/schema.ts';
import {
  abandonedInQueue,
  answeredCall,
  T0,
  ticketedAfterLongestWait,
  transferredByAgent,
  transferredByIvrWithoutLog,
} from './call-states.ts';

const cipher = new CallerCipher({ id: 'k2026', material: Buffer.alloc(32, 7) });
const iso = (s: number) => new Date(T0 + s * 1000).toISOString();

describe('the call record, version 2', () => {
  it.each([
    ['answered', answeredCall],
    ['abandoned in the queue', abandonedInQueue],
    ['ticketed after the longest wait', ticketedAfterLongestWait],
    ['transferred by the agent', transferredByAgent],
    ['transferred by the IVR', transferredByIvrWithoutLog],
  ])('validates against its schema for a call %s', (_, state) => {
    const record = buildCallRecord(state(), { encrypt: cipher });
    expect(CallRecord.safeParse(record).error).toBeUndefined();
    expect(CallRecord.parse(JSON.parse(JSON.stringify(record)))).toEqual(record);
  });

  it('records the answered call with its times, queue, agent, failed offer and survey', () => {
    const r = buildCallRecord(answeredCall());
    expect(r).toMatchObject({
      type: 'call-record',
      version: 2,
      callId: 'call-answered',
      idempotencyKey: 'call-answered:record',
      disposition: 'answered',
      queue: { kind: 'pool', id: 'general' },
      pool: 'general',
      agentId: 'a1002',
      offers: [{ agentId: 'a1001', outcome: 'rona' }],
      surveyScore: 5,
      waitSeconds: 34,
      talkSeconds: 180,
      durationSeconds: 228,
      transfers: [],
    });
    expect(r.times).toEqual({
      arrivedAt: iso(0),
      answeredAt: new Date(T0 + 200).toISOString(),
      ivrEndedAt: iso(6),
      queueEnteredAt: iso(6),
      queueLeftAt: iso(40),
      agentOfferedAt: iso(36),
      agentAnsweredAt: iso(40),
      endedAt: iso(228),
    });
    expect(r.recording).toBeUndefined();
  });

  it('marks a caller who left an expert seat queue as abandoned there, with the menu path', () => {
    const r = buildCallRecord(abandonedInQueue());
    expect(r).toMatchObject({
      disposition: 'abandoned-queue',
      expertSeat: '12348',
      ivrPath: [{ menu: 'main', keys: '2', outcome: '法律咨询' }],
      waitSeconds: 58,
    });
    expect(r.pool).toBeUndefined();
    expect(r.agentId).toBeUndefined();
    expect(r.times.queueLeftAt).toBe(iso(64));
  });

  it('keeps the overflow and the reason of a ticketed call', () => {
    const r = buildCallRecord(ticketedAfterLongestWait());
    expect(r).toMatchObject({
      disposition: 'ticketed',
      ticketReason: 'max-wait',
      pool: 'backup',
      overflows: [{ from: 'pool:general', to: 'pool:backup', at: iso(90) }],
    });
    expect(r.times.queueLeftAt).toBe(iso(306));
  });

  it("lists the agent's transfers in order, failed attempts included", () => {
    const r = buildCallRecord(transferredByAgent());
    expect(r.transfers).toEqual([
      {
        target: { kind: 'subcenter', id: '12360' },
        mode: 'three-way',
        startedAt: iso(60),
        endedAt: iso(80),
        result: 'busy',
        cause: 17,
      },
      {
        target: { kind: 'subcenter', id: '12366' },
        mode: 'blind',
        startedAt: iso(90),
        answeredAt: iso(98),
        endedAt: iso(228),
        result: 'completed',
      },
    ]);
  });

  it('reads IVR-level transfers from the event log of a call state without a transfer log', () => {
    const r = buildCallRecord(transferredByIvrWithoutLog());
    expect(r.transfers).toEqual([
      {
        target: { kind: 'emergency', id: '110' },
        mode: 'ivr',
        startedAt: iso(4),
        endedAt: iso(9),
        result: 'busy',
        cause: 17,
      },
      {
        target: { kind: 'emergency', id: '110' },
        mode: 'ivr',
        startedAt: iso(10),
        answeredAt: iso(14),
        endedAt: iso(100),
        result: 'connected',
        cause: 16,
      },
    ]);
  });

  it('states a transfer still ringing when the call ended as cancelled', () => {
    const s = transferredByAgent();
    s.transfers = [
      {
        id: 'x',
        mode: 'consult',
        target: { kind: 'center', id: 'province' },
        startedAt: T0 + 200_000,
        result: 'dialing',
      },
    ];
    expect(buildCallRecord(s).transfers[0]).toMatchObject({ result: 'cancelled', endedAt: iso(228) });
  });

  it('masks the caller and keeps the full number only encrypted', () => {
    const plain = buildCallRecord(answeredCall());
    expect(plain.callerMasked).toBe('138******00');
    expect(plain.callerEncrypted).toBeUndefined();
    const sealed = buildCallRecord(answeredCall(), { encrypt: cipher });
    expect(JSON.stringify(sealed)).not.toContain('13800138000');
    expect(sealed.callerEncrypted?.keyId).toBe('k2026');
    expect(cipher.decrypt(sealed.callerEncrypted!, sealed.callId)).toBe('13800138000');
  });

  it('carries the recording reference only when recording is on', () => {
    expect(buildCallRecord(answeredCall(), { recording: 'rec/2026/03/02/call-answered.wav' }).recording).toBe(
      'rec/2026/03/02/call-answered.wav',
    );
    expect('recording' in buildCallRecord(answeredCall())).toBe(false);
  });
});

describe('live call events', () => {
  it('numbers the events of a call by their place in its log, with a stable key', () => {
    const s = answeredCall();
    const e = liveEvent(s, s.events[5]!);
    expect(e).toEqual({
      type: 'call-event',
      version: 2,
      callId: 'call-answered',
      idempotencyKey: 'call-answered:event:5',
      seq: 5,
      at: iso(40),
      what: 'connected',
      dialed: '12345',
      lineId: '12345',
      detail: { agent: 'a1002' },
    });
    expect(LiveEvent.parse(e)).toEqual(e);
  });

  it('sends only the entries not sent yet', () => {
    const s = answeredCall();
    expect(liveEventsSince(s, 7).map((e) => [e.seq, e.what])).toEqual([
      [7, 'survey'],
      [8, 'ended'],
    ]);
  });

  it('masks anything in an event that looks like a phone number', () => {
    const s = answeredCall();
    s.events.push({ at: T0, what: 'key', detail: { callback: '13912345678', digit: '1', gone: undefined } });
    expect(liveEvent(s, s.events.at(-1)!).detail).toEqual({ callback: '139******78', digit: '1' });
  });
});

describe('the records JSON Schema', () => {
  it('describes both messages for the ticketing developers', () => {
    const schema = recordsJsonSchema();
    const text = JSON.stringify(schema);
    expect(schema.title).toContain('version 2');
    expect(text).toContain('call-record');
    expect(text).toContain('call-event');
    expect(text).toContain('callerEncrypted');
  });
});
