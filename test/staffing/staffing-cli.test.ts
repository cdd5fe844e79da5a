import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { DatabaseTransport } from '../../src/reports/database-transport.ts';
import { migrate } from '../../src/reports/migrate.ts';
import { agentsByErlangA, agentsByErlangC } from '../../src/staffing/erlang.ts';
import { createTestDatabase } from '../reports/database-support.ts';
import { staffingDay } from './call-records.ts';

const root = join(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'staffing-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(['staffing', ...args], { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const recordsFile = join(dir, 'records.jsonl');
writeFileSync(
  recordsFile,
  `${staffingDay()
    .map((r) => JSON.stringify(r))
    .join('\n')}\n${JSON.stringify({ type: 'call-event', version: 2, callId: 'x' })}\n`,
);

describe('hotline staffing for one interval', () => {
  it('prints the agents needed by Erlang C and Erlang A in an aligned table', async () => {
    const r = await run('--calls-per-hour', '200', '--aht', '180', '--within', '20', '--patience', '60');
    expect(r.code).toBe(0);
    expect(r.out).toContain('10.00 Erlang');
    const c = r.out.split('\n').find((l) => l.startsWith('Erlang C'))!;
    const a = r.out.split('\n').find((l) => l.startsWith('Erlang A'))!;
    expect(c.split(/\s{2,}/)[1]).toBe('14');
    const wantA = agentsByErlangA(
      { callsPerHour: 200, ahtSeconds: 180, patienceSeconds: 60 },
      { targetServiceLevel: 0.8, withinSeconds: 20 },
    );
    expect(a.split(/\s{2,}/)[1]).toBe(String(wantA.agents));
    expect(c.length).toBe(a.length); // aligned columns
  });

  it('answers in JSON with --json, infinite figures as null', async () => {
    const r = await run('--calls-per-hour', '1200', '--aht', '300', '--json');
    const body = JSON.parse(r.out);
    expect(body.erlangC.agents).toBe(
      agentsByErlangC({ callsPerHour: 1200, ahtSeconds: 300 }, { targetServiceLevel: 0.8, withinSeconds: 15 })
        .agents,
    );
    expect(body.erlangA).toBeUndefined();
  });

  it('caps abandonment when asked (--max-abandon)', async () => {
    const loose = JSON.parse(
      (await run('--calls-per-hour', '1200', '--aht', '300', '--patience', '60', '--json')).out,
    );
    const strict = JSON.parse(
      (
        await run(
          '--calls-per-hour',
          '1200',
          '--aht',
          '300',
          '--patience',
          '60',
          '--max-abandon',
          '0.01',
          '--json',
        )
      ).out,
    );
    expect(strict.erlangA.probAbandon).toBeLessThanOrEqual(0.01);
    expect(strict.erlangA.agents).toBeGreaterThan(loose.erlangA.agents);
  });

  it('names the option that is wrong', async () => {
    expect((await run('--calls-per-hour', '100', '--aht', 'abc')).err).toMatch(
      /^staffing: --aht: must be a number/,
    );
    expect((await run('--calls-per-hour', '100', '--aht', '60', '--target-sl', '1')).err).toMatch(
      /--target-sl/,
    );
    expect((await run('--calls-per-hour', '100')).err).toMatch(/--aht is required/);
    expect((await run('--calls-per-hour', '100', '--aht', '60', '--records', 'x')).code).toBe(2);
  });
});

describe('hotline staffing --records', () => {
  it('asks which day when the records span several, naming --day', async () => {
    const r = await run('--records', recordsFile);
    expect(r.code).toBe(2);
    expect(r.err).toContain('--day: the records span 3 days (2026-11-01, 2026-11-02, 2026-11-03)');
  });

  it('prints each queue’s hourly profile with the estimated patience and agents by C and A', async () => {
    const r = await run('--records', recordsFile, '--day', '2026-11-02');
    expect(r.code).toBe(0);
    expect(r.out).toContain('== 12345综合受理座席 [pool:general] ==');
    expect(r.out).toContain('== 公共法律服务专家座席 [expert:legal] ==');
    expect(r.out).toContain('59.5 s (2 放弃 abandons');
    expect(r.out).toContain('无放弃 no abandons: Erlang A not computed');
    const nine = r.out
      .split('\n')
      .find((l) => l.startsWith('09:00'))!
      .split(/\s{2,}/);
    // hour, offered, AHT, answered share, SL, C agents, …
    expect(nine.slice(0, 5)).toEqual(['09:00', '4', '150.0 s', '50.0%', '25.0%']);
  });

  it('gives the same figures as JSON, the AHT with the wrap-up added', async () => {
    const r = await run('--records', recordsFile, '--day', '2026-11-02', '--wrap-up', '30', '--json');
    const body = JSON.parse(r.out);
    const general = body.queues.find((q: { queue: string }) => q.queue === 'pool:general');
    const nine = general.hours[9];
    expect(nine.ahtSeconds).toBe(180);
    const target = { targetServiceLevel: 0.8, withinSeconds: 15 };
    expect(nine.staffing.erlangC.agents).toBe(
      agentsByErlangC({ callsPerHour: 4, ahtSeconds: 180 }, target).agents,
    );
    expect(nine.staffing.erlangA.agents).toBe(
      agentsByErlangA({ callsPerHour: 4, ahtSeconds: 180, patienceSeconds: 59.5 }, target).agents,
    );
  });

  it('names the file and line of a record it cannot read', async () => {
    const bad = join(dir, 'bad.jsonl');
    writeFileSync(bad, `${JSON.stringify(staffingDay()[0])}\n{"type":"call-record"}\n`);
    const r = await run('--records', bad);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${bad}:2: not a call record`);
  });
});

describe('hotline staffing --merge-plan', () => {
  const volumes = join(root, 'routing-rules/examples/sichuan-volumes.yaml');

  it('shows the shipped Sichuan plan’s periods with the main pool growing on 10-16', async () => {
    const r = await run('--merge-plan', '--volumes', volumes, '--json');
    expect(r.code).toBe(0);
    const body = JSON.parse(r.out);
    const general = (p: { queues: { target: string; callsPerDay: number }[] }) =>
      p.queues.find((q) => q.target === 'pool:general')!.callsPerDay;
    expect(body.periods.map((p: { from?: string }) => p.from ?? null)).toEqual([
      null,
      '2021-04-01',
      '2021-06-01',
      '2021-10-01',
      '2021-10-16',
    ]);
    expect(general(body.periods[4])).toBeGreaterThan(general(body.periods[3]));
  });

  it('prints the overview and each period as tables', async () => {
    const r = await run('--merge-plan', '--volumes', volumes);
    expect(r.out).toContain('illustrative figures');
    expect(r.out).toContain('2021-06-01 – 2021-10-01 过渡期 transition window');
    expect(r.out).toContain('变化 change: l12319 department:housing → pool:general');
    expect(r.out).toContain('吉林标准 Jilin norm');
  });

  it('takes volumes on the command line by line number or id', async () => {
    const r = await run(
      '--merge-plan',
      '--calls-per-day',
      '12345=2400',
      '--calls-per-day',
      'l12319=240',
      '--aht',
      '200',
      '--json',
    );
    const last = JSON.parse(r.out).periods.at(-1);
    expect(last.queues[0]).toMatchObject({ target: 'pool:general' });
    expect(last.queues[0].callsPerDay).toBeCloseTo(2640, 6);
  });

  it('names the file and path of a bad volumes file, and the unknown line', async () => {
    const bad = join(dir, 'volumes.yaml');
    writeFileSync(bad, 'source: x\nahtSeconds: -3\nlines: {}\n');
    const r = await run('--merge-plan', '--volumes', bad);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`--volumes: ${bad}:ahtSeconds:`);
    const unknown = await run('--merge-plan', '--calls-per-day', '99999=10', '--aht', '200');
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('lines.99999: no line of the plan has this id or number');
  });
});

describe('hotline staffing --database', () => {
  it('reads the day from the records database’s hourly summary, as from the file for the same hours', async () => {
    const db = await createTestDatabase('hotline_staffing_cli');
    try {
      await migrate(db.sql);
      const stored = await new DatabaseTransport(db.sql).sendBatch(
        staffingDay().map((r, i) => ({
          id: `database:${r.idempotencyKey}:${i}`,
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
      expect((await run('--database', db.url)).err).toContain('--day is required with --database');
      const text = await run('--database', db.url, '--day', '2026-11-02');
      expect(text.err).toBe('');
      expect(text.out).toContain('give --patience for Erlang A');
      const nine = text.out
        .split('\n')
        .find((l) => l.startsWith('09:00'))!
        .split(/\s{2,}/);
      expect(nine.slice(0, 5)).toEqual(['09:00', '4', '150.0 s', '50.0%', '25.0%']);
      const fromDb = JSON.parse(
        (await run('--database', db.url, '--day', '2026-11-02', '--patience', '59.5', '--json')).out,
      );
      const fromFile = JSON.parse((await run('--records', recordsFile, '--day', '2026-11-02', '--json')).out);
      const hours = (body: { queues: { queue: string; hours: unknown[] }[] }) =>
        body.queues.find((q) => q.queue === 'pool:general')!.hours.slice(9, 11);
      expect(hours(fromDb)).toEqual(hours(fromFile));
    } finally {
      await db.drop();
    }
  }, 60_000);
});
