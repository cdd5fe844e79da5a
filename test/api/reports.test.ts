import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryAppendLog } from '../../src/admin/append-log.ts';
import type { AccessEntry } from '../../src/admin/ledgers.ts';
import { issueToken, TokenSet } from '../../src/admin/tokens.ts';
import { buildApi } from '../../src/api/server.ts';
import { rosterToAgents } from '../../src/app.ts';
import { createLogger } from '../../src/log.ts';
import type { ReportSource } from '../../src/reports/report.ts';
import type { RosterEntry } from '../../src/roster.ts';
import { type Rig, startRig } from '../support/engine-harness.ts';
import { FixedReportSource, reportRow } from '../support/fixed-report-source.ts';

const roster: RosterEntry[] = [
  { id: 'a1001', name: '王敏', endpoint: 'PJSIP/agent1001', pools: ['general'], skills: { general: 5 } },
];
const issued = {
  admin: issueToken('ops-admin', 'admin'),
  supervisor: issueToken('duty-supervisor', 'supervisor'),
  a1001: issueToken('a1001', 'agent', 'a1001'),
};
type Who = keyof typeof issued;

const source = new FixedReportSource({
  summary: [
    reportRow('2026-11-01', '12345', { calls: 120, offered: 100, answered: 90, within: 80, abandoned: 10 }),
    reportRow('2026-11-01', '=cmd|x', { calls: 5, offered: 4, answered: 4, within: 4, abandoned: 0 }),
  ],
  transfers: [
    {
      period: '2026-11-01',
      targetKind: 'subcenter',
      targetId: 'sc-tax',
      mode: 'three-way',
      transfers: 8,
      reached: 6,
    },
  ],
  heatmap: [{ weekday: 1, hour: 9, offered: 40, answered: 36 }],
});

let rig: Rig;
const apis: FastifyInstance[] = [];
const ledger = new MemoryAppendLog<AccessEntry>();

async function api(reports: ReportSource | undefined): Promise<FastifyInstance> {
  const built = await buildApi({
    hotline: rig.hotline,
    roster: rosterToAgents(roster, 'sichuan'),
    clock: rig.clock,
    logger: createLogger({ level: 'silent' }),
    tokens: new TokenSet(Object.values(issued).map((i) => i.entry)),
    authFailures: { max: 1000, windowMs: 60_000 },
    ledger,
    ...(reports ? { reports } : {}),
  });
  apis.push(built);
  return built;
}

let withSource: FastifyInstance;
const as = (app: FastifyInstance, who: Who | undefined, url: string, o: InjectOptions = {}) =>
  app.inject({
    method: 'GET',
    url,
    ...o,
    headers: { ...(who ? { authorization: `Bearer ${issued[who].token}` } : {}) },
  }) as Promise<LightMyRequestResponse>;

beforeAll(async () => {
  rig = await startRig({ roster, at: '2026-11-24T10:00:00+08:00' });
  withSource = await api(source);
}, 60_000);

afterAll(async () => {
  for (const a of apis) await a.close();
  await rig?.close();
});

describe('GET /reports/summary', () => {
  it('asks the source for the days of the center, the last one included, and answers its rows', async () => {
    source.asked.length = 0;
    const r = await as(withSource, 'supervisor', '/reports/summary?from=2026-11-01&to=2026-11-30&by=line');
    expect(r.statusCode).toBe(200);
    expect(source.asked).toEqual([
      {
        report: 'summary',
        q: expect.objectContaining({
          from: new Date('2026-11-01T00:00:00+08:00'),
          to: new Date('2026-12-01T00:00:00+08:00'),
          grain: 'day',
          by: 'line',
        }),
      },
    ]);
    const body = r.json();
    expect(body.query).toEqual({
      from: '2026-10-31T16:00:00.000Z',
      to: '2026-11-30T16:00:00.000Z',
      grain: 'day',
      by: 'line',
      timeZone: 'Asia/Shanghai',
    });
    expect(body.rows[0]).toMatchObject({ period: '2026-11-01', key: '12345', offered: 100, answerRate: 0.9 });
    // Keys the plan does not know have no name (the plan's line ids are named: see below).
    expect(body.names).toEqual({});
  });

  it('names the keys the plan and the roster know, in Chinese: lines, departments, queues, agents, phases', async () => {
    const row = (key: string) =>
      reportRow('2026-11-01', key, { calls: 1, offered: 1, answered: 1, within: 1, abandoned: 0 });
    const named = new FixedReportSource({
      summary: ['hotline-12345', 'l12319', 'housing', 'pool:general', 'a1001', 'transition', '-'].map(row),
      transfers: [],
      heatmap: [],
    });
    const app = await api(named);
    const names = async (by: string) =>
      (await as(app, 'supervisor', `/reports/summary?from=2026-11-01&to=2026-11-02&by=${by}`)).json().names;
    expect(await names('line')).toEqual({
      'hotline-12345': '12345政务服务便民热线',
      l12319: '全国住房和城乡建设服务电话',
    });
    expect(await names('department')).toMatchObject({ housing: '住房城乡建设厅' });
    expect((await names('queue'))['pool:general']).toEqual(expect.any(String));
    expect(await names('agent')).toEqual({ a1001: '王敏' });
    expect(await names('phase')).toMatchObject({ transition: '过渡期' });
  });

  it('takes instants with an offset as they are, the end excluded', async () => {
    source.asked.length = 0;
    const from = encodeURIComponent('2026-11-24T08:00:00+08:00');
    const to = encodeURIComponent('2026-11-24T20:00:00+08:00');
    const r = await as(withSource, 'admin', `/reports/summary?from=${from}&to=${to}&grain=hour`);
    expect(r.statusCode).toBe(200);
    expect(source.asked[0]!.q).toMatchObject({
      from: new Date('2026-11-24T00:00:00Z'),
      to: new Date('2026-11-24T12:00:00Z'),
      grain: 'hour',
      by: 'all',
    });
  });

  it('serves CSV for Excel: a byte-order mark, Chinese headers, percentages, an attachment to save', async () => {
    const r = await as(
      withSource,
      'supervisor',
      '/reports/summary?from=2026-11-01&to=2026-11-30&by=line&grain=day&format=csv',
    );
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(r.headers['content-disposition']).toBe(
      'attachment; filename="summary-2026-11-01-2026-11-30-line-day.csv"',
    );
    expect(r.rawPayload.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    const lines = r.rawPayload.subarray(3).toString('utf8').split('\r\n');
    expect(lines[0]).toBe(
      '时段,号码线路,来电量,转人工,接通,接通率,15秒服务水平,15秒服务水平(自来电),平均应答时长(秒),放弃,放弃率,平均通话时长(秒),评价数,满意度',
    );
    expect(lines[1]).toBe('2026-11-01,12345,120,100,90,90.0%,80.0%,79.0%,8.3,10,10.0%,192.5,2,4.50');
    // A key a spreadsheet would take for a formula is written as text.
    expect(lines[2]!.split(',')[1]).toBe("'=cmd|x");
    expect(lines.at(-1)).toBe('');
  });

  it('writes every read to the access ledger: who read which report of which range, in which format', async () => {
    ledger.entries.length = 0;
    await as(withSource, 'supervisor', '/reports/summary?from=2026-11-01&to=2026-11-07&by=agent&format=csv');
    await as(withSource, 'admin', '/reports/heatmap?from=2026-11-01&to=2026-11-07');
    expect(await ledger.latest(10)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          tokenId: 'duty-supervisor',
          role: 'supervisor',
          route: '/reports/summary',
          callIds: [],
          report: {
            name: 'summary',
            from: '2026-10-31T16:00:00.000Z',
            to: '2026-11-07T16:00:00.000Z',
            grain: 'day',
            by: 'agent',
            format: 'csv',
          },
        }),
        expect.objectContaining({
          tokenId: 'ops-admin',
          route: '/reports/heatmap',
          report: expect.objectContaining({ name: 'heatmap', format: 'json' }),
        }),
      ]),
    );
    expect(ledger.entries).toHaveLength(2);
  });

  it.each([
    ['grain=week', 'query.grain'],
    ['by=city', 'query.by'],
    ['format=xlsx', 'query.format'],
  ])('refuses %s with 400 naming %s', async (param, field) => {
    const r = await as(withSource, 'supervisor', `/reports/summary?from=2026-11-01&to=2026-11-02&${param}`);
    expect(r.statusCode).toBe(400);
    expect(r.json()).toMatchObject({ error: 'invalid-request', field });
  });

  it('refuses a missing or impossible date, naming the field', async () => {
    const missing = await as(withSource, 'supervisor', '/reports/summary?to=2026-11-02');
    expect(missing.statusCode).toBe(400);
    expect(missing.json().field).toBe('query.from');
    const impossible = await as(withSource, 'supervisor', '/reports/summary?from=2026-02-30&to=2026-03-02');
    expect(impossible.json()).toMatchObject({ field: 'query.from' });
    expect(impossible.json().message).toContain('YYYY-MM-DD');
    const backwards = await as(withSource, 'supervisor', '/reports/summary?from=2026-11-05&to=2026-11-01');
    expect(backwards.json()).toMatchObject({ field: 'query.to' });
  });

  it('limits a report to 400 days, and to 31 by the hour, saying so', async () => {
    const long = await as(
      withSource,
      'supervisor',
      '/reports/summary?from=2025-01-01&to=2026-03-01&grain=month',
    );
    expect(long.statusCode).toBe(400);
    expect(long.json()).toMatchObject({ field: 'query.to' });
    expect(long.json().message).toContain('at most 400');
    const year = await as(
      withSource,
      'supervisor',
      '/reports/summary?from=2025-12-01&to=2026-11-30&grain=month',
    );
    expect(year.statusCode).toBe(200);
    const hourly = await as(
      withSource,
      'supervisor',
      '/reports/summary?from=2026-10-01&to=2026-11-30&grain=hour',
    );
    expect(hourly.statusCode).toBe(400);
    expect(hourly.json()).toMatchObject({ field: 'query.grain' });
    expect(hourly.json().message).toContain('at most 31 days');
    const month = await as(
      withSource,
      'supervisor',
      '/reports/summary?from=2026-10-01&to=2026-10-31&grain=hour',
    );
    expect(month.statusCode).toBe(200);
  });
});

describe('GET /reports/transfers and /reports/heatmap', () => {
  it('answers transfers by target and mode, as JSON and as CSV', async () => {
    const json = await as(withSource, 'supervisor', '/reports/transfers?from=2026-11-01&to=2026-11-30');
    expect(json.json().rows).toEqual([
      expect.objectContaining({ targetId: 'sc-tax', transfers: 8, reached: 6 }),
    ]);
    const csv = await as(
      withSource,
      'supervisor',
      '/reports/transfers?from=2026-11-01&to=2026-11-30&format=csv',
    );
    expect(csv.headers['content-disposition']).toBe(
      'attachment; filename="transfers-2026-11-01-2026-11-30-day.csv"',
    );
    expect(csv.body.split('\r\n').slice(0, 2)).toEqual([
      '\uFEFF时段,转接类型,转接目标,方式,转接,转接成功,转接成功率',
      '2026-11-01,分中心,sc-tax,三方通话,8,6,75.0%',
    ]);
  });

  it('answers the hour × weekday cells, as JSON and as CSV', async () => {
    const json = await as(withSource, 'supervisor', '/reports/heatmap?from=2026-11-01&to=2026-11-30');
    expect(json.json()).toMatchObject({ cells: [{ weekday: 1, hour: 9, offered: 40, answered: 36 }] });
    const csv = await as(
      withSource,
      'supervisor',
      '/reports/heatmap?from=2026-11-01&to=2026-11-30&format=csv',
    );
    expect(csv.body.split('\r\n').slice(0, 2)).toEqual([
      '\uFEFF星期,小时,转人工,接通,接通率',
      '星期一,09:00,40,36,90.0%',
    ]);
  });
});

describe('who may read the reports, and without a database', () => {
  it('refuses an agent (403) and a request without a token (401)', async () => {
    for (const path of ['/reports/summary', '/reports/transfers', '/reports/heatmap']) {
      const url = `${path}?from=2026-11-01&to=2026-11-02`;
      expect((await as(withSource, 'a1001', url)).statusCode).toBe(403);
      expect((await as(withSource, undefined, url)).statusCode).toBe(401);
    }
  });

  it('answers 503 naming RECORDS_DATABASE_URL when no records database is configured', async () => {
    const off = await api(undefined);
    for (const path of ['/reports/summary', '/reports/transfers', '/reports/heatmap']) {
      const r = await as(off, 'supervisor', `${path}?from=2026-11-01&to=2026-11-02`);
      expect(r.statusCode).toBe(503);
      expect(r.json()).toMatchObject({ error: 'reports-off' });
      expect(r.json().message).toContain('reports need RECORDS_DATABASE_URL');
    }
    // The parameters are checked first: a bad request is still told what is wrong with it.
    expect((await as(off, 'supervisor', '/reports/summary?from=x&to=2026-11-02')).statusCode).toBe(400);
  });

  it('answers 503 when the database fails, without its error text', async () => {
    const failing = new FixedReportSource({ summary: [], transfers: [], heatmap: [] });
    failing.fail = true;
    const down = await api(failing);
    const before = ledger.entries.length;
    const r = await as(down, 'supervisor', '/reports/summary?from=2026-11-01&to=2026-11-02');
    expect(r.statusCode).toBe(503);
    expect(r.json()).toMatchObject({ error: 'reports-unavailable' });
    expect(r.body).not.toContain('ECONNREFUSED');
    expect(r.body).not.toContain('secret');
    expect(ledger.entries.length).toBe(before);
  });

  it('documents the routes and their query parameters in the OpenAPI document', async () => {
    const doc = (await as(withSource, 'supervisor', '/docs/openapi.json')).json();
    const op = doc.paths['/reports/summary'].get;
    expect(op.description).toContain('admin, supervisor');
    expect(op.parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`)).toEqual([
      'query:from',
      'query:to',
      'query:grain',
      'query:by',
      'query:format',
    ]);
    expect(op.parameters.find((p: { name: string }) => p.name === 'grain').schema.enum).toEqual([
      'hour',
      'day',
      'month',
    ]);
    expect(doc.paths['/reports/transfers'].get.parameters.map((p: { name: string }) => p.name)).toEqual([
      'from',
      'to',
      'grain',
      'format',
    ]);
    expect(doc.paths['/reports/heatmap'].get.parameters.map((p: { name: string }) => p.name)).toEqual([
      'from',
      'to',
      'format',
    ]);
  });
});
