import { parseArgs } from 'node:util';
import { RecordsFileLineError, readRecordsFile } from '../records/records-file.ts';
import { toCsv } from '../reports/csv.ts';
import { openDatabase, safeDatabaseUrl } from '../reports/database.ts';
import { DatabaseReportSource } from '../reports/database-source.ts';
import { RecordsReportSource } from '../reports/records-source.ts';
import type { ReportSource } from '../reports/report.ts';
import {
  type Column,
  dimensionHeaders,
  heatmapColumns,
  summaryColumns,
  transferColumns,
} from '../reports/report-columns.ts';
import { ReportRequest } from '../reports/report-request.ts';
import { formatTable } from '../reports/table-format.ts';
import { type CommandIO, UsageError } from './io.ts';

export const reportHelp = `hotline report --from YYYY-MM-DD --to YYYY-MM-DD [--by line|department|queue|agent|phase|all]
               [--grain hour|day|month] [--show summary|transfers|heatmap] [--csv]
               [--database URL | --records FILE.jsonl]
  The reports of the API's /reports (and the reports page) in the terminal: per period and key,
  来电量, 转人工, 接通, 接通率, 15秒服务水平 (from queue entry and from arrival), 平均应答时长, 放弃率,
  平均通话时长, 满意度 (--show summary, the default); transfers by target and mode (--show transfers);
  转人工 and 接通 by weekday × hour (--show heatmap). Dates are days of the center (Asia/Shanghai),
  --to included; by the hour at most 31 days, at most 400 in all. --by defaults to all, --grain to day.
  --csv prints CSV for Excel (UTF-8 with a byte-order mark, Chinese headers) instead of a table.
  The calls come from the records database (--database, default RECORDS_DATABASE_URL) or from a
  JSONL records file (--records, e.g. the engine's records.jsonl), computed the same way.
  A problem ends the command with one line and exit code 1.`;

const optionNames: Record<string, string> = {
  from: '--from',
  to: '--to',
  grain: '--grain',
  by: '--by',
};

/** A failure the command states in one line (exit code 1). */
export class ReportCommandError extends Error {
  readonly code = 'report-failed';
}

type Show = 'summary' | 'transfers' | 'heatmap';
const shows: readonly Show[] = ['summary', 'transfers', 'heatmap'];
const showNames: Record<Show, string> = { summary: '汇总', transfers: '转接', heatmap: '星期 × 小时' };
const grainNames = { hour: '按小时', day: '按日', month: '按月' };

function render<T>(columns: Column<T>[], rows: T[], csv: boolean, title: string): string {
  if (csv) return toCsv(columns, rows);
  if (rows.length === 0) return `${title}\n（该时段没有通话记录）`;
  return `${title}\n\n${formatTable(columns, rows)}`;
}

/**
 * `hotline report …`; returns the exit code. Bad options are usage errors naming the option
 * (exit 2); a database that cannot be read or a records file that cannot, one line (exit 1).
 */
export async function reportCommand(
  args: string[],
  io: CommandIO,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      from: { type: 'string' },
      to: { type: 'string' },
      by: { type: 'string' },
      grain: { type: 'string' },
      show: { type: 'string' },
      csv: { type: 'boolean', default: false },
      database: { type: 'string' },
      records: { type: 'string' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.from === undefined) throw new UsageError('--from is required (a day, YYYY-MM-DD)');
  if (values.to === undefined) throw new UsageError('--to is required (a day, YYYY-MM-DD, included)');
  const show = (values.show ?? 'summary') as Show;
  if (!shows.includes(show))
    throw new UsageError(`--show: "${values.show}" is not one of ${shows.join(', ')}`);
  const parsed = ReportRequest.safeParse({
    from: values.from,
    to: values.to,
    ...(values.grain !== undefined ? { grain: values.grain } : {}),
    ...(values.by !== undefined ? { by: values.by } : {}),
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const option = optionNames[String(issue.path[0])] ?? String(issue.path[0]);
    throw new UsageError(`${option}: ${issue.message}`);
  }
  const q = parsed.data;
  if (values.database !== undefined && values.records !== undefined)
    throw new UsageError('--database and --records: give one of them (where the calls come from)');
  const url = values.records === undefined ? (values.database ?? env.RECORDS_DATABASE_URL) : undefined;
  if (values.records === undefined && !url)
    throw new UsageError(
      '--database: no records database (give --database URL, set RECORDS_DATABASE_URL, or read a file with --records)',
    );

  let close: () => Promise<void> = async () => undefined;
  let source: ReportSource;
  let where: string;
  try {
    if (values.records !== undefined) {
      const { records } = await readRecordsFile(values.records).catch((err: NodeJS.ErrnoException) => {
        if (err instanceof RecordsFileLineError) throw new ReportCommandError(err.message);
        throw new ReportCommandError(`--records: cannot read ${values.records} (${err.code ?? err.message})`);
      });
      source = new RecordsReportSource(records);
      where = `${values.records}（${records.length} 条通话记录）`;
    } else {
      const sql = openDatabase(url!, { max: 1, applicationName: 'hotline report' });
      close = () => sql.end({ timeout: 5 });
      source = new DatabaseReportSource(sql);
      where = safeDatabaseUrl(url!);
    }
    const day = (d: Date) => new Date(d.getTime() + 8 * 3_600_000).toISOString().slice(0, 10);
    const range = `${day(q.from)} 至 ${day(new Date(q.to.getTime() - 1))}（北京时间）`;
    const split = show === 'summary' ? ` · ${q.by === 'all' ? '全部' : dimensionHeaders[q.by]}` : '';
    const grain = show === 'heatmap' ? '' : ` · ${grainNames[q.grain]}`;
    const title = `${showNames[show]} ${range}${grain}${split} · 数据来源：${where}`;
    try {
      switch (show) {
        case 'summary':
          io.out(render(summaryColumns(q.by), await source.summary(q), values.csv, title));
          break;
        case 'transfers':
          io.out(render(transferColumns, await source.transfers(q), values.csv, title));
          break;
        case 'heatmap':
          io.out(render(heatmapColumns, await source.heatmap(q), values.csv, title));
          break;
      }
    } catch (err) {
      if (values.records !== undefined) throw err;
      throw new ReportCommandError(
        `--database: the records database ${where} could not be read: ${(err as Error).message}`,
      );
    }
    return 0;
  } catch (err) {
    if (!(err instanceof ReportCommandError)) throw err;
    io.err(`report: ${err.message}`);
    return 1;
  } finally {
    await close();
  }
}
