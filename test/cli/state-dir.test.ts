import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readConfig } from '../../src/config.ts';
import { readRecordsConfig } from '../../src/records/sinks/config.ts';
import { ensureStateDirs, StateDirError, stateDirsInUse } from '../../src/state-dir.ts';

describe('the state directory', () => {
  it('holds everything the engine writes, var/ by default, each path overridable by its own variable', () => {
    const plain = readConfig({});
    expect(plain.HOTLINE_STATE_DIR).toBe('var');
    expect([
      plain.HOTLINE_RECORDS,
      plain.HOTLINE_RULES_VERSIONS,
      plain.HOTLINE_ACCESS_LEDGER,
      plain.HOTLINE_AUDIT_LOG,
    ]).toEqual(['var/records.jsonl', 'var/rules-versions', 'var/access-ledger.jsonl', 'var/audit.jsonl']);
    expect(readRecordsConfig({}).outbox.dir).toBe('var/records-outbox');

    const env = {
      HOTLINE_STATE_DIR: '/var/lib/hotline',
      HOTLINE_AUDIT_LOG: '/srv/audit/audit.jsonl',
      HOTLINE_RECORDS: '',
    };
    const moved = readConfig(env);
    expect(moved.HOTLINE_RECORDS).toBe('/var/lib/hotline/records.jsonl');
    expect(moved.HOTLINE_RULES_VERSIONS).toBe('/var/lib/hotline/rules-versions');
    expect(moved.HOTLINE_AUDIT_LOG).toBe('/srv/audit/audit.jsonl');
    const records = readRecordsConfig(env);
    expect([records.jsonlPath, records.outbox.dir]).toEqual([
      '/var/lib/hotline/records.jsonl',
      '/var/lib/hotline/records-outbox',
    ]);
  });

  it('is checked only where this engine writes: nothing on disk with Redis and a webhook through a Redis outbox', () => {
    const env = {
      HOTLINE_STATE_DIR: '/state',
      REDIS_URL: 'redis://127.0.0.1:6379',
      RECORDS_WEBHOOK_URL: 'https://tickets.example/records',
      RECORDS_WEBHOOK_SECRET: 'a-secret-of-enough-length',
    };
    expect(stateDirsInUse(readConfig(env), env)).toEqual([]);
    const fileOutbox = { ...env, RECORDS_OUTBOX: 'file' };
    expect(stateDirsInUse(readConfig(fileOutbox), fileOutbox)).toEqual([
      { dir: '/state', variable: 'HOTLINE_STATE_DIR' },
    ]);
    const own = { HOTLINE_STATE_DIR: 'here', HOTLINE_AUDIT_LOG: '/srv/audit/audit.jsonl' };
    expect(stateDirsInUse(readConfig(own), own)).toEqual([
      { dir: resolve('here'), variable: 'HOTLINE_STATE_DIR' },
      { dir: '/srv/audit', variable: 'HOTLINE_AUDIT_LOG' },
    ]);
  });

  describe('when it cannot be written', () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'hotline-state-'));
    });
    afterEach(() => {
      rmSync(dir, { recursive: true, force: true });
    });

    it('creates what is missing, and names the directory and the variable of one it cannot create', () => {
      ensureStateDirs([{ dir: join(dir, 'a/b'), variable: 'HOTLINE_STATE_DIR' }]);
      expect(existsSync(join(dir, 'a/b'))).toBe(true);
      // A file where the directory should be: refused whoever runs the test (root included).
      const blocked = join(dir, 'file');
      writeFileSync(blocked, '');
      expect(() =>
        ensureStateDirs([{ dir: join(blocked, 'versions'), variable: 'HOTLINE_RULES_VERSIONS' }]),
      ).toThrow(
        new StateDirError(
          `hotline serve cannot write to the directory of HOTLINE_RULES_VERSIONS ${join(blocked, 'versions')} (ENOTDIR): make it writable by the engine's user, or set HOTLINE_RULES_VERSIONS to a directory it can write`,
        ),
      );
    });
  });
});
