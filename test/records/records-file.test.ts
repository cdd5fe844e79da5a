import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RecordsFileLineError, readRecordsFile } from '../../src/records/records-file.ts';
import { sampleRecords } from '../../src/reports/sample-records.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function file(lines: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'hotline-records-file-'));
  dirs.push(dir);
  const path = join(dir, 'records.jsonl');
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

const [a, b] = [...sampleRecords({ count: 2, seed: 1, start: Date.UTC(2026, 10, 1), days: 1 })];
const event = { type: 'call-event', version: 2, callId: 'x', idempotencyKey: 'x:0', seq: 0 };

describe('a JSONL records file read for reports, staffing and the what-if', () => {
  it('gives the call records in order, passing over live call events and blank lines', async () => {
    const path = file([JSON.stringify(a), JSON.stringify(event), '', JSON.stringify(b)]);
    const read = await readRecordsFile(path);
    expect(read.records.map((r) => r.callId)).toEqual([a!.callId, b!.callId]);
    expect(read.skipped).toEqual([]);
  });

  it('stops at a line that is not a call record, naming the file and the line', async () => {
    const path = file([JSON.stringify(a), '{"type":"call-record","callId":', JSON.stringify(b)]);
    const err = await readRecordsFile(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RecordsFileLineError);
    expect((err as RecordsFileLineError).message).toBe(`${path}:2: not JSON`);
    const wrong = file([JSON.stringify({ ...a, times: {} })]);
    await expect(readRecordsFile(wrong)).rejects.toThrow(`${wrong}:1: not a call record (times.arrivedAt:`);
  });

  it('lists such lines instead, when asked to, and keeps the rest', async () => {
    const path = file([JSON.stringify(a), '{"torn', JSON.stringify(b)]);
    const read = await readRecordsFile(path, { badLines: 'list' });
    expect(read.records).toHaveLength(2);
    expect(read.skipped).toEqual([{ line: 2, reason: 'not JSON' }]);
  });
});
