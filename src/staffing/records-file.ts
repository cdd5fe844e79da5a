import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { HotlineError } from '../errors.ts';
import { CallRecord } from '../records/schema.ts';

/** A line of a records file that is not a call record: the message names FILE:LINE. */
export class RecordsFileError extends HotlineError {
  constructor(
    readonly file: string,
    readonly line: number,
    why: string,
  ) {
    super('bad-records-file', `${file}:${line}: ${why}`);
  }
}

/**
 * The call records of a JSONL records file (as the JSONL sink writes them), read line by line;
 * live call events are skipped. Throws RecordsFileError at the first line that is neither.
 */
export async function readCallRecords(file: string): Promise<CallRecord[]> {
  const records: CallRecord[] = [];
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  let n = 0;
  for await (const line of lines) {
    n += 1;
    if (line.trim() === '') continue;
    let data: unknown;
    try {
      data = JSON.parse(line);
    } catch {
      throw new RecordsFileError(file, n, 'not JSON');
    }
    if ((data as { type?: unknown }).type === 'call-event') continue;
    const parsed = CallRecord.safeParse(data);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new RecordsFileError(
        file,
        n,
        `not a call record (${issue?.path.join('.') || 'record'}: ${issue?.message})`,
      );
    }
    records.push(parsed.data);
  }
  return records;
}
