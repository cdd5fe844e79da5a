import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MemoryAppendLog } from '../../src/admin/append-log.ts';
import { readRulesFolder } from '../../src/admin/draft.ts';
import type { AuditEntry } from '../../src/admin/ledgers.ts';
import { RedisVersionStore } from '../../src/admin/redis-versions.ts';
import { RulesAdmin } from '../../src/admin/rules-admin.ts';
import { FileVersionStore, type VersionStore } from '../../src/admin/rules-versions.ts';
import { ManualClock } from '../../src/clock.ts';
import { createLogger } from '../../src/log.ts';
import { RulesInvalidError } from '../../src/plan/problems.ts';

const root = join(import.meta.dirname, '../..');
const shipped = join(root, 'routing-rules');
const logger = createLogger({ level: 'silent' });

/**
 * The rule `hotline serve` follows, on each kind of store: `--rules DIR` wins; without it the latest
 * published version is served if it loads here, else the folder, with a warning saying why.
 */
const stores: { name: string; make: () => Promise<{ store: VersionStore; done: () => Promise<void> }> }[] = [
  {
    name: 'a version folder',
    make: async () => {
      const dir = mkdtempSync(join(tmpdir(), 'hotline-versions-'));
      return {
        store: new FileVersionStore(dir, 50),
        done: async () => rmSync(dir, { recursive: true, force: true }),
      };
    },
  },
];
let redis: Redis | undefined;
if (process.env.REDIS_URL) {
  stores.push({
    name: 'Redis',
    make: async () => {
      const prefix = `test-precedence-${randomBytes(4).toString('hex')}`;
      const r = redis!;
      return {
        store: new RedisVersionStore(r, 'sichuan', prefix),
        done: async () => {
          const keys = await r.keys(`${prefix}:*`);
          if (keys.length > 0) await r.del(...keys);
        },
      };
    },
  });
}

beforeAll(() => {
  if (process.env.REDIS_URL) redis = new Redis(process.env.REDIS_URL, { maxRetriesPerRequest: 2 });
});
afterAll(async () => {
  await redis?.quit();
});

describe.each(stores)('which rules are served, with versions in $name', ({ make }) => {
  let dir: string;
  let store: VersionStore;
  let done: () => Promise<void>;
  const opened: RulesAdmin[] = [];
  const clock = new ManualClock(Date.parse('2026-11-30T08:00:00Z'));

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hotline-precedence-'));
    ({ store, done } = await make());
  });
  afterEach(async () => {
    for (const a of opened.splice(0)) await a.close();
    await done();
    rmSync(dir, { recursive: true, force: true });
  });
  const open = async (rulesDir: string, folderWins = false) => {
    const admin = await RulesAdmin.open({
      versions: store,
      rulesDir,
      folderWins,
      audit: new MemoryAppendLog<AuditEntry>(),
      clock,
      logger,
    });
    opened.push(admin);
    return admin;
  };
  /** The shipped plan copied to `dir/name` with its prompts beside it, main line renamed to `name`. */
  const copy = (name: string) => {
    const rules = join(dir, name, 'rules');
    cpSync(shipped, rules, { recursive: true, filter: (p) => !p.includes('examples') });
    cpSync(join(root, 'ivr-prompts'), join(dir, name, 'ivr-prompts'), { recursive: true });
    const lines = join(rules, 'lines.yaml');
    writeFileSync(lines, readFileSync(lines, 'utf8').replace('name: 12345政务服务便民热线', `name: ${name}`));
    return rules;
  };
  const mainLineName = (a: RulesAdmin) => [...a.plan.lines.values()].find((l) => l.number === '12345')?.name;

  it('seeds an empty store with the folder, recording the folder', async () => {
    const a = await open(shipped);
    expect(a.start).toEqual({
      line: 'serving rules from routing-rules, published as version 1',
      warnings: [],
    });
    expect(a.version).toMatchObject({ version: 1, author: 'system', rulesDir: shipped });
  });

  it('serves the latest published version over an edited folder, and warns that the folder differs', async () => {
    await store.append(0, {
      author: 'ops-admin',
      at: '2026-11-01T08:00:00.000Z',
      files: readRulesFolder(shipped),
    });
    const edited = copy('edited');
    const a = await open(edited);
    expect(a.start.line).toBe('serving rules version 1 published 2026-11-01T08:00:00.000Z by ops-admin');
    expect(a.start.warnings).toEqual([
      `the rules folder ${edited} differs from version 1 (lines.yaml), which is served; to serve the folder, start with --rules ${edited}`,
    ]);
    expect(mainLineName(a)).toBe('12345政务服务便民热线');
    expect(await store.latestNumber()).toBe(1);
  });

  it('serves an explicit folder over the published version: published once, then reused', async () => {
    await store.append(0, {
      author: 'ops-admin',
      at: '2026-11-01T08:00:00.000Z',
      files: readRulesFolder(shipped),
    });
    const edited = copy('edited');
    const a = await open(edited, true);
    expect(a.start).toEqual({ line: `serving rules from ${edited}, published as version 2`, warnings: [] });
    expect(mainLineName(a)).toBe('edited');
    expect(a.version).toMatchObject({ version: 2, author: 'system', rulesDir: edited });
    await a.close();
    opened.length = 0;

    const again = await open(edited, true);
    expect(again.start.line).toBe(
      `serving rules from ${edited}, the same as version 2 published ${a.version.at} by system`,
    );
    expect(await store.latestNumber()).toBe(2);
  });

  it('loads a version with the prompts of the folder it was published from, wherever the engine runs', async () => {
    // Published from a folder whose prompts sit beside it; this engine's folder has none beside it.
    const elsewhere = copy('elsewhere');
    const first = await open(elsewhere, true);
    const manifest = first.plan.promptDir;
    expect(manifest).toBe(join(dir, 'elsewhere', 'ivr-prompts'));
    await first.close();
    opened.length = 0;

    const engineFolder = join(dir, 'engine');
    cpSync(elsewhere, engineFolder, { recursive: true });
    const a = await open(engineFolder);
    expect(a.start.line).toMatch(/^serving rules version 1 published /);
    expect(a.plan.promptDir).toBe(manifest);
  });

  it('falls back to the folder, published as a new version, when the latest does not load here', async () => {
    // Published before versions recorded their folder, from a folder with its own prompts.
    const files = readRulesFolder(shipped);
    files['center.yaml'] = files['center.yaml']!.replace(
      'prompts: ../ivr-prompts/manifest.yaml',
      'prompts: own-prompts/manifest.yaml',
    );
    await store.append(0, { author: 'ops-admin', at: '2026-11-01T08:00:00.000Z', files });
    const a = await open(shipped);
    expect(a.start.line).toBe('serving rules from routing-rules, published as version 2');
    expect(a.start.warnings).toEqual([
      'the latest published rules version 1 does not load here (center.yaml:center.prompts: cannot read ' +
        'routing-rules/own-prompts/manifest.yaml (ENOENT)); serving the rules folder routing-rules instead',
    ]);
    expect(a.version).toMatchObject({ version: 2, author: 'system', rulesDir: shipped });
    expect(a.version.message).toMatch(/^republished from routing-rules: version 1 does not load here/);
  });

  it('refuses to start when neither the latest version nor the folder loads', async () => {
    const files = readRulesFolder(shipped);
    files['center.yaml'] = files['center.yaml']!.replace('prompts: ../ivr-prompts/', 'prompts: nowhere/');
    await store.append(0, { author: 'ops-admin', at: '2026-11-01T08:00:00.000Z', files });
    await expect(open(join(dir, 'missing'))).rejects.toBeInstanceOf(RulesInvalidError);
    expect(await store.latestNumber()).toBe(1);
  });
});
