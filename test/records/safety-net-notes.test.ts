import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { createLogger } from '../../src/log.ts';
import { loadPlan } from '../../src/plan/load.ts';
import { CallerCipher } from '../../src/records/caller-crypto.ts';
import type { CallRecord, LiveEvent } from '../../src/records/record.ts';
import { readSafetyNetConfig, SafetyNetIntake } from '../../src/records/safety-net-intake.ts';
import {
  parseSafetyNetNote,
  SafetyNetNoteError,
  safetyNetDelivery,
  safetyNetRecord,
} from '../../src/records/safety-net-notes.ts';
import { CallRecord as CallRecordSchema, LiveEvent as LiveEventSchema } from '../../src/records/schema.ts';

const { plan } = loadPlan(join(import.meta.dirname, '../../routing-rules'));
const cipher = new CallerCipher({ id: 'k2026', material: Buffer.alloc(32, 7) });
const silent = createLogger({ level: 'silent' });
const T = 1_764_511_262; // 2025-11-30T14:01:02Z

const served =
  `outcome=served caller=13800138000 dialed=12345 started=2025-11-30T22:01:02+08:00 uniqueid=${T}.42 ` +
  `agent=PJSIP/agent1001 recording= member=agent1001 arrived=${T} queued=${T + 4} holdtime=3 ` +
  `queuestatus= ended=${T + 40} cause=16\n`;
/** The same served call, shed by the dialplan's admission gate (today's notes end with shed= recorded=). */
const gateShed = served.replace('\n', ' shed=forced recorded=\n').replace(`${T}.42`, `${T}.45`);
/** A call the engine shed and recorded, then handed to the safety net, where the caller left a message. */
const engineShed =
  `outcome=message caller=13900139001 dialed=12345 started=2025-11-30T22:01:02+08:00 uniqueid=${T}.46 ` +
  `agent= recording=/var/spool/hotline/fallback/${T}-${T}.46-12345.wav member= arrived=${T} ` +
  `queued=${T + 4} holdtime= queuestatus=JOINEMPTY ended=${T + 30} cause=16 shed=loopDelayMs recorded=engine\n`;
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

describe('a note of a call the engine shed (issue 18)', () => {
  it('shed by the dialplan gate: a shed record with the reason, the outcome and all the safety net did', () => {
    const note = parseSafetyNetNote(gateShed);
    expect(note).toMatchObject({ shed: 'forced' });
    expect(note.recorded).toBeUndefined();
    const record = safetyNetRecord(note, plan);
    expect(CallRecordSchema.parse(record)).toEqual(record);
    expect(record).toMatchObject({
      idempotencyKey: `${T}.45:record`,
      disposition: 'shed',
      shedReason: 'forced',
      safetyNetOutcome: 'served',
      agentId: 'agent1001',
      waitSeconds: 3,
      talkSeconds: 33,
      durationSeconds: 40,
      times: { agentAnsweredAt: new Date((T + 7) * 1000).toISOString() },
    });
  });

  it('recorded by the engine: no record, the outcome as the call’s next event (seq 3)', () => {
    const delivery = safetyNetDelivery(parseSafetyNetNote(engineShed), plan);
    expect(delivery.kind).toBe('event');
    const event = (delivery as { event: LiveEvent }).event;
    expect(LiveEventSchema.parse(event)).toEqual(event);
    expect(event).toEqual({
      type: 'call-event',
      version: 2,
      callId: `${T}.46`,
      idempotencyKey: `${T}.46:event:3`,
      seq: 3,
      at: new Date((T + 30) * 1000).toISOString(),
      what: 'safety-net',
      dialed: '12345',
      lineId: safetyNetRecord(parseSafetyNetNote(engineShed), plan).line.id,
      detail: { outcome: 'message', recording: `/var/spool/hotline/fallback/${T}-${T}.46-12345.wav` },
    });
    expect(JSON.stringify(event)).not.toContain('13900139001');
    // an agent who answered: who, and the wait and talk
    const answered = safetyNetDelivery(
      parseSafetyNetNote(served.replace('\n', ' shed=forced recorded=engine\n')),
      plan,
    );
    expect(answered).toMatchObject({
      kind: 'event',
      event: { detail: { outcome: 'served', agent: 'agent1001', waitSeconds: 3, talkSeconds: 33 } },
    });
  });

  it('reads notes without the new keys, or with them empty, as before; every record says the outcome', () => {
    for (const text of [served, served.replace('\n', ' shed= recorded=\n')]) {
      const note = parseSafetyNetNote(text);
      expect(note.shed).toBeUndefined();
      expect(note.recorded).toBeUndefined();
      expect(safetyNetDelivery(note, plan)).toMatchObject({
        kind: 'record',
        record: { disposition: 'safety-net-answered', safetyNetOutcome: 'served' },
      });
      expect(safetyNetRecord(note, plan).shedReason).toBeUndefined();
    }
    expect(safetyNetRecord(parseSafetyNetNote(message), plan).safetyNetOutcome).toBe('message');
  });

  it('refuses a shed reason that is not a short token, and a recorded value other than engine', () => {
    expect(() => parseSafetyNetNote(served.replace('\n', ' shed=a;b\n'))).toThrow(/shed/);
    expect(() => parseSafetyNetNote(served.replace('\n', ` shed=${'x'.repeat(41)}\n`))).toThrow(/shed/);
    expect(() => parseSafetyNetNote(served.replace('\n', ' recorded=dialplan\n'))).toThrow(/recorded/);
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
    await expect(intake.scan()).resolves.toEqual({ delivered: 2, records: 2, events: 0, failed: 0 });
    expect(written.map((r) => r.disposition)).toEqual(['safety-net-answered', 'safety-net-message']);
    expect(readdirSync(join(dir, 'done')).sort()).toEqual([
      `${T}-${T}.42-12345.txt`,
      `${T}-${T}.43-12345.txt`,
    ]);
    // the message stays where the note's recording says; the unreadable note stays too
    expect(readdirSync(dir).sort()).toEqual([`${T}-${T}.43-12345.wav`, 'broken.txt', 'done']);
    await expect(intake.scan()).resolves.toEqual({ delivered: 0, records: 0, events: 0, failed: 0 });
    expect(written).toHaveLength(2);
    await intake.stop();
  });

  it('writes a shed record for a gate-shed note, and only an event for a note the engine recorded', async () => {
    dir = mkdtempSync(join(tmpdir(), 'safety-net-'));
    writeFileSync(join(dir, `${T}-${T}.45-12345.txt`), gateShed);
    writeFileSync(join(dir, `${T}-${T}.46-12345.txt`), engineShed);
    const written: CallRecord[] = [];
    const events: LiveEvent[] = [];
    const intake = new SafetyNetIntake({
      dir,
      records: { write: async (r) => void written.push(r), event: async (e) => void events.push(e) },
      plan: () => plan,
      clock: new ManualClock(),
      logger: silent,
    });
    await expect(intake.scan()).resolves.toEqual({ delivered: 2, records: 1, events: 1, failed: 0 });
    expect(written).toHaveLength(1);
    expect(written[0]).toMatchObject({
      callId: `${T}.45`,
      disposition: 'shed',
      shedReason: 'forced',
      safetyNetOutcome: 'served',
    });
    expect(events.map((e) => [e.idempotencyKey, e.what, e.detail.outcome])).toEqual([
      [`${T}.46:event:3`, 'safety-net', 'message'],
    ]);
    expect(readdirSync(join(dir, 'done')).sort()).toEqual([
      `${T}-${T}.45-12345.txt`,
      `${T}-${T}.46-12345.txt`,
    ]);
    await expect(intake.scan()).resolves.toEqual({ delivered: 0, records: 0, events: 0, failed: 0 });
    expect(intake.totals).toEqual({ delivered: 2, records: 1, events: 1, failed: 0 });
    // Only the call the gate shed counts as shed in the dialplan (the engine counted its own).
    expect(Object.fromEntries(intake.shedByReason)).toEqual({ forced: 1 });
    await intake.stop();
  });

  it('with a sink that takes no events, keeps an engine-recorded outcome in the note only, and says so', async () => {
    dir = mkdtempSync(join(tmpdir(), 'safety-net-'));
    writeFileSync(join(dir, `${T}-${T}.46-12345.txt`), engineShed);
    const lines: string[] = [];
    const logger = createLogger({ level: 'info', destination: { write: (l: string) => void lines.push(l) } });
    const written: CallRecord[] = [];
    const intake = new SafetyNetIntake({
      dir,
      records: { write: async (r) => void written.push(r) },
      plan: () => plan,
      clock: new ManualClock(),
      logger,
    });
    await expect(intake.scan()).resolves.toEqual({ delivered: 1, records: 0, events: 0, failed: 0 });
    expect(written).toEqual([]);
    expect(readdirSync(join(dir, 'done'))).toEqual([`${T}-${T}.46-12345.txt`]);
    const kept = lines.map((l) => JSON.parse(l)).find((l) => /kept only in the note/.test(l.msg));
    expect(kept).toMatchObject({ level: 30, callId: `${T}.46`, outcome: 'message' });
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
    await expect(intake.scan()).resolves.toEqual({ delivered: 0, records: 0, events: 0, failed: 0 });
    await intake.stop();
    expect(readSafetyNetConfig({})).toEqual({ spool: '/var/spool/hotline/fallback', everyMs: 30_000 });
    expect(readSafetyNetConfig({ SAFETY_NET_SPOOL: '/srv/spool', SAFETY_NET_SCAN_SECONDS: '5' })).toEqual({
      spool: '/srv/spool',
      everyMs: 5000,
    });
    expect(() => readSafetyNetConfig({ SAFETY_NET_SCAN_SECONDS: 'soon' })).toThrow();
  });
});
