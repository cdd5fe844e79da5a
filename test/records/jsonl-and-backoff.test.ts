import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.ts';
import { backoffDelay, defaultRetryPolicy } from '../../src/records/outbox.ts';
import { CallRecord } from '../../src/records/schema.ts';
import { readRecordsConfig } from '../../src/records/sinks/config.ts';
import { createRecordSink } from '../../src/records/sinks/factory.ts';
import { recordOf, tempDir } from './delivery-support.ts';

let remove: (() => void) | undefined;
afterEach(() => {
  remove?.();
  remove = undefined;
});

describe('the embedded default: a local JSONL file', () => {
  it('is chosen when neither a webhook nor a stream is configured, and has each record on disk when write resolves', async () => {
    const dir = tempDir();
    remove = dir.remove;
    const key = Buffer.alloc(32, 1).toString('base64');
    const sink = await createRecordSink(
      readRecordsConfig({ HOTLINE_RECORDS: 'records.jsonl', RECORDS_KEY: key, RECORDS_KEY_ID: 'k1' }),
      { clock: systemClock, baseDir: dir.path },
    );
    expect(sink.destinations).toEqual(['jsonl']);
    // Final records only: it takes no live events, so nobody takes them as kept.
    expect(sink.event).toBeUndefined();
    expect(sink.summary).toBe(
      `call records to ${join(dir.path, 'records.jsonl')}, callers encrypted (key k1)`,
    );
    expect(sink.cipher?.keyId).toBe('k1');
    await Promise.all([1, 2, 3].map((n) => sink.write(recordOf(n))));
    const lines = readFileSync(join(dir.path, 'records.jsonl'), 'utf8').trim().split('\n');
    expect(lines.map((l) => CallRecord.parse(JSON.parse(l)).callId)).toEqual(['call-1', 'call-2', 'call-3']);
    await sink.close();
  });
});

describe('retry delays', () => {
  it('double from the base up to the cap, with half of each delay random', () => {
    const policy = { ...defaultRetryPolicy, baseDelayMs: 1000, maxDelayMs: 60_000 };
    expect([1, 2, 3, 4].map((n) => backoffDelay(n, policy, () => 0))).toEqual([500, 1000, 2000, 4000]);
    expect([1, 2, 3, 4].map((n) => backoffDelay(n, policy, () => 1))).toEqual([1000, 2000, 4000, 8000]);
    expect(backoffDelay(30, policy, () => 1)).toBe(60_000);
    expect(backoffDelay(30, policy, () => 0)).toBe(30_000);
  });
});
