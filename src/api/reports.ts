import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { AccessLedger } from '../admin/ledgers.ts';
import type { Clock } from '../clock.ts';
import { toCsv } from '../reports/csv.ts';
import { keyNamesOf } from '../reports/key-names.ts';
import type { ReportDimension, ReportSource } from '../reports/report.ts';
import { heatmapColumns, summaryColumns, transferColumns } from '../reports/report-columns.ts';
import { describeRange, HeatmapRequest, ReportRequest, TransfersRequest } from '../reports/report-request.ts';
import { apiErrors, invalidRequest, useErrorCatalogue } from './errors.ts';

export interface ReportsApiOptions {
  /** The records database's reports (RECORDS_DATABASE_URL); absent, the routes answer 503 saying so. */
  reports?: ReportSource;
  ledger: AccessLedger;
  clock: Clock;
  /** The keys' Chinese names of a split (a line's, an agent's…; reports/key-names.ts), for the JSON answer's `names`. */
  keyNames?: (by: ReportDimension) => (key: string) => string | undefined;
}

type ReportName = 'summary' | 'transfers' | 'heatmap';

function parse<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const r = schema.safeParse(value ?? {});
  if (!r.success) throw invalidRequest('query', r.error);
  return r.data;
}

/** `summary-2026-11-01-2026-11-30-line-day.csv`: the range by the center's days (the last one included). */
export function csvFileName(
  name: ReportName,
  q: { from: Date; to: Date; by?: string; grain?: string },
): string {
  const day = (ms: number) => new Date(ms + 8 * 3_600_000).toISOString().slice(0, 10);
  const last = day(q.to.getTime() - 1);
  return [name, day(q.from.getTime()), last, q.by, q.grain].filter(Boolean).join('-') + '.csv';
}

/**
 * The reports over the records database (`ReportSource`): for supervisors and administrators,
 * as JSON or as CSV for Excel (`?format=csv`: UTF-8 with a byte-order mark, Chinese headers, a
 * file to save). No caller data is in a report, but every read is in the access ledger: who
 * read which report of which range. Without a records database the routes answer 503 with
 * what to configure.
 *
 * - `GET /reports/summary?from&to&grain=hour|day|month&by=line|department|queue|agent|phase|all`:
 *   offered, answered, 接通率, 15 s service level (from queue entry and from arrival), ASA,
 *   abandonment, talk time, survey score per period and key (`names`: the keys' Chinese names);
 * - `GET /reports/transfers?from&to&grain`: transfers per period by target and mode;
 * - `GET /reports/heatmap?from&to`: offered and answered by weekday × hour.
 *
 * `from`/`to` are days of the center (`2026-11-01`, Asia/Shanghai; `to` included) or instants with
 * an offset (`to` excluded); a report covers at most 400 days, by the hour at most 31.
 */
export const reportsApi: FastifyPluginAsync<ReportsApiOptions> = async (
  app,
  { reports, ledger, clock, keyNames },
) => {
  useErrorCatalogue(app);

  /** Answers 503 when the reports are off or the database fails; runs `read` otherwise. */
  const serve = async <T>(
    req: FastifyRequest,
    reply: FastifyReply,
    name: ReportName,
    q: { from: Date; to: Date; grain?: string; by?: string; format: 'json' | 'csv' },
    read: (source: ReportSource) => Promise<T>,
  ): Promise<T | undefined> => {
    if (!reports) {
      void reply.code(503).send({
        error: apiErrors.reportsOff.code,
        message:
          'reports need RECORDS_DATABASE_URL: the call records are kept in no database this service reads',
      });
      return undefined;
    }
    let result: T;
    try {
      result = await read(reports);
    } catch (err) {
      req.log.error({ err, report: name }, 'a report could not be read from the records database');
      void reply.code(503).send({
        error: apiErrors.reportsUnavailable.code,
        message: 'the records database did not answer the report: try again shortly',
      });
      return undefined;
    }
    const p = req.principal;
    if (p)
      await ledger.append({
        at: new Date(clock.now()).toISOString(),
        tokenId: p.tokenId,
        role: p.role,
        method: req.method,
        route: req.routeOptions.url ?? req.url,
        callIds: [],
        address: req.ip,
        report: {
          name,
          from: q.from.toISOString(),
          to: q.to.toISOString(),
          ...(q.grain ? { grain: q.grain } : {}),
          ...(q.by ? { by: q.by } : {}),
          format: q.format,
        },
      });
    return result;
  };

  const sendCsv = (reply: FastifyReply, file: string, text: string) =>
    reply
      .headers({
        'content-type': 'text/csv; charset=utf-8',
        'content-disposition': `attachment; filename="${file}"`,
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
      })
      .send(text);

  app.get('/reports/summary', async (req, reply) => {
    const q = parse(ReportRequest, req.query);
    const rows = await serve(req, reply, 'summary', q, (s) => s.summary(q));
    if (!rows) return reply;
    if (q.format === 'csv')
      return sendCsv(reply, csvFileName('summary', q), toCsv(summaryColumns(q.by), rows));
    const names = keyNames
      ? keyNamesOf(
          rows.map((r) => r.key),
          keyNames(q.by),
        )
      : {};
    return { query: describeRange(q), rows, names };
  });

  app.get('/reports/transfers', async (req, reply) => {
    const q = parse(TransfersRequest, req.query);
    const rows = await serve(req, reply, 'transfers', { ...q, by: undefined }, (s) => s.transfers(q));
    if (!rows) return reply;
    if (q.format === 'csv')
      return sendCsv(reply, csvFileName('transfers', { ...q, by: undefined }), toCsv(transferColumns, rows));
    return { query: describeRange({ from: q.from, to: q.to, grain: q.grain }), rows };
  });

  app.get('/reports/heatmap', async (req, reply) => {
    const q = parse(HeatmapRequest, req.query);
    const cells = await serve(req, reply, 'heatmap', q, (s) => s.heatmap(q));
    if (!cells) return reply;
    if (q.format === 'csv') return sendCsv(reply, csvFileName('heatmap', q), toCsv(heatmapColumns, cells));
    return { query: describeRange(q), cells };
  });
};
