import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { safeDatabaseUrl } from '../../src/reports/database.ts';
import { DatabaseTransport } from '../../src/reports/database-transport.ts';
import { migrate } from '../../src/reports/migrate.ts';
import { displayWidth } from '../../src/reports/table-format.ts';
import { createTestDatabase } from '../reports/database-support.ts';
import { reportRecords } from '../support/report-records.ts';

let dir: string;
let file: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'hotline-report-'));
  file = join(dir, 'records.jsonl');
  // A records file as the engine writes it: call records, and a call event line (skipped).
  const event = { type: 'call-event', version: 2, callId: 'c9', what: 'queued' };
  writeFileSync(
    file,
    [...reportRecords().map((r) => JSON.stringify(r)), JSON.stringify(event)].map((l) => `${l}\n`).join(''),
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function report(args: string[], env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const saved = process.env.RECORDS_DATABASE_URL;
  if (env.RECORDS_DATABASE_URL === undefined) delete process.env.RECORDS_DATABASE_URL;
  else process.env.RECORDS_DATABASE_URL = env.RECORDS_DATABASE_URL;
  try {
    const code = await main(['report', ...args], { out: (t) => out.push(t), err: (t) => err.push(t) });
    return { code, out: out.join('\n'), err: err.join('\n') };
  } finally {
    if (saved === undefined) delete process.env.RECORDS_DATABASE_URL;
    else process.env.RECORDS_DATABASE_URL = saved;
  }
}

describe('hotline report over a JSONL records file', () => {
  it('prints the summary by line and day as an aligned table with Chinese headers', async () => {
    const r = await report(['--from', '2026-11-01', '--to', '2026-11-30', '--by', 'line', '--records', file]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const lines = r.out.split('\n');
    expect(lines[0]).toContain('汇总 2026-11-01 至 2026-11-30（北京时间） · 按日 · 号码线路');
    expect(lines[0]).toContain('5 条通话记录');
    const table = lines.slice(2);
    expect(table[0]).toMatch(/^时段\s+号码线路\s+来电量\s+转人工\s+接通\s+接通率\s+15秒服务水平/);
    const cellsOf = (line: string) => line.trim().split(/\s{2,}/);
    expect(cellsOf(table[2]!)).toEqual([
      '2026-11-02',
      'hotline-12345',
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
    expect(cellsOf(table[3]!)).toEqual([
      '2026-11-02',
      'l12319',
      '1',
      '0',
      '0',
      '0.0%',
      '0.0%',
      '0.0%',
      '0.0',
      '0',
      '0.0%',
      '0.0',
      '0',
      '—',
    ]);
    expect(cellsOf(table[4]!).slice(0, 7)).toEqual([
      '2026-11-03',
      'l12319',
      '1',
      '1',
      '1',
      '100.0%',
      '100.0%',
    ]);
    // Every line of the table is as wide on screen as the header's rule: the CJK headers take two columns each.
    const rule = displayWidth(table[1]!);
    for (const line of [table[0]!, ...table.slice(2)]) {
      const last = line.trimEnd();
      expect(displayWidth(last)).toBeLessThanOrEqual(rule);
    }
    // The figures' column ends where its rule ends (aligned right under a two-column-per-character header).
    const ends = (line: string, cell: string) =>
      displayWidth(line.slice(0, line.indexOf(cell) + cell.length));
    expect(ends(table[2]!, '66.7%')).toBe(ends(table[0]!, '接通率'));
    expect(ends(table[4]!, '100.0%')).toBe(ends(table[0]!, '接通率'));
  });

  it('prints CSV for Excel with --csv, by agent and month', async () => {
    const r = await report([
      '--from',
      '2026-11-01',
      '--to',
      '2026-11-30',
      '--by',
      'agent',
      '--grain',
      'month',
      '--csv',
      '--records',
      file,
    ]);
    expect(r.code).toBe(0);
    expect(r.out.startsWith('\uFEFF时段,坐席,来电量')).toBe(true);
    expect(r.out.split('\r\n').slice(1, 4)).toEqual([
      '2026-11,-,2,1,0,0.0%,0.0%,0.0%,0.0,1,100.0%,0.0,0,—',
      '2026-11,a1001,2,2,2,100.0%,100.0%,100.0%,4.0,0,0.0%,160.0,1,5.00',
      '2026-11,a1002,1,1,1,100.0%,0.0%,0.0%,20.0,0,0.0%,60.0,1,3.00',
    ]);
  });

  it('prints the transfers and the weekday × hour cells', async () => {
    const t = await report([
      '--from',
      '2026-11-01',
      '--to',
      '2026-11-30',
      '--show',
      'transfers',
      '--records',
      file,
    ]);
    expect(t.code).toBe(0);
    expect(t.out).toMatch(/2026-11-03\s+分中心\s+sc-tax\s+三方通话\s+1\s+1\s+100\.0%/);
    const h = await report([
      '--from',
      '2026-11-01',
      '--to',
      '2026-11-30',
      '--show',
      'heatmap',
      '--csv',
      '--records',
      file,
    ]);
    expect(h.code).toBe(0);
    const rows = h.out.split('\r\n');
    expect(rows).toContain('星期一,09:00,2,2,100.0%');
    expect(rows).toContain('星期一,10:00,1,0,0.0%');
    expect(rows).toContain('星期二,14:00,1,1,100.0%');
  });

  it('says when the range holds no calls', async () => {
    const r = await report(['--from', '2026-10-01', '--to', '2026-10-31', '--records', file]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('该时段没有通话记录');
  });
});

describe('hotline report refusals', () => {
  it.each([
    [['--to', '2026-11-30', '--records', 'x'], '--from is required'],
    [
      ['--from', '2026-11-31', '--to', '2026-12-01', '--records', 'x'],
      '--from: "2026-11-31" is neither a date',
    ],
    [['--from', '2026-11-01', '--to', '2026-11-30', '--by', 'city', '--records', 'x'], '--by:'],
    [
      ['--from', '2026-09-01', '--to', '2026-11-30', '--grain', 'hour', '--records', 'x'],
      '--grain: by the hour a report covers at most 31 days',
    ],
    [['--from', '2025-01-01', '--to', '2026-11-30', '--records', 'x'], '--to: the range covers'],
    [['--from', '2026-11-01', '--to', '2026-11-30', '--show', 'pie', '--records', 'x'], '--show:'],
    [
      ['--from', '2026-11-01', '--to', '2026-11-30', '--records', 'x', '--database', 'postgres://h/db'],
      '--database and --records',
    ],
    [['--from', '2026-11-01', '--to', '2026-11-30'], '--database: no records database'],
    [['--from', '2026-11-01', '--to', '2026-11-30', '--records', 'x', '--color'], "Unknown option '--color'"],
  ])('refuses %j naming the option (exit 2)', async (args, message) => {
    const r = await report(args);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
    expect(r.err).toContain('hotline report --from YYYY-MM-DD');
  });

  it('names the records file and the line that is not a call record (exit 1)', async () => {
    const bad = join(dir, 'bad.jsonl');
    writeFileSync(bad, `${JSON.stringify(reportRecords()[0])}\n{"type":"call-record","version":2}\n`);
    const r = await report(['--from', '2026-11-01', '--to', '2026-11-30', '--records', bad]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(new RegExp(`^report: ${bad.replaceAll('/', '\\/')}:2: not a call record`));
    const missing = await report([
      '--from',
      '2026-11-01',
      '--to',
      '2026-11-30',
      '--records',
      join(dir, 'none.jsonl'),
    ]);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('--records: cannot read');
    expect(missing.err).toContain('ENOENT');
  });

  it('says which database could not be read, without its password (exit 1)', async () => {
    // Nothing listens on port 9 of the loopback: the connection is refused at once.
    const r = await report(['--from', '2026-11-01', '--to', '2026-11-30'], {
      RECORDS_DATABASE_URL: 'postgres://reports:s3cret@127.0.0.1:9/records',
    });
    expect(r.code).toBe(1);
    expect(r.err).toContain(
      'report: --database: the records database postgres://reports@127.0.0.1:9/records could not be read',
    );
    expect(r.err).not.toContain('s3cret');
  });
});

describe('hotline report over the records database', () => {
  it('prints the same tables from the database as from the records file', async () => {
    const db = await createTestDatabase('hotline_report_cli');
    try {
      await migrate(db.sql);
      const records = reportRecords();
      const stored = await new DatabaseTransport(db.sql).sendBatch(
        records.map((r, i) => ({
          id: `database:${r.idempotencyKey}`,
          destination: 'database',
          kind: 'call-record' as const,
          callId: r.callId,
          idempotencyKey: r.idempotencyKey,
          body: JSON.stringify(r),
          createdAt: i,
          attempts: 0,
          nextAt: 0,
        })),
      );
      expect(stored.every((x) => x.ok)).toBe(true);
      for (const args of [
        ['--by', 'line'],
        ['--by', 'agent', '--grain', 'hour'],
        ['--show', 'transfers'],
        ['--show', 'heatmap'],
      ]) {
        const range = ['--from', '2026-11-01', '--to', '2026-11-30', ...args];
        const fromDb = await report([...range, '--csv'], { RECORDS_DATABASE_URL: db.url });
        const fromFile = await report([...range, '--csv', '--records', file]);
        expect(fromDb.err).toBe('');
        expect(fromDb.code).toBe(0);
        expect(fromDb.out).toBe(fromFile.out);
        const table = await report([...range, '--database', db.url]);
        expect(table.out.split('\n')[0]).toContain(`数据来源：${safeDatabaseUrl(db.url)}`);
      }
    } finally {
      await db.drop();
    }
  }, 60_000);
});
