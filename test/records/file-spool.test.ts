import {
  existsSync,
  mkdirSync,
  readFileSync,
  rmdirSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HotlineMetrics } from '../../src/admin/hotline-metrics.ts';
import { TokenSet } from '../../src/admin/tokens.ts';
import { buildApi } from '../../src/api/server.ts';
import { recordsCommand } from '../../src/cli/records.ts';
import { ManualClock } from '../../src/clock.ts';
import type { Hotline } from '../../src/hotline.ts';
import { createLogger } from '../../src/log.ts';
import type { OutboxMessage } from '../../src/records/outbox.ts';
import type { RecordSink } from '../../src/records/record.ts';
import { readRecordsConfig } from '../../src/records/sinks/config.ts';
import { createRecordSink } from '../../src/records/sinks/factory.ts';
import { FileOutbox } from '../../src/records/sinks/file-outbox.ts';
import { JsonlRecordSink } from '../../src/records/sinks/jsonl-sink.ts';
import { recordOf, tempDir } from './delivery-support.ts';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

const hasDevFull = existsSync('/dev/full');

function dir(): string {
  const d = tempDir();
  cleanup.push(d.remove);
  return d.path;
}

/** Moves the clock past retry backoffs until `done` holds (a safety limit only, no fixed sleeps). */
async function retryUntil(clock: ManualClock, what: string, done: () => boolean, timeoutMs = 15_000) {
  const start = Date.now();
  while (!done()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
    if (clock.pending() > 0) clock.advance(30_000);
  }
}

async function waitFor(what: string, done: () => boolean, timeoutMs = 15_000) {
  const start = Date.now();
  while (!done()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const callIds = (path: string) =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { callId: string }).callId);

/** The API over a hotline that is only its records sink (enough for /health and /metrics). */
async function apiOver(records: RecordSink, clock: ManualClock) {
  const hotline = {
    plan: { center: { id: 'sichuan', serviceLevelSeconds: 20 } },
    engine: {
      stats: { live: 0, recordsWritten: 0, recordFailures: 0, reconcile: {} },
      liveCalls: () => [],
      onStage: () => () => undefined,
      onEnded: () => () => undefined,
      onAgentEvent: () => () => undefined,
    },
    telephony: { reconnects: 0, connected: true, divert: () => undefined, strays: async () => [] },
    store: {
      onChange: () => () => undefined,
      listAgents: async () => [],
      upsertAgents: async () => undefined,
    },
    records,
    safetyNet: { shedByReason: new Map() },
  } as unknown as Hotline;
  const metrics = await HotlineMetrics.start(hotline, clock);
  const api = await buildApi({
    hotline,
    roster: [],
    clock,
    logger: createLogger({ level: 'silent' }),
    tokens: new TokenSet([]),
    metrics,
  });
  cleanup.push(() => api.close());
  const health = async () => {
    const res = await api.inject({ method: 'GET', url: '/health' });
    return { code: res.statusCode, body: res.json() as { status: string; reasons?: string[] } };
  };
  const metric = async (line: string) => {
    const text = await metrics.registry.metrics();
    const found = text.split('\n').find((l) => l.startsWith(`${line} `));
    return found === undefined ? undefined : Number(found.slice(line.length + 1));
  };
  return { health, metric };
}

describe('the JSONL records file when it cannot be written', () => {
  it.skipIf(!hasDevFull)(
    'ENOSPC: keeps the records in the spool file beside it, says degraded, and writes each exactly once when the file works again',
    async () => {
      const d = dir();
      const target = join(d, 'records.jsonl');
      symlinkSync('/dev/full', target);
      const clock = new ManualClock();
      const sink = await createRecordSink(readRecordsConfig({ HOTLINE_RECORDS: target }), { clock });
      cleanup.push(() => sink.close());
      const { health, metric } = await apiOver(sink, clock);
      expect(await health()).toMatchObject({ code: 200, body: { status: 'ok' } });

      await Promise.all([1, 2, 3].map((n) => sink.write(recordOf(n))));
      expect(sink.health?.()).toMatchObject({ ok: false, spooled: 3 });
      expect(sink.health?.().reason).toMatch(/^jsonl cannot write: ENOSPC/);
      expect(callIds(`${target}.spool`)).toEqual(['call-1', 'call-2', 'call-3']);
      const degraded = await health();
      expect(degraded.code).toBe(200);
      expect(degraded.body.status).toBe('degraded');
      expect(degraded.body.reasons).toHaveLength(1);
      expect(degraded.body.reasons?.[0]).toMatch(/^records: jsonl cannot write: ENOSPC/);
      expect(await metric('hotline_records_spooled')).toBe(3);
      expect(await metric('hotline_record_write_failures_total{sink="jsonl"}')).toBeGreaterThanOrEqual(1);

      // Retrying against a still-full file keeps everything and counts the failures.
      const failures = sink.health?.().failures?.jsonl ?? 0;
      await retryUntil(clock, 'a failed retry', () => (sink.health?.().failures?.jsonl ?? 0) > failures);
      expect(sink.health?.()).toMatchObject({ ok: false, spooled: 3 });
      // A record written while failing joins the spool behind the others.
      await sink.write(recordOf(4));
      expect(sink.health?.().spooled).toBe(4);

      unlinkSync(target); // the file works again (a regular file now)
      await retryUntil(clock, 'the spool written back', () => sink.health?.().ok === true);
      expect(callIds(target)).toEqual(['call-1', 'call-2', 'call-3', 'call-4']);
      expect(existsSync(`${target}.spool`)).toBe(false);
      expect(await health()).toMatchObject({ code: 200, body: { status: 'ok' } });
      expect((await health()).body.reasons).toBeUndefined();
      expect(await metric('hotline_records_spooled')).toBe(0);

      await sink.write(recordOf(5));
      expect(callIds(target)).toEqual(['call-1', 'call-2', 'call-3', 'call-4', 'call-5']);
    },
  );

  it('ENOTDIR (its directory is a file): the records wait in memory, unresolved, until the file can be written', async () => {
    const d = dir();
    const blocker = join(d, 'var');
    writeFileSync(blocker, 'not a directory');
    const target = join(blocker, 'records.jsonl');
    const clock = new ManualClock();
    const sink = await createRecordSink(readRecordsConfig({ HOTLINE_RECORDS: target }), { clock });
    cleanup.push(() => sink.close());
    const { health } = await apiOver(sink, clock);

    let resolved = 0;
    const writes = [1, 2].map((n) => sink.write(recordOf(n)).then(() => resolved++));
    await waitFor('the records in the spool', () => sink.health?.().spooled === 2);
    expect(resolved).toBe(0);
    const h = sink.health?.();
    expect(h?.ok).toBe(false);
    expect(h?.reason).toMatch(/^jsonl cannot write: ENOTDIR/);
    expect(h?.reason).toContain('in memory only');
    expect((await health()).body).toMatchObject({ status: 'degraded' });
    expect((await health()).body.reasons?.[0]).toMatch(/^records: jsonl cannot write: ENOTDIR/);

    rmSync(blocker);
    await retryUntil(clock, 'the records written', () => resolved === 2);
    await Promise.all(writes);
    expect(callIds(target)).toEqual(['call-1', 'call-2']);
    expect(sink.health?.()).toMatchObject({ ok: true, spooled: 0 });
    expect((await health()).body.status).toBe('ok');
  });

  it('keeps a bounded number of records in memory: beyond it a write is refused', async () => {
    const d = dir();
    const blocker = join(d, 'var');
    writeFileSync(blocker, 'not a directory');
    const target = join(blocker, 'records.jsonl');
    const clock = new ManualClock();
    const sink = new JsonlRecordSink(target, { clock, maxSpooled: 2 });
    cleanup.push(() => sink.close().catch(() => undefined));
    const kept = [1, 2].map((n) => sink.write(recordOf(n)));
    await waitFor('two records spooled', () => sink.health().spooled === 2);
    await expect(sink.write(recordOf(3))).rejects.toThrow(/spool full \(2 lines\)/);
    rmSync(blocker);
    await retryUntil(clock, 'the records written', () => sink.health().ok);
    await Promise.all(kept);
    expect(callIds(target)).toEqual(['call-1', 'call-2']);
  });

  it.skipIf(!hasDevFull)(
    'a spool kept on disk at close is written at the next start, each record once even if some had reached the file',
    async () => {
      const d = dir();
      const target = join(d, 'records.jsonl');
      symlinkSync('/dev/full', target);
      const clock = new ManualClock();
      const first = await createRecordSink(readRecordsConfig({ HOTLINE_RECORDS: target }), { clock });
      await Promise.all([1, 2, 3].map((n) => first.write(recordOf(n))));
      await first.close();
      expect(callIds(`${target}.spool`)).toEqual(['call-1', 'call-2', 'call-3']);

      // Fixed, and (as if a crash came between writing the file and removing the spool) call-1 is there.
      unlinkSync(target);
      writeFileSync(target, `${JSON.stringify(recordOf(1))}\n`);
      const second = await createRecordSink(readRecordsConfig({ HOTLINE_RECORDS: target }), { clock });
      cleanup.push(() => second.close());
      await second.write(recordOf(4));
      expect(callIds(target)).toEqual(['call-1', 'call-2', 'call-3', 'call-4']);
      expect(existsSync(`${target}.spool`)).toBe(false);
      expect(second.health?.()).toMatchObject({ ok: true, spooled: 0 });
    },
  );
});

const message = (n: number): OutboxMessage => ({
  id: `webhook:call-${n}:record`,
  destination: 'webhook',
  kind: 'call-record',
  callId: `call-${n}`,
  idempotencyKey: `call-${n}:record`,
  body: JSON.stringify(recordOf(n)),
  createdAt: 1000 + n,
});

describe('the file outbox when its journal cannot be written', () => {
  it('keeps its changes in the spool, says degraded, and writes them to the journal in order when it works again', async () => {
    const d = dir();
    const journal = join(d, 'outbox.jsonl');
    mkdirSync(journal); // EISDIR: neither the compaction nor an append can write it
    const clock = new ManualClock();
    const warnings: string[] = [];
    const outbox = await FileOutbox.open({ dir: d, clock, onWarning: (m) => warnings.push(m) });
    cleanup.push(() => outbox.close());
    expect(warnings.join('\n')).toMatch(/could not be compacted at open/);

    await outbox.add([message(1), message(2)]);
    const [first] = await outbox.claim(clock.now(), 1);
    await outbox.delivered(first!.id);
    const h = outbox.health();
    expect(h).toMatchObject({ ok: false, spooled: 3 });
    expect(h.reason).toMatch(/^outbox cannot write: EISDIR/);
    expect(h.failures.outbox).toBeGreaterThanOrEqual(1);
    expect(readFileSync(outbox.spoolPath, 'utf8').trim().split('\n')).toHaveLength(3);
    expect(await outbox.counts()).toEqual({ pending: 1, dead: 0 });

    rmdirSync(journal);
    await retryUntil(clock, 'the journal written', () => outbox.health().ok);
    expect(existsSync(outbox.spoolPath)).toBe(false);
    const ops = readFileSync(journal, 'utf8')
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { op: string }).op);
    expect(ops).toEqual(['add', 'add', 'done']);
    await outbox.close();

    const again = await FileOutbox.open({ dir: d, clock });
    cleanup.push(() => again.close());
    expect((await again.claim(clock.now(), 10)).map((e) => e.id)).toEqual(['webhook:call-2:record']);
  });

  it('a spool left at close is replayed at the next open, each message once', async () => {
    const d = dir();
    const journal = join(d, 'outbox.jsonl');
    mkdirSync(journal);
    const clock = new ManualClock();
    const outbox = await FileOutbox.open({ dir: d, clock });
    await outbox.add([message(1), message(2), message(3)]);
    await outbox.add([message(2)]);
    await outbox.close();
    expect(existsSync(outbox.spoolPath)).toBe(true);

    rmdirSync(journal);
    const again = await FileOutbox.open({ dir: d, clock });
    cleanup.push(() => again.close());
    expect(again.health()).toMatchObject({ ok: true, spooled: 0 });
    expect(existsSync(again.spoolPath)).toBe(false);
    expect((await again.claim(clock.now(), 10)).map((e) => e.id)).toEqual([
      'webhook:call-1:record',
      'webhook:call-2:record',
      'webhook:call-3:record',
    ]);
  });

  it('through the configured sink: /health names the outbox while its journal fails', async () => {
    const d = dir();
    mkdirSync(join(d, 'outbox.jsonl'));
    const clock = new ManualClock();
    const sink = await createRecordSink(
      readRecordsConfig({
        RECORDS_WEBHOOK_URL: 'http://127.0.0.1:9/records',
        RECORDS_WEBHOOK_SECRET: 'test-secret-for-the-ticket-webhook',
        RECORDS_OUTBOX: 'file',
        RECORDS_OUTBOX_DIR: d,
      }),
      { clock, closeTimeoutMs: 0 },
    );
    cleanup.push(() => sink.close());
    const { health, metric } = await apiOver(sink, clock);
    await sink.write(recordOf(1));
    const res = await health();
    expect(res.code).toBe(200);
    expect(res.body.status).toBe('degraded');
    expect(res.body.reasons?.[0]).toMatch(/^records: outbox cannot write: EISDIR/);
    expect(await metric('hotline_records_spooled')).toBeGreaterThanOrEqual(1);
    expect(await metric('hotline_record_write_failures_total{sink="outbox"}')).toBeGreaterThanOrEqual(1);
  });
});

describe('hotline records while the engine holds the file outbox', () => {
  it('reads the status, and refuses replay with a one-line error, exit 1', async () => {
    const d = dir();
    const held = await FileOutbox.open({ dir: d });
    cleanup.push(() => held.close());
    const out: string[] = [];
    const err: string[] = [];
    const io = { out: (t: string) => out.push(t), err: (t: string) => err.push(t) };
    const env = {
      RECORDS_OUTBOX: 'file',
      RECORDS_OUTBOX_DIR: d,
      RECORDS_WEBHOOK_URL: 'http://127.0.0.1:9/r',
      RECORDS_WEBHOOK_SECRET: 'test-secret-for-the-ticket-webhook',
    };
    expect(await recordsCommand(['status'], io, env)).toBe(0);
    expect(out.splice(0)).toEqual(['0 pending, 0 dead-lettered']);
    expect(await recordsCommand(['replay'], io, env)).toBe(1);
    expect(out).toEqual([]);
    expect(err).toHaveLength(1);
    expect(err[0]).toMatch(
      /^records: the outbox .* is already open in this process; replay changes the outbox: stop the engine first/,
    );
    expect(err[0]).not.toContain('\n');
  });
});
