import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readRulesFolder } from '../../src/admin/draft.ts';
import { FileVersionStore } from '../../src/admin/rules-versions.ts';
import { root, type ServeProcess, serveEnv, startServe } from './serve-process.ts';

// Each case starts a real `hotline serve` (tsx, the simulator, the engine): slow on a busy machine.
const SLOW = 120_000;
const shipped = join(root, 'routing-rules');

describe('hotline serve: which rules it serves, and how it starts', () => {
  let dir: string;
  let running: ServeProcess[];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hotline-serve-'));
    running = [];
  });
  afterEach(async () => {
    await Promise.all(running.map((p) => p.stop()));
    rmSync(dir, { recursive: true, force: true });
  });
  const serve = (args: string[], env: Record<string, string> = {}) => {
    const p = startServe(args, serveEnv(dir, env));
    running.push(p);
    return p;
  };
  /** A copy of the shipped plan (without its examples) whose main line has another name. */
  const editedCopy = () => {
    const rules = join(dir, 'rules');
    cpSync(shipped, rules, { recursive: true, filter: (p) => !p.includes('examples') });
    const lines = join(rules, 'lines.yaml');
    const text = readFileSync(lines, 'utf8');
    expect(text).toContain('name: 12345政务服务便民热线');
    writeFileSync(lines, text.replace('name: 12345政务服务便民热线', 'name: 12345热线（已编辑）'));
    return rules;
  };

  it(
    'serves an explicit --rules folder over the published version, publishes it once, and says which',
    async () => {
      const store = new FileVersionStore(join(dir, 'versions', 'sichuan'));
      const v1 = await store.append(0, {
        author: 'ops-admin',
        at: '2026-11-01T08:00:00.000Z',
        rulesDir: shipped,
        files: readRulesFolder(shipped),
      });
      const rules = editedCopy();

      // Without --rules: the published version, and a warning that the folder differs.
      const plain = serve([], { HOTLINE_RULES: rules });
      expect(await plain.line(/^serving rules /)).toBe(
        `serving rules version 1 published ${v1.at} by ops-admin`,
      );
      expect(await plain.line(/^warning: the rules folder /)).toMatch(
        /differs from version 1 \(lines\.yaml\), which is served; to serve the folder, start with --rules /,
      );
      expect(await plain.stop()).toBe(0);
      expect(await store.latestNumber()).toBe(1);

      // --rules: the folder wins and becomes version 2, which records where it came from.
      const explicit = serve(['--rules', rules]);
      expect(await explicit.line(/^serving rules /)).toBe(
        `serving rules from ${rules}, published as version 2`,
      );
      await explicit.line(/^demo tokens for this run/);
      expect(await explicit.stop()).toBe(0);
      expect(await store.get(2)).toMatchObject({
        author: 'system',
        rulesDir: rules,
        files: readRulesFolder(rules),
      });

      // The same folder again: nothing new is published.
      const again = serve(['--rules', rules]);
      expect(await again.line(/^serving rules /)).toMatch(
        new RegExp(`^serving rules from ${rules}, the same as version 2 published \\S+ by system$`),
      );
      expect(await again.stop()).toBe(0);
      expect(await store.latestNumber()).toBe(2);
    },
    SLOW,
  );

  it(
    'falls back to the rules folder, with a warning, when the latest version does not load here, and serves',
    async () => {
      // Published before versions recorded their folder, with a prompts path that resolves nowhere.
      const files = readRulesFolder(shipped);
      files['center.yaml'] = files['center.yaml']!.replace(
        'prompts: ../ivr-prompts/manifest.yaml',
        'prompts: moved-away/manifest.yaml',
      );
      const store = new FileVersionStore(join(dir, 'versions', 'sichuan'));
      await store.append(0, { author: 'ops-admin', at: '2026-11-01T08:00:00.000Z', files });

      const p = serve([]);
      expect(await p.line(/^warning: the latest published/)).toMatch(
        /^warning: the latest published rules version 1 does not load here \(center\.yaml:center\.prompts: cannot read .*moved-away\/manifest\.yaml \(ENOENT\)\); serving the rules folder routing-rules instead$/,
      );
      expect(await p.line(/^serving rules /)).toBe(
        'serving rules from routing-rules, published as version 2',
      );
      await p.line(/^demo tokens for this run/);
      expect(await p.stop()).toBe(0);
      expect(await store.get(2)).toMatchObject({ author: 'system', rulesDir: shipped });
    },
    SLOW,
  );

  it(
    'ends at once with the problems and exit 1 when the rules it must serve do not load (no hang)',
    async () => {
      const p = serve(['--rules', join(dir, 'no-such-folder')]);
      expect(await p.exited).toBe(1);
      expect(p.err).toEqual([`${join(dir, 'no-such-folder')}: cannot read the rules folder (ENOENT)`]);
    },
    SLOW,
  );

  it(
    'prints one line and exits 1 when the HTTP port is in use',
    async () => {
      const blocker: Server = createServer();
      await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
      const port = (blocker.address() as { port: number }).port;
      try {
        const p = serve([], { HTTP_PORT: String(port) });
        expect(await p.exited).toBe(1);
        expect(p.err).toEqual([
          `port ${port} on 127.0.0.1 is in use: set HTTP_PORT or stop the other process`,
        ]);
        expect([...p.out, ...p.err].join('\n')).not.toMatch(/EADDRINUSE|\n\s+at /);
      } finally {
        await new Promise((r) => blocker.close(r));
      }
    },
    SLOW,
  );
});
