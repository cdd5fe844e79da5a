import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WhatIfAuditEntry } from '../../src/admin/ledgers.ts';
import { WhatIfRunner, WhatIfTooLargeError } from '../../src/api/whatif-runner.ts';
import { CallRecord } from '../../src/records/schema.ts';
import type { PoolRow, WhatIfComparison } from '../../src/whatif/comparison.ts';
import { type AdminRig, startAdminRig } from '../admin/admin-rig.ts';

type WhatIfReply = WhatIfComparison & { liveVersion: number; trafficNote?: string };

let a: AdminRig;
let withRecords: AdminRig;
let dir: string;

/** A small synthetic day, so that each what-if takes well under a second of replay. */
const day = { traffic: 'profile', date: '2026-11-02', calls: 300 } as const;

const whatIf = (rig: AdminRig, body: unknown, who: 'admin' | 'supervisor' | 'a1001' = 'admin') =>
  rig.as(who, { method: 'POST', url: '/rules/whatif', payload: body as Record<string, unknown> });

function draftWith(file: string, from: string, to: string): Record<string, string> {
  const files = { ...a.rules.version.files };
  expect(files[file]).toContain(from);
  files[file] = files[file]!.replaceAll(from, to);
  return files;
}

const pool = (r: WhatIfReply, id: string): PoolRow => {
  const row = r.pools.find((p) => p.id === id);
  expect(row, `pool ${id} in ${r.pools.map((p) => p.id).join(', ')}`).toBeDefined();
  return row!;
};

/** A call record of a call to 12345 answered by an agent, as the engine's JSONL sink writes it. */
function record(n: number, local: string): CallRecord {
  const at = Date.parse(`${local}+08:00`);
  const iso = (s: number) => new Date(at + s * 1000).toISOString();
  return CallRecord.parse({
    type: 'call-record',
    version: 2,
    callId: `r${n}`,
    idempotencyKey: `r${n}:record`,
    dialed: '12345',
    line: { id: 'hotline-12345', name: '12345政务服务便民热线', mode: 'main', topic: 'general' },
    phase: { id: 'steady', kind: 'merged' },
    callerMasked: '138******00',
    times: {
      arrivedAt: iso(0),
      queueEnteredAt: iso(8),
      queueLeftAt: iso(12),
      agentAnsweredAt: iso(12),
      endedAt: iso(132),
    },
    durationSeconds: 132,
    waitSeconds: 4,
    talkSeconds: 120,
    ivrPath: [],
    prompts: ['welcome-12345'],
    queue: { kind: 'pool', id: 'general', skill: 'general', priority: 0 },
    pool: 'general',
    overflows: [],
    agentId: 'a1001',
    offers: [],
    transfers: [],
    disposition: 'answered',
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hotline-whatif-api-'));
  const recordsPath = join(dir, 'records.jsonl');
  const lines = Array.from({ length: 40 }, (_, n) =>
    JSON.stringify(
      record(
        n,
        `2026-11-02T${String(8 + Math.floor(n / 4)).padStart(2, '0')}:${String((n % 4) * 15).padStart(2, '0')}:00`,
      ),
    ),
  );
  writeFileSync(recordsPath, `${lines.join('\n')}\n{"type":"live-event","torn`, 'utf8');
  a = await startAdminRig();
  withRecords = await startAdminRig({ recordsPath });
}, 60_000);

afterAll(async () => {
  await a?.close();
  await withRecords?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('POST /rules/whatif', () => {
  it('shows a draft with ten minutes of wrap-up in the general pool as worse than the live rules', async () => {
    const files = draftWith('targets.yaml', 'wrapUpSeconds: 15', 'wrapUpSeconds: 600');
    const res = await whatIf(a, { files, ...day });
    expect(res.statusCode, res.body).toBe(200);
    const r = res.json() as WhatIfReply;
    expect(r).toMatchObject({ date: '2026-11-02', calls: 300, traffic: 'profile', liveVersion: 1 });
    // The rig's roster: two agents of the general pool, in both runs.
    expect(r.agents).toMatchObject({ count: 2, source: 'roster' });
    const general = pool(r, 'general');
    expect(general.live!.offered).toBe(general.draft!.offered);
    expect(general.draft!.serviceLevel!).toBeLessThan(general.live!.serviceLevel!);
    expect(general.draft!.abandonRate!).toBeGreaterThan(general.live!.abandonRate!);
    expect(general.draft!.occupancy!).toBeGreaterThan(general.live!.occupancy!);
    expect(r.totals.draft.answered).toBeLessThan(r.totals.live.answered);
    // Per line and per target, both columns.
    const main = r.lines.find((l) => l.number === '12345')!;
    expect(main.live!.calls).toBe(main.draft!.calls);
    expect(r.targets.find((t) => t.kind === 'pool' && t.id === 'general')!.live).toBeGreaterThan(0);
    // Targets carry the names the rules give them.
    const customs = r.targets.find((t) => t.kind === 'subcenter' && t.id === 'customs') as { name?: string };
    expect(customs.name).toBe('成都海关12360分中心');
  }, 60_000);

  it('shows an earlier overflow from the expert seats as fewer callers abandoning there', async () => {
    const files = draftWith('targets.yaml', 'overflowAfterSeconds: 60', 'overflowAfterSeconds: 5');
    const res = await whatIf(a, { files, ...day, calls: 600 }, 'supervisor');
    expect(res.statusCode, res.body).toBe(200);
    const r = res.json() as WhatIfReply;
    const experts = r.pools.filter((p) => p.kind === 'expert' && (p.live?.offered ?? 0) > 0);
    expect(experts.length).toBeGreaterThan(0);
    const abandoned = (side: 'live' | 'draft') => experts.reduce((n, p) => n + p[side]!.abandoned, 0);
    const overflowed = (side: 'live' | 'draft') => experts.reduce((n, p) => n + p[side]!.overflowed, 0);
    expect(abandoned('draft')).toBeLessThan(abandoned('live'));
    expect(overflowed('draft')).toBeGreaterThan(overflowed('live'));
  }, 60_000);

  it('writes each what-if to the audit log: who, against which version, on what traffic', async () => {
    const entries = a.audit.entries.filter((e): e is WhatIfAuditEntry => e.action === 'rules-whatif');
    expect(entries.map((e) => [e.tokenId, e.role, e.outcome])).toEqual([
      ['ops-admin', 'admin', 'done'],
      ['duty-supervisor', 'supervisor', 'done'],
    ]);
    expect(entries[0]).toMatchObject({
      liveVersion: 1,
      traffic: { asked: 'profile', replayed: { source: 'profile', date: '2026-11-02', calls: 300 } },
      changes: [{ file: 'targets.yaml', status: 'changed', added: 1, removed: 1 }],
    });
  });

  it('refuses a draft with a mistake, naming its file and path', async () => {
    const files = draftWith('targets.yaml', 'wrapUpSeconds: 15', 'wrapUpSeconds: soon');
    const res = await whatIf(a, { files, ...day });
    expect(res.statusCode).toBe(422);
    const body = res.json() as { error: string; problems: { file: string; path: string }[] };
    expect(body.error).toBe('rules-invalid');
    expect(body.problems).toContainEqual(
      expect.objectContaining({ file: 'targets.yaml', path: 'pools[0].queue.wrapUpSeconds' }),
    );
    const failed = a.audit.entries.filter((e) => e.action === 'rules-whatif').at(-1) as WhatIfAuditEntry;
    expect(failed).toMatchObject({ outcome: 'failed' });
  });

  it('refuses a malformed request with 400 naming the field', async () => {
    const bad = await whatIf(a, { files: { 'lines.txt': 'x' }, ...day });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: 'invalid-request' });
    expect(bad.json().field).toMatch(/^body\.files/);
    const tooMany = await whatIf(a, { files: a.rules.version.files, ...day, calls: 1_000_000 });
    expect(tooMany.statusCode).toBe(400);
    expect(tooMany.json()).toMatchObject({ field: 'body.calls' });
  });

  it('runs one what-if at a time: a second one meanwhile is refused with 409, and runs after', async () => {
    const files = a.rules.version.files;
    const [first, second] = await Promise.all([whatIf(a, { files, ...day }), whatIf(a, { files, ...day })]);
    const codes = [first.statusCode, second.statusCode].sort();
    expect(codes).toEqual([200, 409]);
    const refused = first.statusCode === 409 ? first : second;
    expect(refused.json()).toMatchObject({ error: 'whatif-in-progress' });
    expect(refused.json().message).toMatch(/still running \(one at a time\)/);
    const after = await whatIf(a, { files, ...day });
    expect(after.statusCode).toBe(200);
  }, 60_000);

  it('replays the agents of the live roster, without those an administrator disabled', async () => {
    const disabled = await a.as('admin', { method: 'POST', url: '/roster/agents/a1002/disable' });
    expect(disabled.statusCode, disabled.body).toBe(200);
    try {
      const res = await whatIf(a, { files: a.rules.version.files, ...day, calls: 50 });
      expect(res.statusCode, res.body).toBe(200);
      expect((res.json() as WhatIfReply).agents).toMatchObject({ count: 1, source: 'roster' });
    } finally {
      await a.as('admin', { method: 'POST', url: '/roster/agents/a1002/enable' });
    }
  }, 60_000);

  it('is for administrators and supervisors, not agents', async () => {
    const res = await whatIf(a, { files: a.rules.version.files, ...day }, 'a1001');
    expect(res.statusCode).toBe(403);
  });

  it("replays the engine's own recent records when it keeps them, and says when it has none", async () => {
    const recent = await whatIf(withRecords, { files: withRecords.rules.version.files, traffic: 'recent' });
    expect(recent.statusCode, recent.body).toBe(200);
    const r = recent.json() as WhatIfReply;
    expect(r).toMatchObject({ traffic: 'records', date: '2026-11-02', calls: 40 });
    expect(r.trafficNote).toBeUndefined();
    // Unchanged rules: both columns alike.
    expect(pool(r, 'general').draft).toEqual(pool(r, 'general').live);

    const none = await whatIf(a, {
      files: a.rules.version.files,
      traffic: 'recent',
      date: '2026-11-02',
      calls: 50,
    });
    expect(none.statusCode, none.body).toBe(200);
    expect(none.json()).toMatchObject({ traffic: 'profile', calls: 50 });
    expect((none.json() as WhatIfReply).trafficNote).toMatch(/synthetic day/);
  }, 60_000);
});

describe('the what-if worker', () => {
  it('stops a what-if over its time budget and says which limit it exceeded', async () => {
    const runner = new WhatIfRunner({ timeMs: 300, memoryMb: 256 });
    try {
      const run = runner.run({
        live: a.rules.plan,
        draft: a.rules.plan,
        now: Date.parse('2026-11-02T00:00:00+08:00'),
        traffic: { source: 'profile', date: '2026-11-02', calls: 50_000 },
      });
      const err = await run.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(WhatIfTooLargeError);
      expect(err).toMatchObject({ code: 'whatif-too-large', limit: 'time', statusCode: 422 });
    } finally {
      await runner.close();
    }
  }, 60_000);
});
