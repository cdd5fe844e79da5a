import { HotlineError } from '../errors.ts';
import { RecordsFileLineError, readRecordsFile } from '../records/records-file.ts';
import type { CallRecord } from '../records/schema.ts';
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

/** The call records of a JSONL records file; a bad line is a RecordsFileError on `records` naming FILE:LINE. */
export async function readCallRecords(file: string): Promise<CallRecord[]> {
  try {
    return (await readRecordsFile(file)).records;
  } catch (err) {
    if (err instanceof RecordsFileLineError) throw new RecordsFileError('records', err.message);
    throw err;
  }
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
