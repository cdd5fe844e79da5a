/**
 * The tests' PostgreSQL: `npm test` starts a private server (initdb in a temporary directory, a
 * free port on 127.0.0.1, trust authentication, no fsync) and hands its address to the test
 * workers in PG_ADMIN_URL; each test that needs a database creates its own there and drops it.
 * A PG_ADMIN_URL given from outside is used as it is (tests only create and drop databases of
 * their own on it).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './redis.ts';

export const POSTGRES_INSTALL_HINT =
  'PostgreSQL is not installed: npm test starts a private server with its initdb; install it with `apt-get install postgresql`';

/** The folder of PostgreSQL's server programs (initdb, postgres): on PATH, or Debian's newest. */
export function postgresBin(): string | undefined {
  const onPath = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' });
  if (onPath.status === 0 && onPath.stdout.trim()) return join(onPath.stdout.trim(), '..');
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], 'bin') : undefined;
}

export interface PrivatePostgres {
  /** The `postgres` database of the private server, as its superuser. */
  url: string;
  stop(): Promise<void>;
}

/** PostgreSQL refuses to run as root: as root, the server runs as the `postgres` user. */
function asServerUser(cmd: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
}

export async function startPrivatePostgres(bin: string): Promise<PrivatePostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'hotline-test-pg-'));
  if (process.getuid?.() === 0) {
    const user = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    const group = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
    chownSync(dir, Number(user.stdout.trim()), Number(group.stdout.trim()));
  }
  const data = join(dir, 'data');
  const init = spawnSync(
    ...asServerUser(join(bin, 'initdb'), [
      '-D',
      data,
      '-A',
      'trust',
      '-U',
      'postgres',
      '--no-sync',
      '-E',
      'UTF8',
    ]),
    { encoding: 'utf8' },
  );
  if (init.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed:\n${(init.stderr || init.stdout || String(init.error)).slice(-800)}`);
  }
  const port = await freePort();
  const server: ChildProcess = spawn(
    ...asServerUser(join(bin, 'postgres'), [
      '-D',
      data,
      '-p',
      String(port),
      '-k',
      dir,
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'full_page_writes=off',
    ]),
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  let ready = false;
  server.stderr?.on('data', (d: Buffer) => {
    log = (log + d.toString()).slice(-4000);
    if (log.includes('database system is ready to accept connections')) ready = true;
  });
  const stop = async () => {
    if (server.exitCode === null && server.signalCode === null) {
      // SIGINT to the postmaster itself (runuser does not pass signals on): PostgreSQL's fast
      // shutdown, which disconnects clients rather than waiting for them.
      const exit = new Promise((r) => server.once('exit', r));
      const pidFile = join(data, 'postmaster.pid');
      const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').split('\n')[0]) : Number.NaN;
      if (Number.isInteger(pid) && pid > 0) process.kill(pid, 'SIGINT');
      else server.kill('SIGKILL');
      await exit;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (ready) break;
    if (server.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`the private PostgreSQL on port ${port} did not start:\n${log.slice(-800)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url: `postgres://postgres@127.0.0.1:${port}/postgres`, stop };
}
