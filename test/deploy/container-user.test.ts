import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

/**
 * The engine image, emulated without a Docker engine: the Dockerfile's COPY lines make a
 * root-owned, read-only copy of /app, its ENV is the environment (its paths moved into the
 * copy and a temporary state directory), and `hotline serve` (its CMD) runs as an unprivileged
 * user, as `USER` makes it in the image. Runs only as root (the CI runs the suite as root).
 */

const root = join(import.meta.dirname, '../..');
const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
// `nobody`: a user that owns nothing of the repository or the copy.
const UID = 65534;
const GID = 65534;
const SLOW = 120_000;

interface Image {
  workdir: string;
  user: string;
  env: Record<string, string>;
  /** [source in the repository, destination in the image] */
  copies: [string, string][];
  cmd: string[];
  /** The HEALTHCHECK's command (shell form), run by the container engine inside the image. */
  healthcheck?: string;
}

/** The Dockerfile's instructions that shape the running engine (continuation lines joined). */
function readDockerfile(text: string): Image {
  const lines = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const image: Image = { workdir: '/', user: 'root', env: {}, copies: [], cmd: [] };
  for (const line of lines) {
    const [instruction, ...rest] = line.split(/\s+/);
    const args = rest.join(' ');
    switch (instruction) {
      case 'WORKDIR':
        image.workdir = args;
        break;
      case 'USER':
        image.user = args;
        break;
      case 'ENV':
        for (const m of args.matchAll(/([A-Z_][A-Z0-9_]*)=(\S*)/g)) image.env[m[1]!] = m[2]!;
        break;
      case 'COPY': {
        const parts = rest.filter((p) => !p.startsWith('--'));
        const dest = parts.pop()!;
        const into = dest.startsWith('/') ? dest : join(image.workdir, dest);
        for (const src of parts)
          image.copies.push([src, parts.length > 1 || dest.endsWith('/') ? join(into, src) : into]);
        break;
      }
      case 'CMD':
        image.cmd = JSON.parse(args) as string[];
        break;
      case 'HEALTHCHECK':
        image.healthcheck = args.slice(args.indexOf(' CMD ') + 5).trim();
        break;
    }
  }
  return image;
}

const image = readDockerfile(dockerfile);
const isRoot = process.getuid?.() === 0;
const hasSetpriv = spawnSync('setpriv', ['--version']).status === 0;
const skipReason = !isRoot
  ? 'not root: cannot run the engine as another user'
  : !hasSetpriv
    ? 'setpriv (util-linux) is not installed'
    : undefined;
if (skipReason) console.warn(`container-user test skipped: ${skipReason}`);

/** Every file and folder under `dir`, with its size and modification time. */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isSymbolicLink()) continue;
      const st = statSync(p);
      out.set(relative(dir, p), `${st.size}:${st.mtimeMs}`);
      if (e.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out;
}

/** Files under `dirs` owned by `uid`, except under `except`. */
function ownedBy(uid: number, dirs: string[], except: string[]): string[] {
  const r = spawnSync('find', [...dirs, '-xdev', '-user', String(uid)], { encoding: 'utf8' });
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .filter((p) => !except.some((e) => p === e || p.startsWith(`${e}/`)));
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

interface Engine {
  child: ChildProcess;
  lines: string[];
  exited: Promise<number | null>;
  line(pattern: RegExp): Promise<string>;
}

/** Runs the image's CMD as UID:GID in `cwd` with exactly `env`. */
function runAsUser(cmd: string[], cwd: string, env: Record<string, string>): Engine {
  const [bin, ...args] = cmd;
  const child = spawn(
    'setpriv',
    [`--reuid=${UID}`, `--regid=${GID}`, '--clear-groups', '--', process.execPath, ...args],
    { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  expect(bin).toBe('node');
  const lines: string[] = [];
  const waiters: { pattern: RegExp; resolve: (l: string) => void }[] = [];
  const onLine = (l: string) => {
    lines.push(l);
    for (const w of [...waiters])
      if (w.pattern.test(l)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(l);
      }
  };
  const closed = [child.stdout!, child.stderr!].map(
    (input) => new Promise<void>((r) => createInterface({ input }).on('line', onLine).on('close', r)),
  );
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => void Promise.all(closed).then(() => resolve(code))),
  );
  return {
    child,
    lines,
    exited,
    line(pattern) {
      const seen = lines.find((l) => pattern.test(l));
      if (seen !== undefined) return Promise.resolve(seen);
      return Promise.race([
        new Promise<string>((resolve) => waiters.push({ pattern, resolve })),
        exited.then((code) => {
          throw new Error(
            `the engine ended (code ${code}) before a line matched ${pattern}:\n${lines.join('\n')}`,
          );
        }),
      ]);
    },
  };
}

describe.skipIf(skipReason !== undefined)("the engine image, run as the image's unprivileged user", () => {
  let dir: string;
  let app: string;
  let state: string;
  let scratch: string;
  let running: Engine | undefined;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hotline-image-'));
    chmodSync(dir, 0o755);
    app = join(dir, 'app');
    // The image's /app: what the Dockerfile copies, owned by root, read-only; its node_modules
    // (`npm ci` in the image) are the repository's, owned by root too.
    for (const [src, dest] of image.copies) {
      expect(dest.startsWith(`${image.workdir}/`) || dest === image.workdir, dest).toBe(true);
      cpSync(join(root, src), join(app, relative(image.workdir, dest)), { recursive: true });
    }
    symlinkSync(join(root, 'node_modules'), join(app, 'node_modules'));
    spawnSync('chmod', ['-R', 'a-w', app]);
    state = join(dir, 'state');
    scratch = join(dir, 'tmp');
    for (const d of [state, scratch]) {
      mkdirSync(d);
      chownSync(d, UID, GID);
    }
  });
  afterEach(async () => {
    if (running && running.child.exitCode === null && running.child.signalCode === null) {
      running.child.kill('SIGINT');
      await running.exited;
    }
    running = undefined;
    spawnSync('chmod', ['-R', 'u+w', dir]);
    rmSync(dir, { recursive: true, force: true });
  });

  /** The Dockerfile's ENV with its paths moved into the copy, plus what a test run needs. */
  const imageEnv = (extra: Record<string, string>): Record<string, string> => {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(image.env))
      env[k] = v.startsWith(`${image.workdir}/`) ? join(app, relative(image.workdir, v)) : v;
    return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: scratch, TMPDIR: scratch, ...env, ...extra };
  };

  it('is built to run as an unprivileged user with a state directory it owns', () => {
    expect(image.user).not.toMatch(/^(root|0)(:|$)/);
    expect(image.workdir).toBe('/app');
    const stateDir = image.env.HOTLINE_STATE_DIR;
    expect(stateDir).toBe('/var/lib/hotline');
    expect(dockerfile).toMatch(new RegExp(`chown ${image.user}(:${image.user})? ${stateDir}\\b`));
    expect(image.cmd).toEqual(['node', 'bin/hotline.js', 'serve']);
    // The engine's own paths are left to the state directory.
    for (const name of [
      'HOTLINE_RECORDS',
      'RECORDS_OUTBOX_DIR',
      'HOTLINE_RULES_VERSIONS',
      'HOTLINE_AUDIT_LOG',
    ])
      expect(image.env, name).not.toHaveProperty(name);
  });

  it(
    'starts, answers /health, and writes only in its state directory',
    async () => {
      const before = snapshot(app);
      const port = await freePort();
      running = runAsUser(
        image.cmd,
        app,
        imageEnv({ HOTLINE_STATE_DIR: state, HTTP_PORT: String(port), LOG_LEVEL: 'warn' }),
      );
      await running.line(/^demo tokens for this run/);
      const res = await fetch(`http://127.0.0.1:${port}/health`);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ status: 'ok' });
      expect(readdirSync(join(state, 'rules-versions'))).toHaveLength(1);
      // The image's own health check passes against the running engine.
      expect(image.healthcheck).toBeDefined();
      const check = spawnSync('sh', ['-c', image.healthcheck!], {
        env: { ...process.env, HTTP_PORT: String(port) },
        timeout: 30_000,
      });
      expect(check.status).toBe(0);

      running.child.kill('SIGINT');
      expect(await running.exited).toBe(0);
      expect(snapshot(app)).toEqual(before);
      // Nothing of the engine's user outside its state directory and its scratch folder (TMPDIR).
      expect(ownedBy(UID, [dir, root, '/var/tmp', '/dev/shm'], [state, scratch])).toEqual([]);
      expect(ownedBy(UID, [state], [])).toContain(join(state, 'rules-versions'));
    },
    SLOW,
  );

  it(
    'exits at once with one line naming the directory and HOTLINE_STATE_DIR when it cannot write there',
    async () => {
      // As the image before it had a state directory: var/ under the root-owned /app.
      const env = imageEnv({ HTTP_PORT: String(await freePort()) });
      delete env.HOTLINE_STATE_DIR;
      running = runAsUser(image.cmd, app, env);
      expect(await running.exited).toBe(1);
      expect(running.lines).toEqual([
        `hotline serve cannot write to the state directory ${join(app, 'var')} (EACCES): make it writable by the engine's user, or set HOTLINE_STATE_DIR to a directory it can write`,
      ]);
    },
    SLOW,
  );
});
