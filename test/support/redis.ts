/**
 * The tests' Redis. `npm test` starts a private `redis-server` (test/support/global-setup.ts) and
 * hands its address to the test workers in REDIS_URL; a test that needs a server of its own (one
 * it kills or restarts, or one an engine process fills under the default key prefix) starts one
 * with `startPrivateRedis`. No test falls back to a developer's Redis on 6379.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Redis's default port, where a developer's own Redis listens: tests never use it. */
export const DEVELOPER_REDIS_PORT = 6379;

export const INSTALL_HINT =
  'redis-server is not installed: npm test starts a private one; install it with `apt-get install redis-server`';

/** The Redis the test run was given (REDIS_URL, set by the global setup). */
export function testRedisUrl(): string {
  const url = process.env.REDIS_URL;
  if (!url)
    throw new Error(
      'REDIS_URL is not set: run the tests with `npm test` or `npx vitest`, whose global setup starts a private redis-server',
    );
  return url;
}

/** The port a redis:// URL names (6379 when it names none). */
export function portOf(url: string): number {
  const u = new URL(url);
  return u.port ? Number(u.port) : DEVELOPER_REDIS_PORT;
}

/** A free TCP port on 127.0.0.1 (the kernel picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** Whether `redis-server` can be run. */
export function redisServerInstalled(): boolean {
  const r = spawnSync('redis-server', ['--version'], { stdio: 'ignore' });
  return !r.error && r.status === 0;
}

export interface PrivateRedis {
  url: string;
  port: number;
  /** The server process (a test may SIGSTOP, SIGCONT or SIGKILL it). */
  readonly process: ChildProcess;
  /** Starts the server again on the same port, empty (after it was killed or stopped). */
  restart(): Promise<void>;
  /** Stops the server and removes its directory. */
  stop(): Promise<void>;
}

const exited = (p: ChildProcess) => p.exitCode !== null || p.signalCode !== null;

/** Starts `redis-server` on `port` in `dir` and resolves once it accepts connections. */
function launch(port: number, dir: string, readyWithinMs: number): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      '--daemonize',
      'no',
      '--logfile',
      '',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(`redis-server on port ${port} not ready within ${readyWithinMs} ms:\n${out.slice(-800)}`),
      );
    }, readyWithinMs);
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.includes('Ready to accept connections')) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        child.stderr?.off('data', onErr);
        child.stdout?.resume();
        child.stderr?.resume();
        child.off('exit', onExit);
        resolve(child);
      }
    };
    const onExit = () => {
      clearTimeout(timer);
      reject(
        Object.assign(new Error(`redis-server on port ${port} exited at start:\n${out.slice(-800)}`), {
          addressInUse: /Address already in use/i.test(out),
        }),
      );
    };
    const onErr = (d: Buffer) => {
      out += d.toString();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onErr);
    child.once('exit', onExit);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject((err as NodeJS.ErrnoException).code === 'ENOENT' ? new Error(INSTALL_HINT) : err);
    });
  });
}

function waitForExit(p: ChildProcess, ms: number): Promise<void> {
  if (exited(p)) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      p.kill('SIGKILL');
    }, ms);
    p.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/**
 * A `redis-server` of the caller's own: a free port on 127.0.0.1, a temporary directory, no
 * persistence (`--save "" --appendonly no`), run as a child process (not daemonized) so it goes
 * with its parent's process group.
 */
export async function startPrivateRedis(options: { readyWithinMs?: number } = {}): Promise<PrivateRedis> {
  const readyWithinMs = options.readyWithinMs ?? 30_000;
  const dir = mkdtempSync(join(tmpdir(), 'hotline-test-redis-'));
  let child: ChildProcess | undefined;
  let port = 0;
  // The port is free when chosen but another process may take it before redis-server binds it.
  for (let attempt = 1; !child; attempt++) {
    port = await freePort();
    if (port === DEVELOPER_REDIS_PORT) continue;
    try {
      child = await launch(port, dir, readyWithinMs);
    } catch (err) {
      if (!(err as { addressInUse?: boolean }).addressInUse || attempt >= 5) {
        rmSync(dir, { recursive: true, force: true });
        throw err;
      }
    }
  }
  let current: ChildProcess = child;
  return {
    url: `redis://127.0.0.1:${port}/0`,
    port,
    get process() {
      return current;
    },
    async restart() {
      if (!exited(current)) {
        current.kill('SIGKILL');
        await waitForExit(current, 5000);
      }
      current = await launch(port, dir, readyWithinMs);
    },
    async stop() {
      if (!exited(current)) {
        current.kill('SIGCONT'); // a frozen server cannot act on SIGTERM
        current.kill('SIGTERM');
        await waitForExit(current, 5000);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
