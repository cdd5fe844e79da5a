import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { HotlineError } from '../errors.ts';
import { CallRecord } from '../records/schema.ts';
import { type DayProfile, dayProfile, recordDays } from './records-profile.ts';

/** A line of a records file that is not a call record: the message names FILE:LINE. */
export class RecordsFileError extends HotlineError {
  constructor(
    /** The option at fault: the file itself, or the day asked of it. */
    readonly option: 'records' | 'day',
    message: string,
  ) {
    super('bad-records-file', message);
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
      throw new RecordsFileError('records', `${file}:${n}: not JSON`);
    }
    if ((data as { type?: unknown }).type === 'call-event') continue;
    const parsed = CallRecord.safeParse(data);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new RecordsFileError(
        'records',
        `${file}:${n}: not a call record (${issue?.path.join('.') || 'record'}: ${issue?.message})`,
      );
    }
    records.push(parsed.data);
  }
  return records;
}

/**
 * The profile of one day of a records file: `day` (local date in `timeZone`), or the file's only
 * day when it covers just one; otherwise a RecordsFileError on `day` listing the days.
 */
export async function recordsFileDay(
  file: string,
  o: { timeZone: string; withinSeconds: number; day?: string },
): Promise<DayProfile> {
  const records = await readCallRecords(file);
  let day = o.day;
  if (day === undefined) {
    const days = recordDays(records, o.timeZone);
    if (days.size === 0) throw new RecordsFileError('records', `${file} holds no call records`);
    if (days.size > 1) {
      throw new RecordsFileError(
        'day',
        `the records span ${days.size} days (${[...days.keys()].join(', ')}); choose one`,
      );
    }
    day = [...days.keys()][0]!;
  }
  return dayProfile(records, { day, timeZone: o.timeZone, withinSeconds: o.withinSeconds });
}
