import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { MemoryAcdStore } from '../../src/acd/store/memory.ts';
import { MemoryAppendLog } from '../../src/admin/append-log.ts';
import type { AuditEntry } from '../../src/admin/ledgers.ts';
import { RosterAdmin, type RosterTarget } from '../../src/admin/roster-admin.ts';
import type { AdminAgent } from '../../src/admin/roster-edits.ts';
import { FileRosterStore, type RosterEditStore, RosterStoreError } from '../../src/admin/roster-store.ts';
import { ManualClock } from '../../src/clock.ts';
import { createLogger } from '../../src/log.ts';
import { RedisRosterStore } from '../../src/redis/roster-store.ts';
import type { RosterEntry } from '../../src/roster.ts';
import { plans } from '../support/engine-harness.ts';
import { testRedisUrl } from '../support/redis.ts';

const agent = (id: string, over: Partial<AdminAgent> = {}): AdminAgent => ({
  id,
  name: `坐席${id}`,
  endpoint: `PJSIP/agent${id}`,
  skills: { general: 5 },
  pools: ['general'],
  expertSeats: [],
  disabled: false,
  ...over,
});

const dirs: string[] = [];
const conns: Redis[] = [];
afterEach(() => {
  for (const c of conns.splice(0)) c.disconnect();
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'hotline-roster-store-'));
  dirs.push(d);
  return d;
}

function redis(): Redis {
  const c = new Redis(testRedisUrl());
  conns.push(c);
  return c;
}

const center = () => `roster-${process.pid}-${Math.random().toString(36).slice(2)}`;

const stores: [string, () => { open: () => RosterEditStore }][] = [
  [
    'the JSON file (no Redis)',
    () => {
      const path = join(tempDir(), 'state', 'roster-edits.json');
      return { open: () => new FileRosterStore(path) };
    },
  ],
  [
    'Redis',
    () => {
      const centerId = center();
      return { open: () => new RedisRosterStore({ redis: redis(), centerId, keyPrefix: 'hotline-test' }) };
    },
  ],
];

describe.each(stores)('the roster edits kept in %s', (_name, make) => {
  it('starts empty at version 0', async () => {
    const store = make().open();
    expect(await store.load()).toEqual({ version: 0, agents: [] });
    expect(await store.version()).toBe(0);
  });

  it('keeps each agent whole, replaces it by id, and counts every change', async () => {
    const where = make();
    const store = where.open();
    expect(await store.save(agent('2001'))).toBe(1);
    expect(await store.save(agent('2002', { expertSeats: ['legal'], department: '司法厅' }))).toBe(2);
    expect(await store.save(agent('2001', { disabled: true, skills: { general: 9 } }))).toBe(3);
    // Another process (or the service after a restart) reads the same.
    const again = where.open();
    expect(await again.version()).toBe(3);
    const { agents } = await again.load();
    expect(agents.map((a) => a.id).sort()).toEqual(['2001', '2002']);
    expect(agents.find((a) => a.id === '2001')).toEqual(
      agent('2001', { disabled: true, skills: { general: 9 } }),
    );
    expect(agents.find((a) => a.id === '2002')).toMatchObject({
      expertSeats: ['legal'],
      department: '司法厅',
    });
  });

  it('loses no change when several are made at once', async () => {
    const store = make().open();
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.save(agent(`${3000 + i}`))));
    const { version, agents } = await store.load();
    expect(version).toBe(20);
    expect(agents).toHaveLength(20);
  });
});

describe('the roster edits file', () => {
  it('is replaced whole through a temporary file: no temporary file is left, and only its owner reads it', async () => {
    const dir = tempDir();
    const path = join(dir, 'roster-edits.json');
    const store = new FileRosterStore(path);
    await store.save(agent('2001'));
    await store.save(agent('2002'));
    expect(readdirSync(dir)).toEqual(['roster-edits.json']);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({ version: 2 });
  });

  it('refuses to start on a file that is not what it wrote, naming the file and the field', async () => {
    const dir = tempDir();
    const path = join(dir, 'roster-edits.json');
    writeFileSync(path, '{"version": 1, "agents": [{"id": "x"}]');
    await expect(new FileRosterStore(path).load()).rejects.toThrow(RosterStoreError);
    writeFileSync(path, JSON.stringify({ version: 1, agents: [{ ...agent('2001'), pools: 'general' }] }));
    await expect(new FileRosterStore(path).load()).rejects.toThrow(`${path}: agents.0.pools`);
  });
});

describe('several engine processes on one Redis', () => {
  const baseline: RosterEntry[] = [
    { id: 'a1001', name: '王敏', endpoint: 'PJSIP/agent1001', pools: ['general'] },
  ];

  /** One process: its own ACD view and roster administration over the shared Redis edits. */
  async function engineProcess(centerId: string) {
    const clock = new ManualClock(Date.parse('2026-03-02T02:00:00Z'));
    const acd = new MemoryAcdStore({ centerId: 'sichuan', clock });
    const declared: { roster: RosterEntry[]; disabled: string[] }[] = [];
    const target: RosterTarget = {
      store: acd,
      async setRoster(roster, disabled) {
        declared.push({ roster, disabled: [...disabled] });
      },
    };
    const audit = new MemoryAppendLog<AuditEntry>();
    const admin = await RosterAdmin.open({
      baseline,
      store: new RedisRosterStore({ redis: redis(), centerId, keyPrefix: 'hotline-test' }),
      audit,
      plan: plans.sichuan,
      clock,
      logger: createLogger({ level: 'silent' }),
    });
    await admin.attach(target);
    return { admin, declared, audit, clock };
  }

  it("applies another process's change on its next look, without writing it to the audit log twice", async () => {
    const centerId = center();
    const a = await engineProcess(centerId);
    const b = await engineProcess(centerId);
    const who = { tokenId: 'ops-admin', role: 'admin' as const };
    await a.admin.add(who, {
      id: 'a2001',
      name: '张华',
      endpoint: 'PJSIP/agent2001',
      skills: { general: 5 },
      pools: ['general'],
      expertSeats: [],
    });
    await a.admin.disable(who, 'a1001');
    expect(b.admin.agent('a2001')).toBeUndefined();
    expect(await b.admin.refresh()).toBe(true);
    expect(b.admin.agent('a2001')).toMatchObject({ name: '张华' });
    expect(b.declared.at(-1)!.roster.map((r) => r.id)).toEqual(['a1001', 'a2001']);
    expect(b.declared.at(-1)!.disabled).toEqual(['a1001']);
    expect(await b.admin.refresh()).toBe(false);
    expect(a.audit.entries).toHaveLength(2);
    expect(b.audit.entries).toHaveLength(0);
    // A process started later has the edits from the start.
    const c = await engineProcess(centerId);
    expect(c.admin.engineRoster().disabled).toEqual(new Set(['a1001']));
    for (const p of [a, b, c]) p.admin.close();
  });

  it('looks for changes on its own every few seconds once watching', async () => {
    const centerId = center();
    const a = await engineProcess(centerId);
    const b = await engineProcess(centerId);
    b.admin.watch(5_000);
    await a.admin.disable({ tokenId: 'ops-admin', role: 'admin' }, 'a1001');
    const before = b.declared.length;
    b.clock.advance(5_000);
    await expect.poll(() => b.declared.length, { timeout: 5_000, interval: 10 }).toBe(before + 1);
    expect(b.declared.at(-1)!.disabled).toEqual(['a1001']);
    a.admin.close();
    b.admin.close();
  });
});
