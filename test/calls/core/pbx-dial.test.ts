import { describe, expect, it } from 'vitest';
import { startCall } from '../../../src/calls/core/session.ts';
import { pbxDialOf } from '../../../src/plan/pbx-direct.ts';
import { parseInstant } from '../../../src/plan/zoned-time.ts';
import { puyang } from './harness.ts';

const now = parseInstant('2026-11-24T10:00:30', 'Asia/Shanghai')!;

describe('a sub-center call the PBX could not put through', () => {
  it('answers it as 12345: the failed attempt in the record, then the fallback apology and the general pool', () => {
    const dialStart = now - 30_000;
    const pbxDial = pbxDialOf([
      '12366',
      'direct-failed',
      'subcenter:tax',
      'NOANSWER',
      String(dialStart / 1000),
    ])!;
    const { state, commands } = startCall(
      {
        id: 'c1',
        app: 'hotline',
        callerChannel: 'c1',
        dialed: '12366',
        callerNumber: '13800138000',
        callerName: '',
        pbxDial,
      },
      puyang,
      now,
    );
    expect(commands[0]).toEqual({ kind: 'answer', channel: 'c1' });
    expect(commands.some((c) => c.kind === 'originate')).toBe(false);
    expect(state.playback?.prompt).toBe('transfer-failed');
    expect(state.next).toMatchObject({ kind: 'queue', queue: 'pool', id: 'general' });
    expect(state.transfers).toEqual([
      {
        id: expect.any(String),
        mode: 'ivr',
        target: { kind: 'subcenter', id: 'tax' },
        startedAt: dialStart,
        endedAt: now,
        result: 'no-answer',
        reason: 'dialled by the PBX before 12345 answered (DIALSTATUS NOANSWER)',
      },
    ]);
    expect(state.arrivedAt).toBe(dialStart);
    expect(state.line.id).toBe('l12366');
  });

  it('still dials the sub-center itself for a sub-center call that reaches it without a failed dial', () => {
    const { commands } = startCall(
      {
        id: 'c2',
        app: 'hotline',
        callerChannel: 'c2',
        dialed: '12366',
        callerNumber: '13800138000',
        callerName: '',
      },
      puyang,
      now,
    );
    expect(commands).toContainEqual(
      expect.objectContaining({ kind: 'originate', role: 'target', endpoint: 'PJSIP/12366@sc-tax' }),
    );
  });
});
