import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { createLogger } from '../../src/log.ts';
import { loadPlan } from '../../src/plan/load.ts';
import { CallerCipher } from '../../src/records/caller-crypto.ts';
import type { CallRecord } from '../../src/records/record.ts';
import { readSafetyNetConfig, SafetyNetIntake } from '../../src/records/safety-net-intake.ts';
import {
  parseSafetyNetNote,
  SafetyNetNoteError,
  safetyNetRecord,
} from '../../src/records/safety-net-notes.ts';
import { CallRecord as CallRecordSchema } from '../../src/records/schema.ts';

const { plan } = loadPlan(join(import.meta.dirname, '../../routing-rules'));
const cipher = new CallerCipher({ id: 'k2026', material: Buffer.alloc(32, 7) });
const silent = createLogger({ level: 'silent' });
const T = 1_764_511_262; // 2025-11-30T14:01:02Z

const served =
  `outcome=served caller=13800138000 dialed=12345 started=2025-11-30T22:01:02+08:00 uniqueid=${T}.42 ` +
  `agent=PJSIP/agent1001 recording= member=agent1001 arrived=${T} queued=${T + 4} holdtime=3 ` +
  `queuestatus= ended=${T + 40} cause=16\n`;
const message =
  `outcome=message caller=13900139000 dialed=12345 started=2025-11-30T22:01:02+08:00 uniqueid=${T}.43 ` +
  `agent= recording=/var/spool/hotline/fallback/${T}-${T}.43-12345.wav member= arrived=${T} ` +
  `queued=${T + 4} holdtime= queuestatus=JOINEMPTY ended=${T + 30} cause=16\n`;

describe('a safety-net note and its record', () => {
  it('an agent answered in the queue: safety-net-answered, with wait, talk and agent', () => {
    const record = safetyNetRecord(parseSafetyNetNote(served), plan, { encrypt: cipher });
    expect(CallRecordSchema.parse(record)).toEqual(record);
    expect(record).toMatchObject({
      callId: `${T}.42`,
      idempotencyKey: `${T}.42:record`,
      dialed: '12345',
      disposition: 'safety-net-answered',
      agentId: 'agent1001',
      callerMasked: '138******00',
      waitSeconds: 3,
      talkSeconds: 33,
      durationSeconds: 40,
      hangupCause: 16,
      times: {
        arrivedAt: new Date(T * 1000).toISOString(),
        queueEnteredAt: new Date((T + 4) * 1000).toISOString(),
        agentAnsweredAt: new Date((T + 7) * 1000).toISOString(),
        endedAt: new Date((T + 40) * 1000).toISOString(),
      },
    });
    expect(JSON.stringify(record)).not.toContain('13800138000');
    expect(cipher.decrypt(record.callerEncrypted!, record.callId)).toBe('13800138000');
  });

  it('a message or an unserved caller: safety-net-message, with the recording, no agent', () => {
    const record = safetyNetRecord(parseSafetyNetNote(message), plan);
    expect(CallRecordSchema.parse(record)).toEqual(record);
    expect(record.disposition).toBe('safety-net-message');
    expect(record.agentId).toBeUndefined();
    expect(record.callerEncrypted).toBeUndefined();
    expect(record.recording).toMatch(/\.wav$/);
    expect(record.durationSeconds).toBe(30);
    const abandoned = safetyNetRecord(
      parseSafetyNetNote(
        message.replace('outcome=message', 'outcome=abandoned').replace(/recording=\S+/, 'recording='),
      ),
      plan,
    );
    expect(abandoned.disposition).toBe('safety-net-message');
  });

  it('reads a note of the earlier format (no times but started) and refuses what is not a note', () => {
    const old =
      'outcome=served caller=13800138000 dialed=99999 started=2025-11-30T22:01:02+08:00 ' +
      `uniqueid=${T}.44 agent=PJSIP/agent1001 recording=`;
    const record = safetyNetRecord(parseSafetyNetNote(old), plan, { fileTimeMs: (T + 60) * 1000 });
    expect(record).toMatchObject({
      disposition: 'safety-net-answered',
      agentId: 'agent1001',
      durationSeconds: 60,
    });
    // a number the plan does not answer is recorded on the main line, as the engine serves it
    expect(record.line.mode).toBe('main');
    expect(() => parseSafetyNetNote('hello')).toThrow(SafetyNetNoteError);
    expect(() => parseSafetyNetNote(served.replace(/uniqueid=\S+/, 'uniqueid='))).toThrow(/uniqueid/);
  });
});

describe('the safety-net intake', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  function setUp(write: (r: CallRecord) => Promise<void>) {
    dir = mkdtempSync(join(tmpdir(), 'safety-net-'));
    writeFileSync(join(dir, `${T}-${T}.42-12345.txt`), served);
    writeFileSync(join(dir, `${T}-${T}.43-12345.txt`), message);
    writeFileSync(join(dir, `${T}-${T}.43-12345.wav`), 'RIFF');
    writeFileSync(join(dir, 'broken.txt'), 'not a note');
    const clock = new ManualClock();
    const intake = new SafetyNetIntake({
      dir,
      records: { write },
      plan: () => plan,
      clock,
      logger: silent,
      everyMs: 30_000,
    });
    return { dir, clock, intake };
  }

  it('writes one record per note, then moves the note to done/; reading again writes nothing more', async () => {
    const written: CallRecord[] = [];
    const { dir, intake } = setUp(async (r) => {
      written.push(r);
    });
    await expect(intake.scan()).resolves.toEqual({ delivered: 2, failed: 0 });
    expect(written.map((r) => r.disposition)).toEqual(['safety-net-answered', 'safety-net-message']);
    expect(readdirSync(join(dir, 'done')).sort()).toEqual([
      `${T}-${T}.42-12345.txt`,
      `${T}-${T}.43-12345.txt`,
    ]);
    // the message stays where the note's recording says; the unreadable note stays too
    expect(readdirSync(dir).sort()).toEqual([`${T}-${T}.43-12345.wav`, 'broken.txt', 'done']);
    await expect(intake.scan()).resolves.toEqual({ delivered: 0, failed: 0 });
    expect(written).toHaveLength(2);
    await intake.stop();
  });

  it('a write that fails leaves the note for the next round, which writes the same key', async () => {
    const written: CallRecord[] = [];
    let failing = true;
    const { dir, clock, intake } = setUp(async (r) => {
      if (failing) throw new Error('outbox unavailable');
      written.push(r);
    });
    intake.start();
    await intake.scan();
    expect(written).toHaveLength(0);
    expect(readdirSync(dir).filter((n) => n.endsWith('.txt'))).toHaveLength(3);
    failing = false;
    clock.advance(30_000);
    await intake.scan();
    expect(written.map((r) => r.idempotencyKey).sort()).toEqual([`${T}.42:record`, `${T}.43:record`]);
    await intake.stop();
  });

  it('a crash between the write and the move delivers the same key again (consumers drop it)', async () => {
    const written: CallRecord[] = [];
    const { dir } = setUp(async (r) => {
      written.push(r);
    });
    // the first engine wrote the record, then died before the move: the note is still there
    const again = new SafetyNetIntake({
      dir,
      records: { write: async (r) => void written.push(r) },
      plan: () => plan,
      clock: new ManualClock(),
      logger: silent,
    });
    const first = new SafetyNetIntake({
      dir,
      records: {
        write: async (r) => {
          written.push(r);
          throw new Error('killed');
        },
      },
      plan: () => plan,
      clock: new ManualClock(),
      logger: silent,
    });
    await first.scan();
    await first.stop();
    await again.scan();
    await again.stop();
    const keys = written.map((r) => r.idempotencyKey);
    expect(new Set(keys).size).toBe(2);
    expect(keys).toHaveLength(4);
    expect(readFileSync(join(dir, 'done', `${T}-${T}.42-12345.txt`), 'utf8')).toBe(served);
  });

  it('a spool that does not exist is nothing to do; SAFETY_NET_SPOOL defaults to the dialplan’s', async () => {
    const intake = new SafetyNetIntake({
      dir: join(tmpdir(), 'no-such-spool-for-hotline'),
      records: { write: async () => undefined },
      plan: () => plan,
      clock: new ManualClock(),
      logger: silent,
    });
    await expect(intake.scan()).resolves.toEqual({ delivered: 0, failed: 0 });
    await intake.stop();
    expect(readSafetyNetConfig({})).toEqual({ spool: '/var/spool/hotline/fallback', everyMs: 30_000 });
    expect(readSafetyNetConfig({ SAFETY_NET_SPOOL: '/srv/spool', SAFETY_NET_SCAN_SECONDS: '5' })).toEqual({
      spool: '/srv/spool',
      everyMs: 5000,
    });
    expect(() => readSafetyNetConfig({ SAFETY_NET_SCAN_SECONDS: 'soon' })).toThrow();
  });
});
