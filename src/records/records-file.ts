import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { HotlineError } from '../errors.ts';
import { CallRecord } from './schema.ts';

/** A line of a records file that is neither a call record nor a live call event: `where` is FILE:LINE. */
export class RecordsFileLineError extends HotlineError {
  constructor(
    readonly where: string,
    readonly reason: string,
  ) {
    super('bad-records-file', `${where}: ${reason}`);
  }
}

export interface RecordsFile {
  records: CallRecord[];
  /** With `badLines: 'list'`: lines that are not a valid call record (a torn last line), with why. */
  skipped: { line: number; reason: string }[];
}

/**
 * The call records of a JSONL records file (HOTLINE_RECORDS, as the JSONL sink writes them), read
 * one line at a time, for the reports, staffing and what-if without a database. Live call events
 * are passed over. A line that is not JSON or not a valid call record is never passed over
 * silently: it ends the reading with a RecordsFileLineError naming FILE:LINE (`badLines: 'throw'`,
 * the default), or is listed in `skipped` (`'list'`).
 */
export async function readRecordsFile(
  path: string,
  o: { badLines?: 'throw' | 'list' } = {},
): Promise<RecordsFile> {
  const out: RecordsFile = { records: [], skipped: [] };
  const bad = (line: number, reason: string) => {
    if (o.badLines === 'list') out.skipped.push({ line, reason });
    else throw new RecordsFileLineError(`${path}:${line}`, reason);
  };
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
    } catch {
      bad(n, 'not JSON');
      continue;
    }
    if ((json as { type?: unknown } | null)?.type === 'call-event') continue;
    const parsed = CallRecord.safeParse(json);
    if (parsed.success) out.records.push(parsed.data);
    else {
      const issue = parsed.error.issues[0];
      bad(n, `not a call record (${issue?.path.join('.') || 'record'}: ${issue?.message ?? 'invalid'})`);
    }
  }
  return out;
}
