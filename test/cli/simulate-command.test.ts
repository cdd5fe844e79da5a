import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../..');

describe('hotline simulate', () => {
  it('runs a seeded load through the engine and ends with one JSON summary, every call recorded, nothing leaked', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hotline-sim-'));
    const records = join(dir, 'records.jsonl');
    try {
      const r = spawnSync(
        process.execPath,
        [
          join(root, 'bin/hotline.js'),
          'simulate',
          '--calls',
          '80',
          '--agents',
          '15',
          '--rate',
          '1',
          '--speed',
          '60',
          '--seed',
          '7',
          '--records',
          records,
        ],
        { cwd: root, encoding: 'utf8', timeout: 120_000, env: { ...process.env, LOG_LEVEL: 'debug' } },
      );
      expect(r.status, r.stderr).toBe(0);
      const lines = r.stdout.trim().split('\n');
      expect(lines).toHaveLength(1);
      const summary = JSON.parse(lines[0]!);
      expect(Object.keys(summary)).toEqual([
        'offered',
        'answered',
        'abandoned',
        'ticketed',
        'transferred',
        'deregisteredNotices',
        'asa_ms',
        'serviceLevel15s',
        'leakedChannels',
        'leakedBridges',
        'records',
      ]);
      expect(summary.offered).toBe(80);
      expect(summary.records).toBe(80);
      expect(summary.leakedChannels).toBe(0);
      expect(summary.leakedBridges).toBe(0);
      expect(summary.answered).toBeGreaterThan(40);
      expect(summary.deregisteredNotices).toBeGreaterThan(0);
      const written = readFileSync(records, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(new Set(written.map((w) => w.callId)).size).toBe(80);
      expect(r.stderr).toMatch(/simulate: \d+\/80 offered/);
      // Every log line of the run, at debug level: none carries a caller's full number.
      expect(r.stderr).toMatch(/"level":20/);
      expect(r.stderr).not.toMatch(/1[3-9]\d{9}/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 150_000);
});
