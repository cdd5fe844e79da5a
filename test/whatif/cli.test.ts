import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import type { WhatIfComparison } from '../../src/whatif/comparison.ts';
import { record } from './records.ts';

const tmp = mkdtempSync(join(tmpdir(), 'hotline-whatif-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function hotline(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const sichuan = [
  'whatif',
  '--rules',
  'routing-rules',
  '--shift-phases',
  'dual-number:-7',
  '--date',
  '2021-10-12',
];

describe('hotline whatif', () => {
  it('prints the live rules and the draft side by side for the Sichuan plan with the dual-number lines a week earlier', async () => {
    const r = await hotline(...sichuan, '--calls', '400');
    expect(r.code).toBe(0);
    expect(r.out).toContain('试算：现行规则 与 草案（dual-number 阶段日期 -7 天）');
    expect(r.out).toContain('2021-10-12，400 通来电');
    expect(r.out).toMatch(/坐席池 12345综合受理座席/);
    expect(r.out).toMatch(/部门原号码 legal\s+\d+\s+0\s+-\d+/);
    expect(r.out).toContain('各线路到人工时间');
  });

  it('writes the comparison as JSON with --json', async () => {
    const r = await hotline(...sichuan, '--calls', '300', '--json');
    expect(r.code).toBe(0);
    const c = JSON.parse(r.out) as WhatIfComparison;
    expect(c.calls).toBe(300);
    expect(c.date).toBe('2021-10-12');
    expect(c.serviceLevelSeconds).toBe(15);
    expect(c.targets.find((t) => t.kind === 'expert' && t.id === 'legal')!.live).toBe(0);
  });

  it('replays a records file on the day asked, with the agents of a roster', async () => {
    const records = join(tmp, 'records.jsonl');
    const lines = [
      ...Array.from({ length: 30 }, (_, i) =>
        record({
          at: `2024-03-04T09:${String(i).padStart(2, '0')}`,
          dialed: '12348',
          disposition: 'answered',
          talkSeconds: 120,
        }),
      ),
      { type: 'call-event', note: 'skipped' },
    ];
    writeFileSync(records, lines.map((l) => JSON.stringify(l)).join('\n'));
    const roster = join(tmp, 'roster.yaml');
    writeFileSync(
      roster,
      'agents:\n  - { id: a1, name: 甲, skills: { legal: 5 }, expertSeats: [legal], pools: [general] }\n',
    );
    const r = await hotline(...sichuan, '--traffic', records, '--agents', roster, '--json');
    expect(r.err).toBe('');
    const c = JSON.parse(r.out) as WhatIfComparison;
    expect(c.traffic).toBe('records');
    expect(c.agents).toMatchObject({ count: 1, source: 'roster' });
    expect(c.targets.find((t) => t.kind === 'department' && t.id === 'legal')).toMatchObject({
      live: 30,
      draft: 0,
    });
    expect(c.pools.find((p) => p.id === 'legal')!.draft!.offered).toBe(30);
  });

  it('reads a traffic profile file', async () => {
    const profile = join(tmp, 'profile.yaml');
    writeFileSync(
      profile,
      'date: 2021-10-12\nlines:\n  - { number: "12345", calls: 50 }\n  - { number: "12333", calls: 50 }\n',
    );
    const r = await hotline(
      'whatif',
      '--rules',
      'routing-rules',
      '--shift-phases',
      'dual-number:-7',
      '--traffic',
      profile,
      '--json',
    );
    expect(r.code).toBe(0);
    expect((JSON.parse(r.out) as WhatIfComparison).calls).toBe(100);
  });

  it('says what is wrong with its input', async () => {
    expect((await hotline(...sichuan)).code).toBe(2);
    expect(
      (await hotline(...sichuan.slice(0, 3), '--shift-phases', 'dual:-7', '--calls', '10')).err,
    ).toContain('"dual" is not a merge mode');
    const missing = await hotline(...sichuan, '--traffic', join(tmp, 'none.jsonl'));
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('none.jsonl: no such file');
    const bad = join(tmp, 'bad.yaml');
    writeFileSync(bad, 'lines:\n  - { number: "12345", share: 1 }\n');
    const r = await hotline(...sichuan, '--traffic', bad);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/bad\.yaml.*calls/);
  });
});
