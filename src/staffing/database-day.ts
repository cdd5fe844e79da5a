import { HotlineError } from '../errors.ts';
import { parseInstant } from '../plan/zoned-time.ts';
import { openDatabase, safeDatabaseUrl } from '../reports/database.ts';
import { DatabaseReportSource } from '../reports/database-source.ts';
import { REPORT_TIME_ZONE, ReportQuery } from '../reports/report.ts';
import type { DayProfile } from './records-profile.ts';
import { profileFromReport } from './report-profile.ts';

/** The records database could not be read; the message names it (without its password). */
export class DatabaseDayError extends HotlineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('staffing-database', message, options);
  }
}

const DAY_MS = 86_400_000;

/**
 * A real day's profile from the records database: the reports' hourly summary by queue for the
 * local day (Asia/Shanghai), through its own one-connection pool, closed after.
 */
export async function databaseDay(
  url: string,
  o: { day: string; withinSeconds: number },
): Promise<{ profile: DayProfile; source: string; note: string }> {
  const from = parseInstant(o.day, REPORT_TIME_ZONE);
  if (from === undefined) throw new DatabaseDayError(`"${o.day}" is not a date`);
  const query = ReportQuery.parse({
    from: new Date(from),
    to: new Date(from + DAY_MS),
    grain: 'hour',
    by: 'queue',
  });
  const where = safeDatabaseUrl(url);
  const sql = openDatabase(url, { max: 1, applicationName: 'hotline staffing' });
  try {
    const rows = await new DatabaseReportSource(sql).summary(query);
    return {
      profile: profileFromReport(rows, {
        day: o.day,
        timeZone: REPORT_TIME_ZONE,
        withinSeconds: o.withinSeconds,
      }),
      source: where,
      note: "按来电小时 hours by arrival; 平均通话 mean talk per hour (the reports' hourly summary by queue)",
    };
  } catch (err) {
    throw new DatabaseDayError(`the records database ${where} could not be read: ${(err as Error).message}`, {
      cause: err,
    });
  } finally {
    await sql.end({ timeout: 5 });
  }
}
