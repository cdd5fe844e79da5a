import { describe, expect, it } from 'vitest';
import { SHED_CALL_EVENTS, shedCall } from '../../src/admission/shed-call.ts';
import { callFigures } from '../../src/records/call-figures.ts';
import { buildCallRecord } from '../../src/records/record.ts';
import { CallRecord } from '../../src/records/schema.ts';
import { plans } from '../support/engine-harness.ts';

const call = (dialed: string) => ({
  id: '1700000000.42',
  app: 'hotline-1',
  callerChannel: '1700000000.42',
  dialed,
  callerNumber: '13800138000',
  callerName: '',
});
const at = Date.parse('2026-06-01T10:00:00+08:00');

describe('the session of a shed call', () => {
  it('has ended, with disposition shed and the reason, on the line of the dialed number', () => {
    const s = shedCall(call('12345'), plans.sichuan(), at, 'actionLatencyMs');
    expect(s).toMatchObject({
      stage: 'ended',
      disposition: 'shed',
      shedReason: 'actionLatencyMs',
      arrivedAt: at,
      endedAt: at,
    });
    expect(s.line.mode).toBe('main');
    expect(s.events.map((e) => e.what)).toEqual(['arrived', 'shed', 'ended']);
    expect(s.events).toHaveLength(SHED_CALL_EVENTS);
  });

  it('makes a valid record that says shed and why, with the caller masked', () => {
    const record = buildCallRecord(shedCall(call('12345'), plans.sichuan(), at, 'restInFlight'));
    expect(CallRecord.parse(record)).toMatchObject({
      callId: '1700000000.42',
      idempotencyKey: '1700000000.42:record',
      disposition: 'shed',
      shedReason: 'restInFlight',
      callerMasked: '138******00',
      durationSeconds: 0,
      prompts: [],
    });
    expect(record.times.answeredAt).toBeUndefined();
  });

  it('serves a number no line answers as the main line, as an admitted call would be', () => {
    const s = shedCall(call('99999'), plans.sichuan(), at, 'forced');
    expect(s.line.mode).toBe('main');
    expect(s.events[0]?.detail).toMatchObject({ unknownNumber: true });
  });

  it('is neither offered to a queue nor abandoned in the call figures', () => {
    const f = callFigures(shedCall(call('12345'), plans.sichuan(), at, 'forced'));
    expect(f.offered).toBe(false);
    expect(f.abandonedWaiting).toBe(false);
  });
});
