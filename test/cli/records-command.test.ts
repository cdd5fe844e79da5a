import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileOutbox } from '../../src/records/sinks/file-outbox.ts';
import { root } from './serve-process.ts';

// Each case runs the real `hotline records` (tsx start-up): slow on a busy machine.
const SLOW = 240_000;
const isRoot = process.getuid?.() === 0;

interface Run {
  code: number | null;
  out: string[];
  err: string[];
}

/** Runs `hotline records ARGS` with the file outbox in `dir` (optionally as `nobody`). */
function records(args: string[], env: Record<string, string>, asNobody = false): Promise<Run> {
  const clean: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(clean)) if (/^(REDIS_URL|RECORDS_|HOTLINE_)/.test(k)) delete clean[k];
  const argv = [join(root, 'bin/hotline.js'), 'records', ...args];
  const child = asNobody
    ? spawn(
        'setpriv',
        ['--reuid=65534', '--regid=65534', '--clear-groups', '--', process.execPath, ...argv],
        {
          cwd: root,
          env: { ...clean, ...env },
        },
      )
    : spawn(process.execPath, argv, { cwd: root, env: { ...clean, ...env } });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const lines = (s: string) => s.split('\n').filter(Boolean);
  return new Promise((resolve) =>
    child.on('close', (code) => resolve({ code, out: lines(out), err: lines(err) })),
  );
}

const message = (n: number) => ({
  id: `webhook:c${n}:record`,
  destination: 'webhook',
  kind: 'call-record' as const,
  callId: `c${n}`,
  idempotencyKey: `c${n}:record`,
  body: `{"n":${n}}`,
  createdAt: 1_000 + n,
});

describe('hotline records, beside the engine that owns the file outbox', () => {
  let dir: string;
  let outboxDir: string;
  let env: Record<string, string>;
  let held: FileOutbox | undefined;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hotline-records-cli-'));
    chmodSync(dir, 0o755);
    outboxDir = join(dir, 'records-outbox');
    // The engine's settings: the outbox in the state directory (file outbox: no Redis).
    env = { HOTLINE_STATE_DIR: dir, RECORDS_OUTBOX: 'file' };
    held = undefined;
  });
  afterEach(async () => {
    await held?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The outbox as a running engine holds it: two dead letters and one record still pending. */
  const holdOutbox = async () => {
    const outbox = await FileOutbox.open({ dir: outboxDir });
    held = outbox;
    await outbox.add([message(1), message(2), message(3)]);
    for (const entry of await outbox.claim(10_000, 2))
      await outbox.bury(entry, 'HTTP 400', 5_000 + entry.createdAt);
    return outbox;
  };

  it(
    'shows the status and the dead letters while the engine runs, and refuses replay with one line',
    async () => {
      const outbox = await holdOutbox();
      const journal = readFileSync(join(outboxDir, 'outbox.jsonl'), 'utf8');
      const [status, json, dead, replay] = await Promise.all([
        records(['status'], env),
        records(['status', '--json'], env),
        records(['dead-letters', '--json'], env),
        records(['replay'], env),
      ]);
      expect(status).toEqual({ code: 0, out: ['1 pending, 2 dead-lettered'], err: [] });
      expect(JSON.parse(json.out.join('\n'))).toEqual({ pending: 1, dead: 2 });
      expect(dead.code).toBe(0);
      expect(
        (JSON.parse(dead.out.join('\n')) as { id: string; lastError: string }[]).map((d) => [
          d.id,
          d.lastError,
        ]),
      ).toEqual([
        ['webhook:c1:record', 'HTTP 400'],
        ['webhook:c2:record', 'HTTP 400'],
      ]);
      expect(replay).toEqual({
        code: 1,
        out: [],
        err: [
          `records: the outbox ${outboxDir} is in use by process ${process.pid}; replay changes the outbox: stop the engine first (status and dead-letters work while it runs)`,
        ],
      });
      // The engine's outbox is as it was, still its own, and still works.
      expect(readFileSync(join(outboxDir, 'outbox.jsonl'), 'utf8')).toBe(journal);
      expect(readFileSync(join(outboxDir, 'outbox.lock'), 'utf8')).toBe(`${process.pid}@${hostname()}`);
      await outbox.add([message(4)]);
      expect(await outbox.counts()).toEqual({ pending: 2, dead: 2 });

      // Once the engine has stopped, replay puts the dead letters back.
      await outbox.close();
      held = undefined;
      expect(await records(['replay'], env)).toEqual({
        code: 0,
        out: ['2 dead letters back in the outbox'],
        err: [],
      });
      expect((await records(['status'], env)).out).toEqual(['4 pending, 0 dead-lettered']);
    },
    SLOW,
  );

  it(
    'ends with one line and exit code 1, never a stack trace, whatever keeps it from the outbox',
    async () => {
      await holdOutbox();
      const other = join(dir, 'other');
      mkdirSync(other);
      // An engine in another container (its own pid namespace): its pid says nothing here.
      writeFileSync(join(other, 'outbox.lock'), '1@engine-container');
      const opening = join(dir, 'opening');
      mkdirSync(opening);
      // An engine opening the outbox this instant: the lock file is there, its pid not yet. (Its
      // time is set ahead so that a slow start of the command does not make it look abandoned.)
      writeFileSync(join(opening, 'outbox.lock'), '');
      const soon = new Date(Date.now() + 600_000);
      utimesSync(join(opening, 'outbox.lock'), soon, soon);
      const closed = join(dir, 'closed');
      mkdirSync(closed, { mode: 0o700 });
      writeFileSync(join(closed, 'outbox.jsonl'), '');
      if (!isRoot) chmodSync(closed, 0o000);

      const at = (d: string) => ({ ...env, RECORDS_OUTBOX_DIR: d });
      const cases: [string, Promise<Run>, string][] = [
        [
          'no outbox there',
          records(['status'], at(join(dir, 'missing'))),
          `records: there is no outbox at ${join(dir, 'missing')} (RECORDS_OUTBOX_DIR, default records-outbox/ in HOTLINE_STATE_DIR: run the command with the engine's settings and working directory)`,
        ],
        [
          'an outbox the user cannot read',
          records(['dead-letters'], at(closed), isRoot),
          `records: the outbox ${closed} cannot be read (EACCES)`,
        ],
        [
          'an outbox held on another host',
          records(['replay'], at(other)),
          `records: the outbox ${other} is in use by process 1 on host engine-container (if that engine has stopped, remove ${join(other, 'outbox.lock')}); replay changes the outbox: stop the engine first (status and dead-letters work while it runs)`,
        ],
        [
          'an outbox being opened',
          records(['replay', '--deliver'], at(opening)),
          `records: the outbox ${opening} is being opened by another process; replay changes the outbox: stop the engine first (status and dead-letters work while it runs)`,
        ],
        [
          'settings that do not hold',
          records(['status'], { ...env, RECORDS_WEBHOOK_URL: 'not a url' }),
          'records: configuration: RECORDS_WEBHOOK_URL: Invalid URL; RECORDS_WEBHOOK_SECRET: a webhook needs a signing secret',
        ],
      ];
      for (const [what, run, line] of cases) {
        const r = await run;
        expect({ what, ...r }).toEqual({ what, code: 1, out: [], err: [line] });
      }
      // Nothing was taken over.
      expect(readFileSync(join(other, 'outbox.lock'), 'utf8')).toBe('1@engine-container');
      expect(readFileSync(join(opening, 'outbox.lock'), 'utf8')).toBe('');
      if (!isRoot) chmodSync(closed, 0o700);
    },
    SLOW,
  );
});
