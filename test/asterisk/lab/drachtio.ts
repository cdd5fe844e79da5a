import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where drachtio-server 0.9.10 is installed (../shared/tools/drachtio/install.sh; DRACHTIO_PREFIX overrides). */
export const DRACHTIO_PREFIX = process.env.DRACHTIO_PREFIX ?? '/opt/drachtio-0.9.10';
export const DRACHTIO_BIN = join(DRACHTIO_PREFIX, 'bin/drachtio');
export const hasDrachtio = (): boolean => existsSync(DRACHTIO_BIN);

export interface DrachtioOptions {
  /** The loopback address drachtio-server takes SIP on (the edge's address). */
  sipAddress: string;
  /** Default 5060. */
  sipPort?: number;
  /** `udp` (default) or `udp,tcp`. */
  transports?: string;
  /** Where the config and the log go; default a new temp folder, removed by stop(). */
  dir?: string;
  /** The admin secret; default a random one. */
  secret?: string;
  /** The admin port; default a free one (give the previous one to restart a server in place). */
  adminPort?: number;
  /**
   * drachtio's own log level (default notice, as deployed: info logs every SIP message in full,
   * callers' numbers included, with a flushed write per message on the call's path).
   */
  loglevel?: 'error' | 'warning' | 'notice' | 'info' | 'debug';
}

export interface RunningDrachtio {
  sipAddress: string;
  sipPort: number;
  /** The admin (app) port, on 127.0.0.1: DRACHTIO_URL=tcp://127.0.0.1:<adminPort>. */
  adminPort: number;
  secret: string;
  /** The command line it runs with (for reports). */
  command: string[];
  pid: number;
  /** drachtio's log file and the process output, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });

const canConnect = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });

/** The temp config: admin on 127.0.0.1, SIP on the given address only, log to a file, no CDRs, no Prometheus port. */
export function drachtioConfig(o: {
  adminPort: number;
  secret: string;
  sipAddress: string;
  sipPort: number;
  transports: string;
  logFile: string;
  loglevel: string;
}): string {
  return `<drachtio>
  <admin port="${o.adminPort}" secret="${o.secret}">127.0.0.1</admin>
  <sip>
    <contacts>
      <contact>sip:${o.sipAddress}:${o.sipPort};transport=${o.transports}</contact>
    </contacts>
  </sip>
  <cdrs>false</cdrs>
  <logging>
    <file>
      <name>${o.logFile}</name>
      <archive>${o.logFile}.archive</archive>
      <size>50</size>
      <maxFiles>2</maxFiles>
      <auto-flush>true</auto-flush>
    </file>
    <sofia-loglevel>3</sofia-loglevel>
    <loglevel>${o.loglevel}</loglevel>
  </logging>
</drachtio>
`;
}

/**
 * Starts a private drachtio-server: SIP on `sipAddress:sipPort`, its admin port (where a
 * drachtio-srf app connects) on 127.0.0.1 at a free port, from a temp config file. Resolves
 * once the admin port accepts connections; `stop()` ends it (SIGTERM, then SIGKILL).
 */
export async function startDrachtio(o: DrachtioOptions): Promise<RunningDrachtio> {
  if (!hasDrachtio()) throw new Error(`drachtio-server is not installed at ${DRACHTIO_BIN}`);
  const ownDir = o.dir === undefined;
  const dir = o.dir ?? mkdtempSync(join(tmpdir(), 'hotline-drachtio-'));
  mkdirSync(dir, { recursive: true });
  const adminPort = o.adminPort ?? (await freePort());
  const secret = o.secret ?? randomBytes(12).toString('hex');
  const sipPort = o.sipPort ?? 5060;
  const logFile = join(dir, 'drachtio.log');
  const configFile = join(dir, 'drachtio.conf.xml');
  writeFileSync(
    configFile,
    drachtioConfig({
      adminPort,
      secret,
      sipAddress: o.sipAddress,
      sipPort,
      transports: o.transports ?? 'udp',
      logFile,
      loglevel: o.loglevel ?? 'notice',
    }),
  );
  const command = [DRACHTIO_BIN, '-f', configFile];
  let out = '';
  const child: ChildProcess = spawn(command[0]!, command.slice(1), {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const onData = (b: Buffer) => {
    out = (out + b.toString()).slice(-20_000);
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const output = () =>
    `${existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(-6000) : '(no log file)'}\n${out.slice(-2000)}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((r) => {
        timer = setTimeout(() => r('late'), 5_000);
      });
      if ((await Promise.race([exited, late])) === 'late') {
        child.kill('SIGKILL');
        await exited;
      }
      clearTimeout(timer);
    }
    if (ownDir) rmSync(dir, { recursive: true, force: true });
  };
  const started = Date.now();
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      const why = output();
      await stop();
      throw new Error(`drachtio-server exited at start (${child.exitCode ?? child.signalCode}):\n${why}`);
    }
    if (await canConnect(adminPort)) break;
    if (Date.now() - started > 20_000) {
      const why = output();
      await stop();
      throw new Error(`drachtio-server did not open its admin port within 20 s:\n${why}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    sipAddress: o.sipAddress,
    sipPort,
    adminPort,
    secret,
    command,
    pid: child.pid ?? -1,
    output,
    stop,
  };
}
