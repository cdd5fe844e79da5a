import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../..');

describe('a fault-free hotline simulate', () => {
  it('logs no "PBX refused a command": a command that loses a race with a hang-up is expected, not a refusal', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hotline-quiet-'));
    try {
      // 400 calls of the default mix (menus, transfers, agents hanging up first) gave 32 such
      // warnings before: removing or adding a channel that had just hung up (400 Channel not found).
      const r = spawnSync(
        process.execPath,
        [
          join(root, 'bin/hotline.js'),
          'simulate',
          '--calls',
          '400',
          '--seed',
          '7',
          '--records',
          join(dir, 'records.jsonl'),
        ],
        { cwd: root, encoding: 'utf8', timeout: 240_000, env: { ...process.env, LOG_LEVEL: 'warn' } },
      );
      expect(r.status, r.stderr.slice(-2000)).toBe(0);
      const summary = JSON.parse(r.stdout.trim());
      expect(summary).toMatchObject({ offered: 400, records: 400, leakedChannels: 0, leakedBridges: 0 });
      const warnings = r.stderr
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { level: number; msg: string; command?: string; status?: number });
      const refused = warnings.filter((w) => w.msg === 'PBX refused a command');
      expect(refused.map((w) => `${w.command} ${w.status}`)).toEqual([]);
      expect(warnings.filter((w) => w.msg.startsWith('reconciliation'))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
