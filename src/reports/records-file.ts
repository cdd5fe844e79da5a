import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { CallRecord } from '../records/schema.ts';

export interface RecordsFile {
  records: CallRecord[];
  /** Lines that are not a valid call record (a torn last line, another kind of message), with why. */
  skipped: { line: number; reason: string }[];
}

/**
 * The call records of a JSONL records file (HOTLINE_RECORDS), for reports without a database
 * (records-source.ts). Lines are read one at a time; a line that is not JSON or not a valid
 * `call-record` is skipped and listed with its number and the reason, never silently.
 */
export async function readRecordsFile(path: string): Promise<RecordsFile> {
  const out: RecordsFile = { records: [], skipped: [] };
  const lines = createInterface({
    input: createReadStream(path, 'utf8'),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  let n = 0;
  for await (const text of lines) {
    n++;
    if (text.trim() === '') continue;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      out.skipped.push({ line: n, reason: `not JSON (${(err as Error).message})` });
      continue;
    }
    const parsed = CallRecord.safeParse(json);
    if (parsed.success) out.records.push(parsed.data);
    else {
      const issue = parsed.error.issues[0]!;
      out.skipped.push({
        line: n,
        reason: `not a call record: ${issue.path.join('.') || '(root)'}: ${issue.message}`,
      });
    }
  }
  return out;
}
