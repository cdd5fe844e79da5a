import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashToken, newToken } from '../../../src/admin/tokens.ts';
import type { CallRecord } from '../../../src/records/record.ts';
import { type RunningDrachtio, startDrachtio } from './drachtio.ts';
import type { AgentBehaviour, LabAgentSpec } from './lab.ts';
import { ENGINE_ROOT, LAB_RULES } from './lab.ts';
import {
  type AsteriskNode,
  freePort,
  loginReady,
  type NodeCredentials,
  newCredentials,
  startAsteriskNode,
  startRedis,
  waitFor,
} from './node.ts';
import { writeAlawPcap } from './pcap.ts';
import { killAllSipp, type SippRun, startSipp } from './sipp.ts';

// The lab of issue 19 (test/asterisk/lab/lab.ts is the one-node lab): several Asterisk nodes,
// each on its own loopback address with `systemname` = its name and the project's own dialplan/
// rendered by node.ts (the generated trunks from a peers.yaml with `nodes:`, the carrier matched
// on its own address and the edge's), one Redis, several engines (`hotline serve`, ARI_NODES to
// every node, Stasis apps of their own), the SIP edge (`hotline edge` in front of a private
// drachtio-server), SIPp as the carrier (through the edge, or straight to a node) and as every
// agent's softphone (registered on the agent's node).

export interface ClusterAgentSpec extends LabAgentSpec {
  /** The node whose Asterisk the agent's softphone registers with. */
  node: string;
}

export interface ClusterAgent {
  id: string;
  node: string;
  pools: string[];
  skills: Record<string, number>;
  expertSeats: string[];
  /** The softphone's own address (empty past the first 150 agents). */
  ip: string;
  password: string;
}

export interface ClusterNode extends AsteriskNode {
  name: string;
}

export interface ClusterEngine {
  /** ENGINE_ID: `e1`, `e2`, … */
  id: string;
  apps: string[];
  httpPort: number;
  recordsPath: string;
  pid(): number | undefined;
  running(): boolean;
  output(): string;
}

export interface ClusterSpec {
  nodes: string[];
  engines: number;
  agents: ClusterAgentSpec[];
  /**
   * How the engines reach the nodes: `nodes` (default: every engine to every node, ARI_NODES) or
   * `per-node` (engine i to node i with ARI_URL, for an engine without ARI_NODES).
   */
  engineMode?: 'nodes' | 'per-node';
  /** Start the edge (needs drachtio-server): default true. */
  edge?: boolean;
  /** Extra environment of every engine / of the edge. */
  engineEnv?: Record<string, string>;
  edgeEnv?: Record<string, string>;
}

export interface Cluster {
  dir: string;
  /** The loopback /24 of this cluster: `127.x.y`. */
  net: string;
  nodes: Map<string, ClusterNode>;
  /** The edge's SIP address (its drachtio-server listens on edgeIp:5060). */
  edgeIp: string;
  carrierIp: string;
  /** A second carrier address (matched as the carrier too): calls straight to a node. */
  directCarrierIp: string;
  agents: Map<string, ClusterAgent>;
  engines: ClusterEngine[];
  redisUrl: string;
  credentials: NodeCredentials;
  audioPcap: string;
  /** Every app the dialplan spreads calls over (the engines' apps together). */
  apps: string[];
  /** The engine's HTTP API (first running engine unless `engine` names one) as supervisor. */
  api(
    method: string,
    path: string,
    body?: unknown,
    engine?: number,
  ): Promise<{ status: number; body: unknown }>;
  apiAs(
    agentId: string,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: unknown }>;
  /**
   * One series of the engines' /metrics (`name{labels}` as written), summed over the running
   * engines (0 where an engine does not show it).
   */
  engineCounter(series: string): Promise<number>;
  /** Every engine's records, in the order written per engine. */
  records(): CallRecord[];
  /** An agent's softphone registered on its node, then running the behaviour as a UAS. */
  agent(id: string, behaviour: AgentBehaviour, opts?: { timeoutSeconds?: number }): Promise<SippRun>;
  unregister(id: string): Promise<void>;
  /** The carrier's call: through the edge (default) or straight to a node. */
  call(opts: {
    dialed: string;
    caller: string;
    to?: 'edge' | string;
    talkMs?: number;
    answerWithinMs?: number;
    timeoutSeconds?: number;
  }): SippRun;
  /** An INVITE the edge must refuse with `status` (404, 503). */
  refused(opts: { dialed: string; caller: string; status: number }): SippRun;
  ready(id: string): Promise<void>;
  logout(id: string): Promise<void>;
  /** Waits until no running node holds a channel or a bridge. */
  settled(what: string, ms?: number): Promise<void>;
  /** SIGKILLs a node's Asterisk (its SIP, ARI and AMI vanish at once). */
  killNode(name: string): Promise<void>;
  /** Starts a killed node again on the same address and configuration. */
  restartNode(name: string): Promise<void>;
  startEngine(index: number): Promise<void>;
  /** Signals an engine (SIGKILL by default) and waits for it to exit. */
  killEngine(index: number, signal?: NodeJS.Signals): Promise<void>;
  startEdge(env?: Record<string, string>): Promise<void>;
  stopEdge(): Promise<void>;
  edgeOutput(): string;
  /** The edge's own HTTP (/metrics, /health). */
  edgeHttp(path: string): Promise<{ status: number; body: string }>;
  stop(): Promise<void>;
}

export { hasDrachtio } from './drachtio.ts';

/** Node `a` sits at `<net>.21`, `b` at `<net>.22`, … */
const NODE_HOST = 21;

export async function startCluster(spec: ClusterSpec): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), 'hotline-lab-'));
  const net = `127.${100 + Math.floor(Math.random() * 150)}.${Math.floor(Math.random() * 250)}`;
  const carrierIp = `${net}.2`;
  const directCarrierIp = `${net}.3`;
  const edgeIp = `${net}.5`;
  const nodeIps = new Map(spec.nodes.map((n, i) => [n, `${net}.${NODE_HOST + i}`]));
  for (const a of spec.agents) {
    if (!nodeIps.has(a.node)) throw new Error(`agent ${a.id}: no node ${a.node} in the cluster`);
  }
  const agents = new Map<string, ClusterAgent>();
  spec.agents.forEach((a, i) => {
    agents.set(a.id, {
      id: a.id,
      node: a.node,
      pools: a.pools ?? ['general'],
      skills: a.skills ?? { general: 5 },
      expertSeats: a.expertSeats ?? [],
      // a softphone address of its own for the first 150 (SIPp per agent); the bench registers
      // many agents from one address of its own instead
      ip: i < 150 ? `${net}.${40 + i}` : '',
      password: newToken('lab').slice(0, 24),
    });
  });
  const engineApps = Array.from({ length: spec.engines }, (_, i) => [
    `hotline-${2 * i + 1}`,
    `hotline-${2 * i + 2}`,
  ]);
  const apps = engineApps.flat();
  const credentials = newCredentials();
  const audioPcap = join(dir, 'audio.pcap');
  writeAlawPcap(audioPcap, 120);
  // peers.yaml as a deployment writes it: the carrier (also arriving through the edge), the lab
  // plan's trunks (unused here, but the plan dials them), and the nodes.
  const peersYaml = [
    `carrier: { address: ${carrierIp}, match: [${carrierIp}, ${directCarrierIp}, ${edgeIp}] }`,
    `sc-tax: ${net}.6`,
    `emergency: ${net}.7`,
    'nodes:',
    ...[...nodeIps].map(([n, ip]) => `  ${n}: ${ip}`),
    '',
  ].join('\n');
  writeFileSync(join(dir, 'peers.yaml'), peersYaml);

  const nodes = new Map<string, ClusterNode>();
  const nodeSpecs = new Map(
    spec.nodes.map((name, i) => [
      name,
      {
        dir: join(dir, `node-${name}`),
        ip: nodeIps.get(name)!,
        name,
        agents: [...agents.values()],
        rules: LAB_RULES,
        apps,
        peersYaml,
        credentials,
        rtpStart: 20_000 + i * 4000 + Math.floor(Math.random() * 5) * 800,
      },
    ]),
  );
  const children = new Set<ChildProcess>();
  const engineProcs: (ChildProcess | undefined)[] = [];
  let edge: ChildProcess | undefined;
  let drachtio: RunningDrachtio | undefined;
  const stop = async () => {
    killAllSipp();
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await drachtio?.stop().catch(() => undefined);
    await Promise.all([...nodes.values()].map((n) => n.kill()));
    await new Promise((r) => setTimeout(r, 100));
    if (!process.env.HOTLINE_LAB_KEEP) rmSync(dir, { recursive: true, force: true });
  };

  let redis: Awaited<ReturnType<typeof startRedis>>;
  try {
    const started = await Promise.allSettled([
      startRedis(join(dir, 'redis')),
      ...[...nodeSpecs.values()].map((s) => startAsteriskNode(s)),
    ]);
    for (const s of started.slice(1)) {
      if (s.status === 'fulfilled') {
        const n = s.value as AsteriskNode;
        nodes.set(n.name!, { ...n, name: n.name! });
      }
    }
    if (started[0]!.status === 'fulfilled') children.add(started[0]!.value.process);
    const failed = started.find((s) => s.status === 'rejected') as PromiseRejectedResult | undefined;
    if (failed) throw failed.reason;
    redis = (started[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof startRedis>>>).value;
    // The nodes start together, so a node's first OPTIONS to a peer can go out before that peer
    // listens: the trunk then shows Unavailable until the next qualify round (5 s). A cluster is
    // up when every node reaches every other node through its trunk, as a deployment's is.
    for (const [name, node] of nodes) {
      for (const other of nodes.keys()) {
        if (other === name) continue;
        await waitFor(`node ${name} to reach node ${other} through the trunk node-${other}`, async () =>
          (await node.rx('pjsip show contacts'))
            .split('\n')
            .some((l) => l.includes(`node-${other}/`) && /\bAvail\b/.test(l)),
        );
      }
    }
  } catch (err) {
    await stop();
    throw err;
  }

  // Accounts and roster shared by every engine.
  const supervisorToken = newToken('lab-supervisor');
  const agentTokens = new Map([...agents.keys()].map((id) => [id, newToken(id)]));
  writeFileSync(
    join(dir, 'tokens.yaml'),
    [
      'tokens:',
      `  - { id: lab-supervisor, role: supervisor, hash: "${hashToken(supervisorToken)}" }`,
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
  const engines: ClusterEngine[] = [];
  const engineOut: string[] = [];
  for (let i = 0; i < spec.engines; i++) {
    const id = `e${i + 1}`;
    engines.push({
      id,
      apps: engineApps[i]!,
      httpPort: await freePort('127.0.0.1'),
      recordsPath: join(dir, `records-${id}.jsonl`),
      pid: () => engineProcs[i]?.pid,
      running: () => {
        const p = engineProcs[i];
        return !!p && p.exitCode === null && p.signalCode === null;
      },
      output: () => engineOut[i] ?? '',
    });
  }
  const mode = spec.engineMode ?? 'nodes';
  const nodeList = () => spec.nodes.map((n) => ({ name: n, ip: nodeIps.get(n)!, node: nodes.get(n)! }));

  const engineEnv = (i: number): Record<string, string> => {
    const e = engines[i]!;
    const reach =
      mode === 'nodes'
        ? {
            ARI_NODES: nodeList()
              .map((n) => `${n.name}=http://${n.ip}:${n.node.httpPort}`)
              .join(','),
            AMI_NODES: nodeList()
              .map((n) => `${n.name}=tcp://${n.ip}:${n.node.amiPort}`)
              .join(','),
          }
        : (() => {
            const n = nodeList()[i];
            if (!n) throw new Error(`per-node engines: no node for engine ${e.id}`);
            return {
              ARI_URL: `http://${n.ip}:${n.node.httpPort}`,
              AMI_URL: `tcp://${n.ip}:${n.node.amiPort}`,
            };
          })();
    // Each engine reads one node's safety-net spool (engine i: node i, the last node for the rest).
    const spoolNode = nodeList()[Math.min(i, spec.nodes.length - 1)]!.node;
    return {
      ...reach,
      ARI_USER: credentials.ariUser,
      ARI_PASSWORD: credentials.ariPassword,
      ARI_APP: e.apps.join(','),
      AMI_USER: credentials.amiUser,
      AMI_SECRET: credentials.amiSecret,
      REDIS_URL: redis.url,
      ENGINE_ID: e.id,
      // every engine takes over the calls of the others while their process is dead
      ...(spec.engines > 1
        ? {
            ENGINE_TAKEOVER: engines
              .filter((x) => x.id !== e.id)
              .map((x) => x.id)
              .join(','),
          }
        : {}),
      HOTLINE_ROSTER: join(dir, 'roster.yaml'),
      HOTLINE_TOKENS: join(dir, 'tokens.yaml'),
      HOTLINE_RECORDS: e.recordsPath,
      SAFETY_NET_SPOOL: spoolNode.spool,
      SAFETY_NET_SCAN_SECONDS: '2',
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: String(e.httpPort),
      LOG_LEVEL: 'debug',
      // not a scenario about overload: no call is shed on a busy machine
      ADMISSION: 'off',
      ...spec.engineEnv,
    };
  };

  const startEngine = async (i: number) => {
    const e = engines[i]!;
    engineOut[i] = '';
    const log = join(dir, `engine-${e.id}.log`);
    const child = spawn(
      process.execPath,
      [join(ENGINE_ROOT, 'bin/hotline.js'), 'serve', '--rules', LAB_RULES],
      {
        cwd: ENGINE_ROOT,
        env: { ...process.env, ...engineEnv(i) },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    engineProcs[i] = child;
    children.add(child);
    const onData = (d: Buffer) => {
      engineOut[i] = (engineOut[i]! + d.toString()).slice(-2_000_000);
      appendFileSync(log, d);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    await waitFor(
      `engine ${e.id} serving`,
      () => {
        if (child.exitCode !== null)
          throw new Error(`engine ${e.id} exited ${child.exitCode}: ${engineOut[i]!.slice(-2000)}`);
        return engineOut[i]!.includes('hotline is serving');
      },
      60_000,
    );
    const reached = mode === 'nodes' ? nodeList() : [nodeList()[i]!];
    for (const n of reached) {
      if (!n.node.running()) continue;
      await waitFor(
        `engine ${e.id} to register ${e.apps.join(',')} on node ${n.name}`,
        async () => {
          const r = await n.node.ari('GET', '/applications');
          const names = (r.body as { name: string }[]).map((a) => a.name);
          return e.apps.every((a) => names.includes(a));
        },
        30_000,
      );
    }
  };

  const killEngine = async (i: number, signal: NodeJS.Signals = 'SIGKILL') => {
    const child = engineProcs[i];
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill(signal);
    await Promise.race([gone, new Promise((r) => setTimeout(r, 15_000))]);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await gone;
    }
  };

  const apiWith = async (token: string, method: string, path: string, body?: unknown, engine?: number) => {
    const e = engine !== undefined ? engines[engine] : (engines.find((x) => x.running()) ?? engines[0]);
    if (!e) throw new Error('no engine in the cluster');
    const res = await fetch(`http://127.0.0.1:${e.httpPort}${path}`, {
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
  const api = (method: string, path: string, body?: unknown, engine?: number) =>
    apiWith(supervisorToken, method, path, body, engine);

  const register = async (a: ClusterAgent, expires: number) => {
    const node = nodes.get(a.node)!;
    if (!a.ip)
      throw new Error(`agent ${a.id}: no softphone address of its own (the first 150 agents have one)`);
    const run = startSipp({
      scenario: 'register.xml',
      name: `${a.id}-register-${expires}-${Date.now()}`,
      dir,
      localIp: a.ip,
      localPort: 5060,
      mediaPort: 7000,
      remote: `${node.ip}:${node.sipPort}`,
      vars: { USER: a.id, EXPIRES: expires },
      auth: { user: a.id, password: a.password },
      timeoutSeconds: 20,
    });
    const { code } = await run.exited;
    if (code !== 0)
      throw new Error(`REGISTER of ${a.id} on ${a.node} (expires ${expires}) failed\n${run.diagnostics()}`);
  };

  // --- the edge: a private drachtio-server and `hotline edge` -------------------------------
  let edgeOut = '';
  const edgeHttpPort = await freePort('127.0.0.1');
  const drachtioSecret = newToken('drachtio').slice(0, 24);
  const startEdge = async (env: Record<string, string> = {}) => {
    if (!drachtio) {
      drachtio = await startDrachtio({
        sipAddress: edgeIp,
        dir: join(dir, 'drachtio'),
        secret: drachtioSecret,
      });
    }
    edgeOut = '';
    const d = drachtio;
    const child = spawn(process.execPath, [join(ENGINE_ROOT, 'bin/hotline.js'), 'edge'], {
      cwd: ENGINE_ROOT,
      env: {
        ...process.env,
        DRACHTIO_URL: `tcp://127.0.0.1:${d.adminPort}`,
        DRACHTIO_SECRET: drachtioSecret,
        EDGE_NODES: nodeList()
          .map((n) => `${n.name}=${n.ip}:5060`)
          .join(','),
        HOTLINE_RULES: LAB_RULES,
        REDIS_URL: redis.url,
        EDGE_PEERS: join(dir, 'peers.yaml'),
        HTTP_HOST: '127.0.0.1',
        HTTP_PORT: String(edgeHttpPort),
        LOG_LEVEL: 'debug',
        ...spec.edgeEnv,
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    edge = child;
    children.add(child);
    const onData = (b: Buffer) => {
      edgeOut = (edgeOut + b.toString()).slice(-2_000_000);
      appendFileSync(join(dir, 'edge.log'), b);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    await waitFor(
      'the edge to answer /health',
      async () => {
        if (child.exitCode !== null)
          throw new Error(`the edge exited ${child.exitCode}: ${edgeOut.slice(-2000)}`);
        return (await fetch(`http://127.0.0.1:${edgeHttpPort}/health`)).ok;
      },
      60_000,
      250,
    );
    // taking calls: every running node up by OPTIONS and, with Redis, reported by an engine
    const expected = nodeList()
      .filter((n) => n.node.running())
      .map((n) => n.name);
    let last = '';
    await waitFor(
      () => `the edge to see nodes ${expected.join(', ')} up and reachable (last /health ${last})`,
      async () => {
        last = await (await fetch(`http://127.0.0.1:${edgeHttpPort}/health`)).text();
        const h = JSON.parse(last) as { nodes?: { name: string; up: boolean; ari: boolean }[] };
        return expected.every((n) => h.nodes?.some((x) => x.name === n && x.up && x.ari));
      },
      30_000,
      250,
    );
  };
  const stopEdge = async () => {
    const child = edge;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await Promise.race([gone, new Promise((r) => setTimeout(r, 10_000))]);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await gone;
    }
  };

  let callSeq = 0;
  const nextPorts = () => {
    const k = callSeq++ % 200;
    return { localPort: 5100 + k, mediaPort: 8000 + 8 * k };
  };

  const cluster: Cluster = {
    dir,
    net,
    nodes,
    edgeIp,
    carrierIp,
    directCarrierIp,
    agents,
    engines,
    redisUrl: redis.url,
    credentials,
    audioPcap,
    apps,
    api,
    apiAs(agentId, method, path, body) {
      const token = agentTokens.get(agentId);
      if (!token) throw new Error(`no cluster agent ${agentId}`);
      return apiWith(token, method, path, body);
    },
    async engineCounter(series) {
      let n = 0;
      for (const [i, e] of engines.entries()) {
        if (!e.running()) continue;
        const text = String((await api('GET', '/metrics', undefined, i)).body);
        const line = text.split('\n').find((l) => l.startsWith(`${series} `));
        n += Number(line?.slice(series.length + 1) ?? 0);
      }
      return n;
    },
    records() {
      return engines.flatMap((e) =>
        existsSync(e.recordsPath)
          ? readFileSync(e.recordsPath, 'utf8')
              .split('\n')
              .filter((l) => l.trim())
              .map((l) => JSON.parse(l) as CallRecord)
          : [],
      );
    },
    async agent(id, behaviour, opts = {}) {
      const a = agents.get(id);
      if (!a) throw new Error(`no cluster agent ${id}`);
      if (!a.ip)
        throw new Error(`agent ${id}: no softphone address of its own (the first 150 agents have one)`);
      await register(a, 120);
      return startSipp({
        scenario: {
          answers: 'agent-answers.xml',
          'answers-hangs-up': 'agent-answers-hangs-up.xml',
          busy: 'agent-busy.xml',
          'never-answers': 'agent-never-answers.xml',
        }[behaviour.kind],
        name: `${id}-${Date.now()}`,
        dir,
        localIp: a.ip,
        localPort: 5060,
        mediaPort: 7000,
        vars: {
          USER: id,
          PCAP: audioPcap,
          INVITE_WITHIN_MS: 120_000,
          ANSWER_AFTER_MS: 'afterMs' in behaviour ? (behaviour.afterMs ?? 0) : 0,
          TALK_MS: behaviour.kind === 'answers-hangs-up' ? behaviour.talkMs : 0,
          BYE_WITHIN_MS: 120_000,
          CANCEL_WITHIN_MS: 120_000,
        },
        timeoutSeconds: opts.timeoutSeconds ?? 120,
      });
    },
    async unregister(id) {
      const a = agents.get(id);
      if (!a) throw new Error(`no cluster agent ${id}`);
      await register(a, 0);
    },
    call(o) {
      const to = o.to ?? 'edge';
      const node = to === 'edge' ? undefined : nodes.get(to);
      if (to !== 'edge' && !node) throw new Error(`no node ${to}`);
      return startSipp({
        scenario: node ? 'caller-hangs-up.xml' : 'edge-caller.xml',
        name: `caller-${o.dialed}-${o.caller.slice(-4)}-${Date.now()}`,
        dir,
        localIp: node ? directCarrierIp : carrierIp,
        // several calls at once: each SIPp on ports of its own
        ...nextPorts(),
        remote: node ? `${node.ip}:${node.sipPort}` : `${edgeIp}:5060`,
        vars: {
          DIALED: o.dialed,
          CALLER: o.caller,
          PCAP: audioPcap,
          ANSWER_WITHIN_MS: o.answerWithinMs ?? 30_000,
          TALK_MS: o.talkMs ?? 0,
        },
        timeoutSeconds: o.timeoutSeconds ?? 120,
      });
    },
    refused(o) {
      return startSipp({
        scenario: 'edge-caller-refused.xml',
        name: `refused-${o.dialed}-${Date.now()}`,
        dir,
        localIp: carrierIp,
        ...nextPorts(),
        remote: `${edgeIp}:5060`,
        vars: { DIALED: o.dialed, CALLER: o.caller, STATUS: o.status, ANSWER_WITHIN_MS: 10_000 },
        timeoutSeconds: 20,
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
        `${what}: no channel and no bridge left on any running node`,
        async () => {
          for (const n of nodes.values()) {
            if (!n.running()) continue;
            const [channels, bridges] = await Promise.all([
              n.ari('GET', '/channels'),
              n.ari('GET', '/bridges'),
            ]);
            if ((channels.body as unknown[]).length || (bridges.body as unknown[]).length) return false;
          }
          return true;
        },
        ms,
        200,
      );
    },
    async killNode(name) {
      const n = nodes.get(name);
      if (!n) throw new Error(`no node ${name}`);
      await n.kill('SIGKILL');
    },
    async restartNode(name) {
      const s = nodeSpecs.get(name);
      const old = nodes.get(name);
      if (!s || !old) throw new Error(`no node ${name}`);
      if (old.running()) throw new Error(`node ${name} is running`);
      rmSync(s.dir, { recursive: true, force: true });
      // the same ports: the engines and the edge know the node by them
      const n = await startAsteriskNode({ ...s, httpPort: old.httpPort, amiPort: old.amiPort });
      nodes.set(name, { ...n, name });
    },
    startEngine,
    killEngine,
    startEdge,
    stopEdge,
    edgeOutput: () => edgeOut,
    async edgeHttp(path) {
      const res = await fetch(`http://127.0.0.1:${edgeHttpPort}${path}`);
      return { status: res.status, body: await res.text() };
    },
    stop,
  };

  try {
    for (let i = 0; i < spec.engines; i++) await startEngine(i);
    if (spec.edge ?? true) await startEdge();
  } catch (err) {
    await stop();
    throw err;
  }
  return cluster;
}
