import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryAppendLog } from '../../src/admin/append-log.ts';
import { emptyDay } from '../../src/admin/day-slots.ts';
import type { AccessEntry } from '../../src/admin/ledgers.ts';
import { issueToken, TokenSet } from '../../src/admin/tokens.ts';
import { buildApi } from '../../src/api/server.ts';
import { rosterToAgents } from '../../src/app.ts';
import { createLogger } from '../../src/log.ts';
import type { DaySlotsReader } from '../../src/reports/database-day-slots.ts';
import { RecordsReportSource } from '../../src/reports/records-source.ts';
import type { ReportSource } from '../../src/reports/report.ts';
import type { RosterEntry } from '../../src/roster.ts';
import { launchChromium, listenOnLoopback, shots, until } from '../support/chromium.ts';
import { type Rig, startRig } from '../support/engine-harness.ts';
import { reportRecords } from '../support/report-records.ts';

const roster: RosterEntry[] = [
  { id: 'a1001', name: '王敏', endpoint: 'PJSIP/agent1001', pools: ['general'], skills: { general: 5 } },
];
const issued = {
  supervisor: issueToken('duty-supervisor', 'supervisor'),
  a1001: issueToken('a1001', 'agent', 'a1001'),
};

let rig: Rig;
let browser: Browser;
const ledger = new MemoryAppendLog<AccessEntry>();
const servers: FastifyInstance[] = [];

async function serve(reports: ReportSource | undefined, databaseDay?: DaySlotsReader): Promise<string> {
  const api = await buildApi({
    hotline: rig.hotline,
    roster: rosterToAgents(roster, 'sichuan'),
    clock: rig.clock,
    logger: createLogger({ level: 'silent' }),
    tokens: new TokenSet(Object.values(issued).map((i) => i.entry)),
    authFailures: { max: 1000, windowMs: 60_000 },
    ledger,
    ...(reports ? { reports } : {}),
    ...(databaseDay ? { databaseDay } : {}),
  });
  servers.push(api);
  return listenOnLoopback(api);
}

let base: string;
beforeAll(async () => {
  rig = await startRig({ roster, at: '2026-11-24T10:00:00+08:00' });
  base = await serve(new RecordsReportSource(reportRecords()));
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  for (const s of servers) await s.close();
  await rig?.close();
});

async function open(url: string): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1360, height: 900 }, acceptDownloads: true });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  await page.goto(url);
  return { page, errors };
}

describe('the reports page (统计报表) in headless Chromium', () => {
  it('shows the totals, the table by line, the trend and the heat map, and downloads the CSV', async () => {
    const { page, errors } = await open(
      `${base}/web/reports.html?from=2026-11-01&to=2026-11-30&by=line#token=${issued.supervisor.token}`,
    );
    await until(() => page.locator('body').getAttribute('data-loaded')).toBe('day|line|3');
    // The totals over every row: 5 calls, 4 offered, 3 answered, 2 within 15 s of queue entry, 1 abandoned.
    expect(await page.locator('[data-kpi="来电量"] .value').textContent()).toBe('5');
    expect(await page.locator('[data-kpi="接通率"] .value').textContent()).toBe('75.0%');
    expect(await page.locator('[data-kpi="15秒服务水平"] .value').textContent()).toBe('50.0%');
    expect(await page.locator('[data-kpi="放弃率"] .value').textContent()).toBe('25.0%');
    expect(await page.locator('[data-kpi="满意度"] .value').textContent()).toBe('4.00');
    // The table: the same columns and figures as the CSV and the terminal.
    const headers = await page.locator('#summary thead th').allTextContents();
    expect(headers.slice(0, 6)).toEqual(['时段', '号码线路', '来电量', '转人工', '接通', '接通率']);
    expect(headers).toContain('平均应答时长(秒)');
    expect(headers).toContain('满意度');
    const row = page.locator('#summary tbody tr[data-period="2026-11-02"][data-key="hotline-12345"] td');
    // The line by its name in the plan, its id in the tooltip.
    expect(await row.nth(1).getAttribute('title')).toBe('hotline-12345');
    expect(await row.allTextContents()).toEqual([
      '2026-11-02',
      '12345政务服务便民热线',
      '3',
      '3',
      '2',
      '66.7%',
      '33.3%',
      '33.3%',
      '12.5',
      '1',
      '33.3%',
      '90.0',
      '2',
      '4.00',
    ]);
    expect(await page.locator('#summary tbody tr').count()).toBe(3);
    // The charts were drawn: a canvas each, two periods on the trend, 7 × 24 cells in the heat map.
    await until(() => page.locator('#trend canvas').count()).toBeGreaterThan(0);
    await until(() => page.locator('#heatmap canvas').count()).toBeGreaterThan(0);
    expect(await page.locator('#trend').getAttribute('data-periods')).toBe('2');
    expect(await page.locator('#heatmap').getAttribute('data-cells')).toBe('168');
    expect(await page.locator('#transfers tbody').textContent()).toContain('sc-tax');
    expect(await page.locator('#transfers tbody').textContent()).toContain('三方通话');

    // The CSV through the API with the token, saved under the API's name.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#csv-summary')]);
    expect(download.suggestedFilename()).toBe('summary-2026-11-01-2026-11-30-line-day.csv');
    const csv = readFileSync((await download.path())!, 'utf8');
    expect(csv.startsWith('\uFEFF时段,号码线路,来电量,转人工,接通,接通率')).toBe(true);
    expect(csv).toContain('2026-11-02,hotline-12345,3,3,2,66.7%,33.3%,33.3%,12.5,1,33.3%,90.0,2,4.00');
    const csvReads = ledger.entries.filter((e) => e.report?.format === 'csv');
    expect(csvReads).toEqual([
      expect.objectContaining({
        tokenId: 'duty-supervisor',
        report: expect.objectContaining({ by: 'line' }),
      }),
    ]);

    await page.screenshot({ path: join(shots, 'reports-page.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('queries again by another grain and split from the controls', async () => {
    const { page, errors } = await open(
      `${base}/web/reports.html?from=2026-11-01&to=2026-11-30#token=${issued.supervisor.token}`,
    );
    await until(() => page.locator('body').getAttribute('data-loaded')).toBe('day|all|2');
    await page.selectOption('#grain', 'month');
    await page.selectOption('#by', 'agent');
    await page.click('#run');
    await until(() => page.locator('body').getAttribute('data-loaded')).toBe('month|agent|3');
    expect(await page.locator('#summary thead th').nth(1).textContent()).toBe('坐席');
    const agent = page.locator('#summary tbody tr[data-key="a1001"] td');
    expect(await agent.nth(1).textContent()).toBe('王敏');
    expect(await agent.nth(5).textContent()).toBe('100.0%');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('tells an agent it may not read the reports', async () => {
    const { page } = await open(`${base}/web/reports.html#token=${issued.a1001.token}`);
    await until(() => page.locator('#status').textContent()).toContain('无权限');
    expect(await page.locator('#summary tbody tr').count()).toBe(0);
    await page.close();
  });

  it('says that reports need the records database when none is configured', async () => {
    const off = await serve(undefined);
    const { page } = await open(`${off}/web/reports.html#token=${issued.supervisor.token}`);
    await until(() => page.locator('#status').textContent()).toContain('RECORDS_DATABASE_URL');
    await page.close();
  });
});

describe('the wallboard with the records database', () => {
  it('shows the day read from the database and says so in its header (数据库)', async () => {
    // The rig's day: 2026-11-24; at 09:00, 7 calls, 5 offered, 4 answered (3 within 15 s).
    const reader: DaySlotsReader = {
      readDay: async (day) => {
        const d = emptyDay(day);
        Object.assign(d.slots[36]!, {
          arrived: 7,
          offered: 5,
          answered: 4,
          withinServiceLevel: 3,
          withinServiceLevelFromArrival: 2,
          waitMs: 40_000,
          waitFromArrivalMs: 60_000,
          abandoned: 1,
        });
        d.lines['hotline-12345'] = 7;
        return d;
      },
    };
    const url = await serve(undefined, reader);
    const { page, errors } = await open(`${url}/web/wallboard.html#token=${issued.supervisor.token}`);
    await until(() => page.locator('#day-source').textContent()).toContain('数据库');
    expect(await page.locator('#day-source').getAttribute('data-source')).toBe('database');
    await until(() => page.locator('[data-kpi="接通率"] .value').textContent()).toBe('80.0%');
    expect(errors).toEqual([]);
    await page.close();
  });
});
