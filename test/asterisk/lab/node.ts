import { type ChildProcess, spawn } from 'node:child_process';
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { newToken } from '../../../src/admin/tokens.ts';
import { generatedFiles } from '../../../src/deploy/generated-files.ts';
import { parsePeers } from '../../../src/deploy/peers.ts';
import { loadPlan } from '../../../src/plan/load.ts';

// One Asterisk node of the end-to-end lab: the project's own dialplan/ rendered into a run
// directory of its own (this node's address, ports, paths and credentials; the generated files
// from a plan and a peers.yaml, as `hotline dialplan --peers` writes them), then Asterisk
// 22.10.1 in the foreground on its own loopback address. lab.ts starts one; cluster.ts several.

export const ROOT = join(import.meta.dirname, '../../..');
export const DIALPLAN_DIR = join(ROOT, 'dialplan');
/** Where install.sh puts Asterisk 22.10.1 (ASTERISK_PREFIX overrides). */
export const ASTERISK_PREFIX = process.env.ASTERISK_PREFIX ?? '/opt/asterisk-22.10.1';

/** An error that ends a wait at once (the process it waits on has exited). */
export class Fatal extends Error {}

/** Polls `check` until it returns a truthy value; fails naming what it waited for. */
export async function waitFor<T>(
  what: string | (() => string),
  check: () => T | undefined | false | null | Promise<T | undefined | false | null>,
  ms = 30_000,
  everyMs = 100,
): Promise<T> {
  const start = Date.now();
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (err) {
      if (err instanceof Fatal) throw err;
      last = err;
    }
    if (Date.now() - start > ms) {
      const named = typeof what === 'string' ? what : what();
      throw new Error(
        `timed out after ${ms} ms waiting for ${named}${last ? ` (last error: ${String(last)})` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A TCP port nobody listens on at `host` right now. */
export const freePort = (host: string) =>
  new Promise<number>((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });

export function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** An agent's softphone account, as every node's pjsip.conf carries it. */
export interface NodeAgent {
  id: string;
  password: string;
}

/** The engine's accounts on a node (the same on every node of a cluster). */
export interface NodeCredentials {
  ariUser: string;
  ariPassword: string;
  amiUser: string;
  amiSecret: string;
}

export function newCredentials(): NodeCredentials {
  return {
    ariUser: 'hotline',
    ariPassword: newToken('ari').slice(0, 32),
    amiUser: 'hotline',
    amiSecret: newToken('ami').slice(0, 32),
  };
}

export interface NodeSpec {
  /** The node's run directory (created): etc/, run/, log/, spool/, asterisk.out. */
  dir: string;
  /** Asterisk's loopback address (SIP on ip:5060, ARI and AMI on free ports there). */
  ip: string;
  /** The node name: `systemname` of asterisk.conf, so channel ids read `<name>-<epoch>.<seq>`. */
  name?: string;
  agents: NodeAgent[];
  /** The routing plan folder the generated extensions come from. */
  rules: string;
  /** Every Stasis app the dialplan spreads calls over. */
  apps: string[];
  /** peers.yaml text (written to dir/peers.yaml), for the generated trunks. */
  peersYaml: string;
  credentials: NodeCredentials;
  /** First RTP port; the node takes 2000 from there. */
  rtpStart: number;
  /** ARI's and AMI's ports (free ones when not given; a restarted node keeps its own). */
  httpPort?: number;
  amiPort?: number;
}

export interface AsteriskNode {
  name: string | undefined;
  dir: string;
  ip: string;
  sipPort: number;
  httpPort: number;
  amiPort: number;
  /** `http://ip:port/ari` */
  ariUrl: string;
  spool: string;
  pid: number;
  /** ARI REST as the engine's user. */
  ari(method: string, path: string): Promise<{ status: number; body: unknown }>;
  /** `asterisk -rx COMMAND` against this node. */
  rx(command: string): Promise<string>;
  /** Whether the Asterisk process is still running. */
  running(): boolean;
  /** Signals Asterisk (SIGKILL by default) and resolves once it has exited. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  log(): string;
}

/** Renders the node's copy of dialplan/ and starts its Asterisk; resolves once it is fully booted. */
export async function startAsteriskNode(spec: NodeSpec): Promise<AsteriskNode> {
  if (!existsSync(join(ASTERISK_PREFIX, 'sbin/asterisk'))) {
    throw new Error(`no Asterisk at ${ASTERISK_PREFIX}: run ../shared/tools/asterisk/install.sh`);
  }
  const { dir, ip, credentials: cred } = spec;
  const httpPort = spec.httpPort ?? (await freePort(ip));
  const amiPort = spec.amiPort ?? (await freePort(ip));
  const sipPort = 5060;
  const etc = join(dir, 'etc');
  const spool = join(dir, 'spool/hotline/fallback');
  for (const d of [
    etc,
    spool,
    join(dir, 'run'),
    join(dir, 'log'),
    join(dir, 'lib/db'),
    join(dir, 'spool/asterisk'),
    // Where ARI's recordings go (astspooldir/recording): Asterisk does not create it.
    join(dir, 'spool/asterisk/recording'),
  ]) {
    mkdirSync(d, { recursive: true });
  }

  // --- the project's dialplan/, with this node's addresses, ports, paths and credentials ----
  const subst = (name: string, pairs: [string | RegExp, string][]): string => {
    let text = readFileSync(join(DIALPLAN_DIR, name), 'utf8');
    for (const [from, to] of pairs) {
      const before = text;
      text = text.replace(from, to);
      if (text === before)
        throw new Error(`dialplan/${name}: "${String(from)}" not found (the lab renders the shipped file)`);
    }
    return text;
  };
  const data = join(dir, 'data');
  let asteriskConf = subst('asterisk.conf', [
    [/^astetcdir => .*$/m, `astetcdir => ${etc}`],
    [/^astmoddir => .*$/m, `astmoddir => ${ASTERISK_PREFIX}/lib/asterisk/modules`],
    [/^astvarlibdir => .*$/m, `astvarlibdir => ${join(dir, 'lib')}`],
    [/^astdbdir => .*$/m, `astdbdir => ${join(dir, 'lib/db')}`],
    [/^astkeydir => .*$/m, `astkeydir => ${join(dir, 'lib')}`],
    [/^astdatadir => .*$/m, `astdatadir => ${data}`],
    [/^astagidir => .*$/m, `astagidir => ${join(dir, 'lib/agi-bin')}`],
    [/^astspooldir => .*$/m, `astspooldir => ${join(dir, 'spool/asterisk')}`],
    [/^astrundir => .*$/m, `astrundir => ${join(dir, 'run')}`],
    [/^astlogdir => .*$/m, `astlogdir => ${join(dir, 'log')}`],
    [/^astsbindir => .*$/m, `astsbindir => ${ASTERISK_PREFIX}/sbin`],
    // the lab runs as the test's own user
    [/^runuser = .*$/m, ''],
    [/^rungroup = .*$/m, ''],
  ]);
  if (spec.name !== undefined) {
    // The shipped file's systemname line (set or commented out), else one under [options].
    const line = `systemname = ${spec.name}`;
    const shipped = /^[;\s]*systemname\s*=.*$/m;
    asteriskConf = shipped.test(asteriskConf)
      ? asteriskConf.replace(shipped, line)
      : asteriskConf.replace(/^\[options\]\s*$/m, `[options]\n${line}`);
    if (!asteriskConf.includes(`\n${line}\n`))
      throw new Error('dialplan/asterisk.conf: no [options] section');
  }
  const conf: Record<string, string> = {
    'asterisk.conf': asteriskConf,
    'pjsip.conf': subst('pjsip.conf', [
      [/^bind = 0\.0\.0\.0:5060$/gm, `bind = ${ip}:${sipPort}`],
      ['password = change-me-agent1001', `password = ${newToken('a').slice(0, 24)}`],
    ]),
    'http.conf': subst('http.conf', [
      ['bindaddr = 127.0.0.1', `bindaddr = ${ip}`],
      ['bindport = 8088', `bindport = ${httpPort}`],
    ]),
    'manager.conf': subst('manager.conf', [
      ['bindaddr = 127.0.0.1', `bindaddr = ${ip}`],
      ['port = 5038', `port = ${amiPort}`],
      ['"/run/hotline/manager-users.conf"', `"${join(dir, 'secrets/manager-users.conf')}"`],
    ]),
    'ari.conf': subst('ari.conf', [
      ['"/run/hotline/ari-users.conf"', `"${join(dir, 'secrets/ari-users.conf')}"`],
    ]),
    'extensions.conf': subst('extensions.conf', [
      ['HOTLINE_SPOOL = /var/spool/hotline/fallback', `HOTLINE_SPOOL = ${spool}`],
    ]),
    'rtp.conf': subst('rtp.conf', [
      ['rtpstart = 10000', `rtpstart = ${spec.rtpStart}`],
      ['rtpend = 20000', `rtpend = ${spec.rtpStart + 1999}`],
    ]),
  };
  // Agents: one block of three sections each, as dialplan/README.md says (the safety-net queue's
  // members are the engine's: it adds the agents who log in over AMI).
  for (const a of spec.agents) {
    conf['pjsip.conf'] += [
      '',
      `[${a.id}](hotline-agent)`,
      `auth = ${a.id}`,
      `aors = ${a.id}`,
      `callerid = "Agent ${a.id}" <${a.id}>`,
      '',
      `[${a.id}](hotline-agent-auth)`,
      `username = ${a.id}`,
      `password = ${a.password}`,
      '',
      `[${a.id}](hotline-agent-aor)`,
      '',
    ].join('\n');
  }
  for (const name of readdirSync(DIALPLAN_DIR)) {
    if (!name.endsWith('.conf') || name.includes('-generated')) continue;
    writeFileSync(join(etc, name), conf[name] ?? readFileSync(join(DIALPLAN_DIR, name), 'utf8'));
  }
  // The generated files, from the plan and peers, as `hotline dialplan --peers` writes them.
  const { plan } = loadPlan(spec.rules);
  writeFileSync(join(dir, 'peers.yaml'), spec.peersYaml);
  for (const [name, text] of generatedFiles(plan, spec.apps, {
    peers: parsePeers(spec.peersYaml),
    file: 'peers.yaml',
  })) {
    writeFileSync(join(etc, name), text);
  }
  // Credentials, as docker-entrypoint.sh writes them.
  mkdirSync(join(dir, 'secrets'), { recursive: true });
  writeFileSync(
    join(dir, 'secrets/ari-users.conf'),
    `[${cred.ariUser}]\ntype = user\nread_only = no\npassword_format = plain\npassword = ${cred.ariPassword}\n`,
  );
  // An AMI account for the engine's softphone presence (ContactStatus), as the entrypoint writes it.
  writeFileSync(
    join(dir, 'secrets/manager-users.conf'),
    `[${cred.amiUser}]\nsecret = ${cred.amiSecret}\ndeny = 0.0.0.0/0.0.0.0\npermit = 127.0.0.1/255.255.255.255\n` +
      'read = system,call,agent,user,dtmf,reporting,cdr\nwrite = system,call,agent,user,reporting,originate,command\n',
  );
  // Sounds: the prompts at sounds/hotline (as docker-compose mounts them); hold music and the
  // beep the distribution packages would bring.
  mkdirSync(join(data, 'sounds'), { recursive: true });
  // Asterisk's own data (XML documentation stasis needs to start, ARI's API descriptions).
  for (const own of ['documentation', 'rest-api']) {
    symlinkSync(join(ASTERISK_PREFIX, 'var/lib/asterisk', own), join(data, own));
  }
  symlinkSync(join(ROOT, 'ivr-prompts'), join(data, 'sounds/hotline'));
  mkdirSync(join(data, 'moh'));
  writeWav(join(data, 'moh/lab-tone.wav'), 10, 440);
  writeWav(join(data, 'sounds/beep.wav'), 0.3, 1000);

  // --- the process -----------------------------------------------------------------------
  const logPath = join(dir, 'asterisk.out');
  const out = createWriteStream(logPath);
  const asterisk: ChildProcess = spawn(
    join(ASTERISK_PREFIX, 'sbin/asterisk'),
    ['-f', '-n', '-vvv', '-C', join(etc, 'asterisk.conf')],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  asterisk.stdout!.pipe(out, { end: false });
  asterisk.stderr!.pipe(out, { end: false });
  let exited = false;
  const gone = new Promise<void>((resolve) =>
    asterisk.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  const ariUrl = `http://${ip}:${httpPort}/ari`;
  const authHeader = `Basic ${Buffer.from(`${cred.ariUser}:${cred.ariPassword}`).toString('base64')}`;
  const ari = async (method: string, path: string) => {
    const res = await fetch(`${ariUrl}${path}`, { method, headers: { authorization: authHeader } });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {}
    return { status: res.status, body };
  };
  const rx = (command: string) =>
    new Promise<string>((resolve, reject) => {
      const c = spawn(
        join(ASTERISK_PREFIX, 'sbin/asterisk'),
        ['-C', join(etc, 'asterisk.conf'), '-rx', command],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let text = '';
      c.stdout!.on('data', (d: Buffer) => (text += d.toString()));
      c.stderr!.on('data', (d: Buffer) => (text += d.toString()));
      c.once('error', reject);
      c.once('exit', (code) =>
        code === 0 ? resolve(text) : reject(new Error(`asterisk -rx '${command}' exit ${code}: ${text}`)),
      );
    });
  const log = () => (existsSync(logPath) ? readFileSync(logPath, 'utf8') : '');
  const kill = async (signal: NodeJS.Signals = 'SIGKILL') => {
    if (exited) return;
    asterisk.kill(signal);
    await gone;
  };

  try {
    await waitFor(
      `Asterisk${spec.name ? ` ${spec.name}` : ''} to answer ARI (GET /asterisk/info)`,
      async () => {
        if (exited) throw new Fatal(`Asterisk exited: ${log().slice(-2000)}`);
        return (await ari('GET', '/asterisk/info')).status === 200;
      },
      90_000,
      250,
    );
    await rx('core waitfullybooted');
  } catch (err) {
    await kill();
    throw err;
  }
  return {
    name: spec.name,
    dir,
    ip,
    sipPort,
    httpPort,
    amiPort,
    ariUrl,
    spool,
    pid: asterisk.pid ?? -1,
    ari,
    rx,
    running: () => !exited,
    kill,
    log,
  };
}

/** A private redis-server on a free port of 127.0.0.1, data in `dir`; resolves once it answers. */
export async function startRedis(dir: string): Promise<{ url: string; port: number; process: ChildProcess }> {
  const port = await freePort('127.0.0.1');
  mkdirSync(dir, { recursive: true });
  const redis = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    { stdio: 'ignore' },
  );
  try {
    await waitFor(
      'redis-server to accept connections',
      () => {
        if (redis.exitCode !== null) throw new Fatal(`redis-server exited ${redis.exitCode}`);
        return canConnect('127.0.0.1', port);
      },
      20_000,
    );
  } catch (err) {
    redis.kill('SIGKILL');
    throw err;
  }
  return { url: `redis://127.0.0.1:${port}/0`, port, process: redis };
}

/** A mono 8 kHz 16-bit WAV tone (hold music and the beep the distribution's packages bring). */
export function writeWav(path: string, seconds: number, hz: number): void {
  const n = Math.round(seconds * 8000);
  const buf = Buffer.alloc(44 + n * 2);
  buf.write('RIFF', 0);
  buf.writeUInt32LE(36 + n * 2, 4);
  buf.write('WAVEfmt ', 8);
  buf.writeUInt32LE(16, 16);
  buf.writeUInt16LE(1, 20);
  buf.writeUInt16LE(1, 22);
  buf.writeUInt32LE(8000, 24);
  buf.writeUInt32LE(16000, 28);
  buf.writeUInt16LE(2, 32);
  buf.writeUInt16LE(16, 34);
  buf.write('data', 36);
  buf.writeUInt32LE(n * 2, 40);
  for (let i = 0; i < n; i++)
    buf.writeInt16LE(Math.round(3000 * Math.sin((2 * Math.PI * hz * i) / 8000)), 44 + i * 2);
  writeFileSync(path, buf);
}

/** The engine's HTTP API as a lab holds it (a token of a role that may drive agents). */
export type LabApi = (
  method: string,
  path: string,
  body?: unknown,
) => Promise<{ status: number; body: unknown }>;

/**
 * Logs an agent in on its own softphone and makes it ready, then waits until the engine sees it
 * ready with a reachable phone. An agent still in wrap-up from the last scenario logs in once
 * that has ended (409 → logout, try again).
 */
export async function loginReady(api: LabApi, id: string): Promise<void> {
  const endpoint = `PJSIP/${id}`;
  let login: { status: number; body: unknown } = { status: 0, body: undefined };
  await waitFor(
    () => `agent ${id} to log in (last answer ${login.status} ${JSON.stringify(login.body)})`,
    async () => {
      login = await api('POST', `/agents/${id}/login`, { endpoint });
      if (login.status === 409) await api('POST', `/agents/${id}/logout`);
      return login.status === 200;
    },
    30_000,
    500,
  );
  const ready = await api('POST', `/agents/${id}/ready`);
  if (ready.status !== 200) throw new Error(`ready ${id}: ${ready.status} ${JSON.stringify(ready.body)}`);
  await waitFor(
    `agent ${id} ready with a reachable softphone`,
    async () => {
      const r = (await api('GET', `/agents/${id}`)).body as { state: string; deviceAvailable: boolean };
      return r.state === 'ready' && r.deviceAvailable;
    },
    30_000,
  );
}
