import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DraftTooComplexError, readRulesFolder } from '../../src/admin/draft.ts';
import { DraftPool, draftBudget } from '../../src/admin/draft-pool.ts';
import { type AdminRig, rulesDir, startAdminRig } from '../admin/admin-rig.ts';

const shipped = readRulesFolder(rulesDir);

/**
 * A draft within every YAML bound that is still costly to compile: 30,000 flow mappings in one
 * list (some seconds of parsing and checking, and more heap than a small worker has).
 */
const costly = {
  ...shipped,
  'costly.yaml': `lines: [${Array.from({ length: 30_000 }, (_, i) => `{a: ${i}}`).join(', ')}]\n`,
};

const task = (files: Record<string, string>) => ({ files, bases: [rulesDir], now: Date.now() });

describe('drafts compile off the main thread', () => {
  let a: AdminRig;
  beforeAll(async () => {
    // A time budget a busy test machine cannot exhaust with the shipped rules (the service's 5 s
    // can be, with both cores taken): the point here is the main thread, not the budget (below).
    a = await startAdminRig({ draftBudget: { ...draftBudget, timeMs: 20_000 } });
  });
  afterAll(async () => {
    await a.close();
  });

  it('answers /health while a costly draft compiles, before the draft is answered', async () => {
    let answered = false;
    const draft = a
      .as('admin', { method: 'POST', url: '/rules/explain', payload: { number: '12345', files: costly } })
      .then((res) => {
        answered = true;
        return res;
      });
    for (let i = 0; i < 3; i++) {
      const health = await a.api.inject({ method: 'GET', url: '/health' });
      expect(health.statusCode).toBe(200);
      expect(answered).toBe(false);
    }
    const res = await draft;
    // Either its problems or, on a slow machine, the time budget: never a 5xx.
    expect([200, 422]).toContain(res.statusCode);
    if (res.statusCode === 422 && res.json().error === 'draft-too-complex')
      expect(res.json().limit).toBe('time');
    // And the engine goes on: the shipped rules still explain as a draft.
    const next = await a.as('admin', {
      method: 'POST',
      url: '/rules/explain',
      payload: { number: '12345', files: shipped },
    });
    expect(next.statusCode).toBe(200);
    expect(next.json().against).toBe('draft');
  }, 60_000);
});

describe('the draft pool budgets', () => {
  it('refuses a draft over its time budget naming "time", and compiles the next one in a fresh worker', async () => {
    const pool = new DraftPool({ timeMs: 300, memoryMb: 256, threads: 1, queue: 4 });
    try {
      await expect(pool.compile(task(costly))).rejects.toSatisfy(
        (err) => err instanceof DraftTooComplexError && err.limit === 'time' && err.statusCode === 422,
      );
      // The next draft (with room to spare on a busy machine) runs in a fresh worker.
      const next = await pool.compile(task(shipped), 60_000);
      expect(next.ok).toBe(true);
    } finally {
      await pool.close();
    }
  }, 60_000);

  it('refuses a draft over its memory budget naming "memory", and compiles the next one in a fresh worker', async () => {
    const pool = new DraftPool({ timeMs: 120_000, memoryMb: 48, threads: 1, queue: 4 });
    try {
      await expect(pool.compile(task(costly))).rejects.toSatisfy(
        (err) => err instanceof DraftTooComplexError && err.limit === 'memory',
      );
      const next = await pool.compile(task(shipped));
      expect(next.ok).toBe(true);
      // The plan comes back whole and immutable, as when compiled on the main thread.
      if (next.ok) {
        expect(next.plan.lines.size).toBeGreaterThan(0);
        expect(Object.isFrozen(next.plan.lines.values().next().value)).toBe(true);
      }
    } finally {
      await pool.close();
    }
  }, 150_000);
});
