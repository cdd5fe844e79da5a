import { type ChildProcess, spawn } from 'node:child_process';
import {
  appendFileSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { hashToken, newToken } from '../../../src/admin/tokens.ts';
import type { CallRecord } from '../../../src/records/record.ts';
import { type AriTraceEntry, parseAriDebug } from './ari-trace.ts';
import { freePort, loginReady, newCredentials, ROOT, startAsteriskNode, startRedis } from './node.ts';
import { writeAlawPcap } from './pcap.ts';
import { killAllSipp, type SippRun, startSipp } from './sipp.ts';

export { ASTERISK_PREFIX, DIALPLAN_DIR, Fatal, ROOT, waitFor } from './node.ts';

import { waitFor } from './node.ts';

export const LAB_RULES = join(import.meta.dirname, 'rules');
/** The engine under test: this checkout, or another one's (HOTLINE_LAB_ENGINE_ROOT). */
export const ENGINE_ROOT = process.env.HOTLINE_LAB_ENGINE_ROOT ?? ROOT;
/** The Stasis apps of the shipped dialplan and of the engine's default. */
export const APPS = ['hotline-1', 'hotline-2'];

export interface LabAgentSpec {
  id: string;
  pools?: string[];
  skills?: Record<string, number>;
  expertSeats?: string[];
}
export interface LabAgent extends Required<LabAgentSpec> {
  ip: string;
  password: string;
}

export type AgentBehaviour =
  | { kind: 'answers'; afterMs?: number }
  | { kind: 'answers-hangs-up'; afterMs?: number; talkMs: number }
  | { kind: 'busy' }
  | { kind: 'never-answers' };

export interface Lab {
  dir: string;
  /** Asterisk's own loopback address. */
  ip: string;
  sipPort: number;
  ariUrl: string;
  carrierIp: string;
  peerIps: Record<string, string>;
  agents: Map<string, LabAgent>;
  spool: string;
  audioPcap: string;
  /** Cuts the engine's ARI connections (WebSocket and REST) and refuses new ones until restored. */
  cutAri(): void;
  restoreAri(): void;
  /** ARI REST as the engine's user. */
  ari(method: string, path: string): Promise<{ status: number; body: unknown }>;
  /** `asterisk -rx COMMAND` against this lab's Asterisk. */
  rx(command: string): Promise<string>;
  startEngine(extraEnv?: Record<string, string>): Promise<void>;
  stopEngine(signal?: NodeJS.Signals): Promise<void>;
  engineOutput(): string;
  /** The engine's HTTP API with the lab's supervisor token. */
  api(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }>;
  /** A GET of the engine's HTTP API with the supervisor token, the body as bytes (a recording's audio). */
  apiBytes(path: string): Promise<{ status: number; type: string; bytes: Buffer }>;
  /** The engine's HTTP API with the lab's administrator token (`PUT /admission`). */
  admin(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }>;
  /** The engine's HTTP API as an agent (transfers and leaving a call are the agent's). */
  apiAs(
    agentId: string,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: unknown }>;
  records(): CallRecord[];
  /** An agent's softphone: registers (digest), then runs the behaviour as a UAS. */
  agent(id: string, behaviour: AgentBehaviour, opts?: { timeoutSeconds?: number }): Promise<SippRun>;
  unregister(id: string): Promise<void>;
  /** A linked center's trunk peer (sc-tax, emergency) answering like an agent. */
  peer(name: string, behaviour: AgentBehaviour, opts?: { timeoutSeconds?: number }): SippRun;
  /** The carrier delivering a call. */
  call(opts: {
    dialed: string;
    caller: string;
    talkMs?: number;
    waitByeMs?: number;
    pcap?: string;
    answerWithinMs?: number;
    timeoutSeconds?: number;
  }): SippRun;
  /** Logs an agent in and makes it ready, once the engine sees its softphone. */
  ready(id: string): Promise<void>;
  logout(id: string): Promise<void>;
  /** Waits until Asterisk holds no channel and no bridge. */
  settled(what: string, ms?: number): Promise<void>;
  /**
   * After each scenario: stops every SIPp, logs the agents out and unregisters their phones (and
   * `phones`, registered but never logged in), waits until Asterisk holds nothing. When the
   * scenario failed, first keeps the lab's logs (see `keepLogs`).
   */
  endScenario(o: {
    scenario: { name: string; failed: boolean };
    loggedIn: Set<string>;
    phones?: string[];
  }): Promise<void>;
  /**
   * Copies the engine's log, Asterisk's output and SIPp's logs to HOTLINE_LAB_FAILURES (default
   * test-results/lab-failures)/<name>/, since the lab's folder goes with the lab; returns where.
   */
  keepLogs(name: string): string;
  stop(): Promise<void>;
  asteriskLog(): string;
  /**
   * The engine's ARI requests, responses and events since `from` (an index into the trace), as
   * Asterisk logged them; `ari set debug all on` is set when HOTLINE_LAB_TRACES names a folder.
   */
  ariTrace(from?: number): AriTraceEntry[];
}

/** Renders the lab's copy of dialplan/, starts Asterisk, Redis and (optionally) the engine. */
export async function startLab(spec: { agents: LabAgentSpec[] }): Promise<Lab> {
  const dir = mkdtempSync(join(tmpdir(), 'hotline-lab-'));
  const net = `127.${100 + Math.floor(Math.random() * 150)}.${Math.floor(Math.random() * 250)}`;
  const ip = `${net}.1`;
  const carrierIp = `${net}.2`;
  const peerIps: Record<string, string> = { 'sc-tax': `${net}.3`, emergency: `${net}.4` };
  const agents = new Map<string, LabAgent>();
  spec.agents.forEach((a, i) => {
    agents.set(a.id, {
      id: a.id,
      pools: a.pools ?? ['general'],
      skills: a.skills ?? { general: 5 },
      expertSeats: a.expertSeats ?? [],
      ip: `${net}.${10 + i}`,
      password: newToken('lab').slice(0, 24),
    });
  });
  const credentials = newCredentials();
  const { ariUser, ariPassword, amiUser, amiSecret } = credentials;
  const audioPcap = join(dir, 'audio.pcap');
  writeAlawPcap(audioPcap, 120);
  const peersYaml = [`carrier: ${carrierIp}`, ...Object.entries(peerIps).map(([n, a]) => `${n}: ${a}`)].join(
    '\n',
  );

  // --- processes: Asterisk (the project's dialplan/ rendered into dir) and a Redis of its own --
  const children: ChildProcess[] = [];
  const [started, redisStarted] = await Promise.allSettled([
    startAsteriskNode({
      dir,
      ip,
      agents: [...agents.values()],
      rules: LAB_RULES,
      apps: APPS,
      peersYaml,
      credentials,
      rtpStart: 20_000 + Math.floor(Math.random() * 20) * 2000,
    }),
    startRedis(join(dir, 'redis')),
  ]);
  if (started.status === 'rejected' || redisStarted.status === 'rejected') {
    if (redisStarted.status === 'fulfilled') redisStarted.value.process.kill('SIGKILL');
    if (started.status === 'fulfilled') await started.value.kill();
    if (!process.env.HOTLINE_LAB_KEEP) rmSync(dir, { recursive: true, force: true });
    throw started.status === 'rejected' ? started.reason : (redisStarted as PromiseRejectedResult).reason;
  }
  const node = started.value;
  const redis = redisStarted.value;
  children.push(redis.process);
  const { sipPort, httpPort, amiPort, ariUrl, spool, ari, rx } = node;
  const asteriskLogPath = join(dir, 'asterisk.out');

  // The engine reaches ARI through a TCP relay the suite can cut (an ARI outage mid-call); the
  // relay connects from an address of its own, so Asterisk's ARI debug output tells the engine's
  // traffic from the suite's own requests.
  const engineSide = `${net}.250`;
  const relayed = new Set<Socket>();
  let ariCut = false;
  const relay = createServer((client) => {
    if (ariCut) {
      client.destroy();
      return;
    }
    const upstream = connect({ host: ip, port: httpPort, localAddress: engineSide });
    relayed.add(client);
    relayed.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      relayed.delete(client);
      relayed.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  const relayPort = await new Promise<number>((resolve) =>
    relay.listen(0, '127.0.0.1', () => resolve((relay.address() as { port: number }).port)),
  );

  const supervisorToken = newToken('lab-supervisor');
  const adminToken = newToken('lab-admin');
  const agentTokens = new Map([...agents.keys()].map((id) => [id, newToken(id)]));
  writeFileSync(
    join(dir, 'tokens.yaml'),
    [
      'tokens:',
      `  - { id: lab-supervisor, role: supervisor, hash: "${hashToken(supervisorToken)}" }`,
      `  - { id: lab-admin, role: admin, hash: "${hashToken(adminToken)}" }`,
      ...[...agentTokens].map(
        ([id, t]) => `  - { id: ${id}, role: agent, agentId: ${id}, hash: "${hashToken(t)}" }`,
      ),
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(dir, 'roster.yaml'),
    [
      'agents:',
      ...[...agents.values()].map(
        (a) =>
          `  - { id: ${a.id}, name: 坐席${a.id}, endpoint: PJSIP/${a.id}, pools: [${a.pools.join(', ')}], skills: ${JSON.stringify(a.skills)}, expertSeats: [${a.expertSeats.join(', ')}] }`,
      ),
      '',
    ].join('\n'),
  );
  const recordsPath = join(dir, 'records.jsonl');
  const engineHttpPort = await freePort('127.0.0.1');
  let engine: ChildProcess | undefined;
  let engineOut = '';
  const engineLog = join(dir, 'engine.log');

  const stop = async () => {
    killAllSipp();
    relay.close();
    for (const sock of relayed) sock.destroy();
    if (engine && engine.exitCode === null) engine.kill('SIGKILL');
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await node.kill();
    await new Promise((r) => setTimeout(r, 100));
    if (process.env.HOTLINE_LAB_KEEP) return;
    rmSync(dir, { recursive: true, force: true });
  };

  const apiWith = async (token: string, method: string, path: string, body?: unknown) => {
    const res = await fetch(`http://127.0.0.1:${engineHttpPort}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {}
    return { status: res.status, body: parsed };
  };
  const api = (method: string, path: string, body?: unknown) => apiWith(supervisorToken, method, path, body);
  const apiBytes = async (path: string) => {
    const res = await fetch(`http://127.0.0.1:${engineHttpPort}${path}`, {
      headers: { authorization: `Bearer ${supervisorToken}` },
    });
    const type = res.headers.get('content-type') ?? '';
    return { status: res.status, type, bytes: Buffer.from(await res.arrayBuffer()) };
  };

  const lab: Lab = {
    dir,
    ip,
    sipPort,
    ariUrl,
    carrierIp,
    peerIps,
    agents,
    spool,
    audioPcap,
    cutAri() {
      ariCut = true;
      for (const sock of relayed) sock.destroy();
      relayed.clear();
    },
    restoreAri() {
      ariCut = false;
    },
    ari,
    rx,
    apiBytes,
    async startEngine(extraEnv = {}) {
      engineOut = '';
      const child = spawn(
        process.execPath,
        [join(ENGINE_ROOT, 'bin/hotline.js'), 'serve', '--rules', LAB_RULES],
        {
          cwd: ENGINE_ROOT,
          env: {
            ...process.env,
            ARI_URL: `http://127.0.0.1:${relayPort}/ari`,
            ARI_USER: ariUser,
            ARI_PASSWORD: ariPassword,
            ARI_APP: APPS.join(','),
            AMI_URL: `tcp://${ip}:${amiPort}`,
            AMI_USER: amiUser,
            AMI_SECRET: amiSecret,
            REDIS_URL: redis.url,
            ENGINE_ID: 'lab-engine',
            HOTLINE_ROSTER: join(dir, 'roster.yaml'),
            HOTLINE_TOKENS: join(dir, 'tokens.yaml'),
            HOTLINE_RECORDS: recordsPath,
            SAFETY_NET_SPOOL: spool,
            SAFETY_NET_SCAN_SECONDS: '2',
            HTTP_HOST: '127.0.0.1',
            HTTP_PORT: String(engineHttpPort),
            LOG_LEVEL: 'debug',
            // Admission control is on by default: a scenario that is not about overload must never
            // see its calls shed on a busy machine (overload-gate.e2e.ts turns it on).
            ADMISSION: 'off',
            ...extraEnv,
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      engine = child;
      children.push(child);
      const onData = (d: Buffer) => {
        engineOut += d.toString();
        appendFileSync(engineLog, d);
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      await waitFor(
        'the engine serving',
        () => {
          if (child.exitCode !== null)
            throw new Error(`the engine exited ${child.exitCode}: ${engineOut.slice(-2000)}`);
          return engineOut.includes('hotline is serving');
        },
        60_000,
      );
      await waitFor(
        'the engine to register its Stasis apps',
        async () => {
          const r = await ari('GET', '/applications');
          const names = (r.body as { name: string }[]).map((a) => a.name);
          return APPS.every((a) => names.includes(a));
        },
        30_000,
      );
    },
    async stopEngine(signal = 'SIGTERM') {
      const child = engine;
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise((r) => child.once('exit', r));
      child.kill(signal);
      await Promise.race([gone, new Promise((r) => setTimeout(r, 15_000))]);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await gone;
      }
    },
    engineOutput: () => engineOut,
    api,
    admin: (method, path, body) => apiWith(adminToken, method, path, body),
    apiAs(agentId, method, path, body) {
      const token = agentTokens.get(agentId);
      if (!token) throw new Error(`no lab agent ${agentId}`);
      return apiWith(token, method, path, body);
    },
    records() {
      if (!existsSync(recordsPath)) return [];
      return readFileSync(recordsPath, 'utf8')
        .split('\n')
        .filter((l) => l.trim())
        .map((l) => JSON.parse(l) as CallRecord);
    },
    async agent(id, behaviour, opts = {}) {
      const a = agents.get(id);
      if (!a) throw new Error(`no lab agent ${id}`);
      await register(a, 120);
      return startSipp({
        scenario: scenarioOf(behaviour),
        name: `${id}-${Date.now()}`,
        dir,
        localIp: a.ip,
        localPort: 5060,
        mediaPort: 7000,
        vars: behaviourVars(id, behaviour, audioPcap),
        timeoutSeconds: opts.timeoutSeconds ?? 120,
      });
    },
    async unregister(id) {
      const a = agents.get(id);
      if (!a) throw new Error(`no lab agent ${id}`);
      await register(a, 0);
    },
    peer(name, behaviour, opts = {}) {
      const peerIp = peerIps[name];
      if (!peerIp) throw new Error(`no lab peer ${name}`);
      return startSipp({
        scenario: scenarioOf(behaviour),
        name: `${name}-${Date.now()}`,
        dir,
        localIp: peerIp,
        localPort: 5060,
        mediaPort: 7000,
        vars: behaviourVars(name, behaviour, audioPcap),
        timeoutSeconds: opts.timeoutSeconds ?? 120,
      });
    },
    call(o) {
      const waits = o.waitByeMs !== undefined;
      return startSipp({
        scenario: waits ? 'caller-waits-bye.xml' : 'caller-hangs-up.xml',
        name: `caller-${o.dialed}-${Date.now()}`,
        dir,
        localIp: carrierIp,
        localPort: 5060,
        mediaPort: 6000,
        remote: `${ip}:${sipPort}`,
        vars: {
          DIALED: o.dialed,
          CALLER: o.caller,
          PCAP: o.pcap ?? audioPcap,
          ANSWER_WITHIN_MS: o.answerWithinMs ?? 30_000,
          TALK_MS: o.talkMs ?? 0,
          WAIT_MS: o.waitByeMs ?? 0,
        },
        timeoutSeconds: o.timeoutSeconds ?? 120,
      });
    },
    async ready(id) {
      await loginReady(api, id);
    },
    async logout(id) {
      await api('POST', `/agents/${id}/logout`);
    },
    async settled(what, ms = 30_000) {
      await waitFor(
        `${what}: no channel and no bridge left in Asterisk`,
        async () => {
          const [channels, bridges] = await Promise.all([ari('GET', '/channels'), ari('GET', '/bridges')]);
          return (channels.body as unknown[]).length === 0 && (bridges.body as unknown[]).length === 0;
        },
        ms,
        200,
      );
    },
    async endScenario({ scenario, loggedIn, phones = [] }) {
      if (scenario.failed) console.error(`lab logs of the failed scenario: ${lab.keepLogs(scenario.name)}`);
      killAllSipp();
      for (const id of loggedIn) await lab.logout(id).catch(() => undefined);
      for (const id of new Set([...loggedIn, ...phones])) await lab.unregister(id).catch(() => undefined);
      loggedIn.clear();
      await lab.settled('after the scenario');
    },
    keepLogs(name) {
      const slug = `${name.replace(/[^A-Za-z0-9]+/g, '-').slice(0, 80)}-${Date.now()}`;
      const to = resolve(process.env.HOTLINE_LAB_FAILURES ?? join(ROOT, 'test-results/lab-failures'), slug);
      mkdirSync(to, { recursive: true });
      for (const f of readdirSync(dir, { withFileTypes: true })) {
        if (f.isFile() && /\.(log|out)$/.test(f.name)) copyFileSync(join(dir, f.name), join(to, f.name));
      }
      return to;
    },
    stop,
    asteriskLog: () => (existsSync(asteriskLogPath) ? readFileSync(asteriskLogPath, 'utf8') : ''),
    ariTrace(from = 0) {
      const text = existsSync(asteriskLogPath) ? readFileSync(asteriskLogPath, 'utf8') : '';
      return parseAriDebug(text)
        .filter((e) => e.kind === 'event' || e.peer.startsWith(`${engineSide}:`))
        .slice(from);
    },
  };
  if (process.env.HOTLINE_LAB_TRACES) await rx('ari set debug all on');

  async function register(a: LabAgent, expires: number): Promise<void> {
    const run = startSipp({
      scenario: 'register.xml',
      name: `${a.id}-register-${expires}-${Date.now()}`,
      dir,
      localIp: a.ip,
      localPort: 5060,
      mediaPort: 7000,
      remote: `${ip}:${sipPort}`,
      vars: { USER: a.id, EXPIRES: expires },
      auth: { user: a.id, password: a.password },
      timeoutSeconds: 20,
    });
    const { code } = await run.exited;
    if (code !== 0) throw new Error(`REGISTER of ${a.id} (expires ${expires}) failed\n${run.diagnostics()}`);
  }

  return lab;
}

function scenarioOf(b: AgentBehaviour): string {
  return {
    answers: 'agent-answers.xml',
    'answers-hangs-up': 'agent-answers-hangs-up.xml',
    busy: 'agent-busy.xml',
    'never-answers': 'agent-never-answers.xml',
  }[b.kind];
}

function behaviourVars(user: string, b: AgentBehaviour, pcap: string): Record<string, string | number> {
  return {
    USER: user,
    PCAP: pcap,
    INVITE_WITHIN_MS: 120_000,
    ANSWER_AFTER_MS: 'afterMs' in b ? (b.afterMs ?? 0) : 0,
    TALK_MS: b.kind === 'answers-hangs-up' ? b.talkMs : 0,
    BYE_WITHIN_MS: 120_000,
    CANCEL_WITHIN_MS: 120_000,
  };
}
