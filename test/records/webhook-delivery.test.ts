import { spawn } from 'node:child_process';
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { TicketReceiver } from '../../scripts/ticket-receiver.ts';
import { recordsCommand } from '../../src/cli/records.ts';
import { liveEvent } from '../../src/records/record.ts';
import type { ConfiguredRecordSink } from '../../src/records/sinks/factory.ts';
import { FileOutbox } from '../../src/records/sinks/file-outbox.ts';
import { answeredCall } from './call-states.ts';
import {
  courierClock,
  drive,
  fileEnv,
  receiver,
  recordOf,
  sinkFrom,
  startNetwork,
  tempDir,
  until,
} from './delivery-support.ts';

let cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function setUp(then: 'refuse' | 'pass' = 'pass') {
  const dir = tempDir();
  const rx = await receiver();
  const net = await startNetwork(rx, then);
  cleanup.push(
    dir.remove,
    () => rx.close(),
    () => net.close(),
  );
  return { dir: dir.path, rx, net };
}

const keys = (rx: TicketReceiver) => rx.received.map((m) => m.idempotencyKey).sort();
const track = (sink: ConfiguredRecordSink) => {
  cleanup.push(() => sink.close());
  return sink;
};

describe('webhook delivery through the file outbox', () => {
  it('delivers every record once the webhook is back, and the receiver drops re-sent copies by key', async () => {
    const { dir, rx, net } = await setUp();
    net.plan = ['refuse', 'refuse', 'refuse', 'refuse', 'refuse', 'lose', 'lose', 'lose'];
    const clock = courierClock();
    const sink = track(await sinkFrom(fileEnv(net.url, dir), 300, clock));
    const call = answeredCall();
    await Promise.all([
      ...[1, 2, 3, 4].map((n) => sink.write(recordOf(n))),
      ...call.events.slice(0, 3).map((e) => sink.event!(liveEvent(call, e))),
    ]);
    await drive(clock, 'all seven messages at the receiver', () => rx.received.length === 7);
    await drive(clock, 'an empty outbox', async () => (await sink.outbox!.counts()).pending === 0);
    expect(keys(rx)).toEqual([
      'call-1:record',
      'call-2:record',
      'call-3:record',
      'call-4:record',
      'call-answered:event:0',
      'call-answered:event:1',
      'call-answered:event:2',
    ]);
    expect(sink.courier!.stats.retried).toBeGreaterThanOrEqual(8);
    expect(rx.stats.duplicates).toBeGreaterThanOrEqual(3);
    expect(rx.stats.unauthorized).toBe(0);
  });

  it('keeps a write only once the record is on disk, even with the webhook down', async () => {
    const { dir, net } = await setUp('refuse');
    const sink = track(await sinkFrom(fileEnv(net.url, dir)));
    await sink.write(recordOf(1));
    const journal = readFileSync(join(dir, 'outbox.jsonl'), 'utf8');
    expect(journal).toContain('call-1:record');
    expect(journal).not.toContain('13800138000');
  });

  it('delivers after an engine restart what the stopped engine could not', async () => {
    const { dir, rx, net } = await setUp('refuse');
    const first = await sinkFrom(fileEnv(net.url, dir), 100, courierClock());
    for (const n of [1, 2, 3]) await first.write(recordOf(n));
    await first.close();
    expect(rx.received).toHaveLength(0);

    net.after = 'pass';
    const clock = courierClock();
    const second = track(await sinkFrom(fileEnv(net.url, dir), 300, clock));
    await drive(clock, 'the three records after the restart', () => rx.received.length === 3);
    expect(keys(rx)).toEqual(['call-1:record', 'call-2:record', 'call-3:record']);
    await drive(clock, 'an empty outbox', async () => (await second.outbox!.counts()).pending === 0);
  });

  it('delivers after a crash (SIGKILL) what the killed engine had accepted', async () => {
    const { dir, rx, net } = await setUp();
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, 'crashing-writer.ts'), dir, '5'],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    const exited = new Promise((r) => child.once('exit', r));
    await until('the child to keep its records', () => out.includes('kept') || child.exitCode !== null);
    expect(out).toContain('kept');
    child.kill('SIGKILL');
    await exited;

    const clock = courierClock();
    const sink = track(await sinkFrom(fileEnv(net.url, dir), 300, clock));
    await drive(clock, 'the five records of the killed engine', () => rx.received.length === 5);
    expect(keys(rx)).toEqual([
      'call-100:record',
      'call-101:record',
      'call-102:record',
      'call-103:record',
      'call-104:record',
    ]);
    await drive(clock, 'an empty outbox', async () => (await sink.outbox!.counts()).pending === 0);
  }, 40_000);

  it('dead-letters a record after the bounded tries, then a replay delivers it', async () => {
    const { dir, rx, net } = await setUp('refuse');
    const env = fileEnv(net.url, dir, { RECORDS_MAX_ATTEMPTS: '3' });
    const clock = courierClock();
    const sink = track(await sinkFrom(env, 300, clock));
    await sink.write(recordOf(1));
    await sink.write(recordOf(2));
    await drive(clock, 'two dead letters', async () => (await sink.outbox!.counts()).dead === 2);
    // Backoff jitter decides which of the two is buried first; the list is ordered by that time.
    const dead = await sink.outbox!.deadLetters();
    expect(dead[0]!.deadAt).toBeLessThanOrEqual(dead[1]!.deadAt);
    expect(dead.map((d) => [d.id, d.attempts]).sort()).toEqual([
      ['webhook:call-1:record', 3],
      ['webhook:call-2:record', 3],
    ]);
    expect(net.requests).toBe(6);

    net.after = 'pass';
    expect(await sink.outbox!.replay(['webhook:call-2:record'], clock.now())).toBe(1);
    sink.courier!.kick();
    // Delivered counts once the outbox has marked it (the receiver has the body a moment before).
    await drive(clock, 'the replayed record delivered', () => sink.courier!.stats.delivered === 1);
    expect(keys(rx)).toEqual(['call-2:record']);
    expect(await sink.outbox!.counts()).toEqual({ pending: 0, dead: 1 });
  });

  it('lists and replays dead letters from the command line once the engine has stopped', async () => {
    const { dir, rx, net } = await setUp('refuse');
    const env = fileEnv(net.url, dir, { RECORDS_MAX_ATTEMPTS: '2' });
    const clock = courierClock();
    const sink = await sinkFrom(env, 300, clock);
    await sink.write(recordOf(7));
    await drive(clock, 'a dead letter', async () => (await sink.outbox!.counts()).dead === 1);
    await sink.close();

    const lines: string[] = [];
    const io = { out: (t: string) => lines.push(t), err: (t: string) => lines.push(t) };
    expect(await recordsCommand(['dead-letters'], io, env)).toBe(0);
    expect(lines.join('\n')).toMatch(/webhook:call-7:record +call-record +call call-7 +2 attempts/);

    net.after = 'pass';
    lines.length = 0;
    expect(await recordsCommand(['replay', '--deliver'], io, env)).toBe(0);
    expect(lines).toEqual(['1 dead letter back in the outbox', 'delivered']);
    expect(keys(rx)).toEqual(['call-7:record']);
    lines.length = 0;
    await recordsCommand(['status'], io, env);
    expect(lines).toEqual(['0 pending, 0 dead-lettered']);
  });

  it('dead-letters at once a body the receiver will never accept', async () => {
    const { dir, rx, net } = await setUp();
    const clock = courierClock();
    const sink = track(await sinkFrom(fileEnv(net.url, dir), 300, clock));
    await sink.outbox!.add([
      {
        id: 'webhook:bad:record',
        destination: 'webhook',
        kind: 'call-record',
        callId: 'bad',
        idempotencyKey: 'bad:record',
        body: '{"type":"call-record"}',
        createdAt: clock.now(),
      },
    ]);
    sink.courier!.kick();
    await drive(clock, 'the dead letter', async () => (await sink.outbox!.counts()).dead === 1);
    expect((await sink.outbox!.deadLetters())[0]).toMatchObject({ attempts: 1, lastError: 'HTTP 400' });
    expect(rx.stats.invalid).toBe(1);
  });

  it('refuses writes after close and refuses a second owner of the outbox directory', async () => {
    const { dir, net } = await setUp();
    const sink = await sinkFrom(fileEnv(net.url, dir));
    await expect(sinkFrom(fileEnv(net.url, dir))).rejects.toMatchObject({ code: 'outbox-locked' });
    await sink.close();
    await expect(sink.write(recordOf(1))).rejects.toMatchObject({ code: 'outbox-closed' });
  });
});

describe('the file outbox journal', () => {
  const message = (n: number) => ({
    id: `webhook:c${n}:record`,
    destination: 'webhook',
    kind: 'call-record' as const,
    callId: `c${n}`,
    idempotencyKey: `c${n}:record`,
    body: `{"n":${n}}`,
    createdAt: 1000,
  });

  it('drops a torn last line left by a crash and keeps the rest', async () => {
    const dir = tempDir();
    cleanup.push(dir.remove);
    const first = await FileOutbox.open({ dir: dir.path });
    await first.add([message(1), message(2), message(3)]);
    await first.delivered((await first.claim(2000, 1))[0]!.id);
    await first.close();
    appendFileSync(first.journalPath, '{"op":"add","m":{"id":"webhook:c4');
    const warnings: string[] = [];
    const second = await FileOutbox.open({ dir: dir.path, onWarning: (w) => warnings.push(w) });
    cleanup.push(() => second.close());
    expect(await second.counts()).toEqual({ pending: 2, dead: 0 });
    expect(warnings[0]).toContain('torn last line');
    expect(readFileSync(second.journalPath, 'utf8').trim().split('\n')).toHaveLength(2);
  });

  it('compacts the journal as it grows, and to exactly what it holds at close', async () => {
    const dir = tempDir();
    cleanup.push(dir.remove);
    const outbox = await FileOutbox.open({ dir: dir.path });
    const journalLines = () => readFileSync(outbox.journalPath, 'utf8').trim().split('\n').length;
    let longest = 0;
    for (let round = 0; round < 30; round++) {
      await outbox.add(Array.from({ length: 50 }, (_, i) => message(round * 50 + i)));
      for (const e of await outbox.claim(2000, 50))
        await outbox.retryLater({ ...e, attempts: 1 }, 1500, 'HTTP 503');
      for (const e of await outbox.claim(2000, 49)) await outbox.delivered(e.id);
      longest = Math.max(longest, journalLines());
    }
    // 4,470 changes in all; the journal never grows far past the compaction threshold.
    expect(longest).toBeLessThan(1000 + 150);
    expect(await outbox.counts()).toEqual({ pending: 30, dead: 0 });
    const before = await outbox.claim(2000, 100);
    await outbox.close();
    expect(journalLines()).toBe(30);
    const reopened = await FileOutbox.open({ dir: dir.path });
    cleanup.push(() => reopened.close());
    expect(await reopened.counts()).toEqual({ pending: 30, dead: 0 });
    expect(await reopened.claim(2000, 100)).toEqual(before);
    expect(before.some((e) => e.attempts === 1 && e.lastError === 'HTTP 503')).toBe(true);
  }, 90_000); // thousands of fsyncs: slow on a busy disk
});
