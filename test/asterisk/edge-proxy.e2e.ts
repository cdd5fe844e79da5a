import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisVersionStore } from '../../src/admin/redis-versions.ts';
import { UNALLOCATED_REASON } from '../../src/edge/sip-app.ts';
import { DRACHTIO_BIN, hasDrachtio, type RunningDrachtio, startDrachtio } from './lab/drachtio.ts';
import { LAB_RULES, ROOT, waitFor } from './lab/lab.ts';
import { startRedis } from './lab/node.ts';
import { headerValues, killAllSipp, type SippRun, startSipp } from './lab/sipp.ts';

// The SIP edge (`hotline edge`) on a real drachtio-server 0.9.10, with two SIPp UAS standing in
// for two Asterisk nodes, each on a loopback address of its own, and SIPp as the carrier. No
// Asterisk, no Redis: every node up by OPTIONS counts as reachable by an engine.

const hasSipp = (() => {
  try {
    execFileSync('sipp', ['-v'], { stdio: 'ignore' });
    return true;
  } catch (err) {
    // `sipp -v` exits non-zero on some builds but runs: only ENOENT means it is missing.
    return (err as NodeJS.ErrnoException).code !== 'ENOENT';
  }
})();
const missing = [hasDrachtio() ? '' : `drachtio-server (${DRACHTIO_BIN})`, hasSipp ? '' : 'sipp']
  .filter(Boolean)
  .join(' and ');

const OPTIONS_MS = 500;
const RETRY_AFTER = 7;
const TRYING_TIMEOUT_MS = 400;
/** EDGE_NODE_MAX_CALLS of the Redis lab. */
const MAX_CALLS = 20;

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });

interface Health {
  ok: boolean;
  takesCalls: boolean;
  shared: boolean;
  nodes: {
    name: string;
    up: boolean;
    ari: boolean;
    calls: number;
    invites: number;
    failures: number;
    optionsRttMs: number | null;
  }[];
  trunks: { name: string; up: boolean; rttMs: number | null }[];
}

type NodeName = 'a' | 'b';

/**
 * One edge lab: a private drachtio-server on `<net>.5`, SIPp nodes a and b on `<net>.21`/`.22`
 * (edge-node.xml unless replaced), the carrier's calls from `<net>.2`, and `hotline edge` with
 * `env` over the lab defaults.
 */
function edgeLab(env: (net: string, dir: string) => Record<string, string> = () => ({})) {
  const net = `127.${100 + Math.floor(Math.random() * 150)}.${Math.floor(Math.random() * 250)}`;
  const edgeIp = `${net}.5`;
  const carrierIp = `${net}.2`;
  const nodeIp: Record<NodeName, string> = { a: `${net}.21`, b: `${net}.22` };
  const nodes: Record<NodeName, SippRun | undefined> = { a: undefined, b: undefined };
  const lab = {
    net,
    dir: '',
    drachtio: undefined as RunningDrachtio | undefined,
    edge: undefined as ChildProcess | undefined,
    edgeOut: '',
    httpPort: 0,
    nodes,
    seq: 0,
  };
  const health = async (): Promise<Health> =>
    (await (await fetch(`http://127.0.0.1:${lab.httpPort}/health`)).json()) as Health;
  const metrics = async () => (await fetch(`http://127.0.0.1:${lab.httpPort}/metrics`)).text();
  const nodeUp = async (name: NodeName, up: boolean) =>
    (await health()).nodes.find((n) => n.name === name)?.up === up;
  const startNode = (name: NodeName, scenario = 'edge-node.xml') => {
    nodes[name] = startSipp({
      scenario,
      name: `node-${name}-${lab.seq++}`,
      dir: lab.dir,
      localIp: nodeIp[name],
      localPort: 5060,
      mediaPort: name === 'a' ? 7000 : 7002,
      vars: { NODE: name },
      timeoutSeconds: 600,
    });
    return nodes[name]!;
  };
  const stopNode = async (name: NodeName) => {
    const run = nodes[name];
    if (!run) return;
    run.kill('SIGCONT');
    run.kill('SIGKILL');
    await run.exited;
    nodes[name] = undefined;
  };
  /**
   * Replaces a node's SIPp; resolves once the edge has seen the new one answer OPTIONS (the
   * second OPTIONS it received proves the first answer was taken in).
   */
  const restartNode = async (name: NodeName, scenario = 'edge-node.xml') => {
    await stopNode(name);
    const run = startNode(name, scenario);
    await waitFor(
      `node ${name} (${scenario}) to answer OPTIONS`,
      async () => run.received('OPTIONS').length >= 2 && (await nodeUp(name, true)),
      10_000,
      50,
    );
  };
  const invitesAt = (name: NodeName) => nodes[name]?.received('INVITE').length ?? 0;
  /** One carrier call through the edge; resolves with its SIPp run once it ended. */
  const call = async (scenario: string, vars: Record<string, string | number>) => {
    const k = lab.seq++;
    const run = startSipp({
      scenario,
      name: `carrier-${k}`,
      dir: lab.dir,
      localIp: carrierIp,
      localPort: 5100 + (k % 400),
      mediaPort: 8000 + 2 * (k % 400),
      remote: `${edgeIp}:5060`,
      vars: { CALLER: '13800138000', ANSWER_WITHIN_MS: 8000, TALK_MS: 0, ...vars },
      timeoutSeconds: 30,
    });
    const { code } = await run.exited;
    return { run, code };
  };
  const answered = async (number = '12345') => {
    const { run, code } = await call('edge-carrier.xml', { NUMBER: number });
    expect(code, run.diagnostics()).toBe(0);
    return run;
  };
  const refused = async (status: number, number = '12345') => {
    const { run, code } = await call('edge-carrier-refused.xml', { NUMBER: number, STATUS: status });
    expect(code, run.diagnostics()).toBe(0);
    return run.received(String(status))[0]!;
  };
  /** The carrier's OPTIONS to the edge, which must answer `status`. */
  const pinged = async (status: number) => {
    const { run, code } = await call('edge-carrier-options.xml', { STATUS: status });
    expect(code, run.diagnostics()).toBe(0);
    return run.received(String(status))[0]!;
  };
  const start = async (ready: (h: Health) => boolean = (h) => h.ok && h.nodes.every((n) => n.up)) => {
    lab.dir = mkdtempSync(join(tmpdir(), 'hotline-edge-e2e-'));
    const drachtio = await startDrachtio({ sipAddress: edgeIp, dir: join(lab.dir, 'drachtio') });
    lab.drachtio = drachtio;
    startNode('a');
    startNode('b');
    lab.httpPort = await freePort();
    const edge = spawn(process.execPath, [join(ROOT, 'bin/hotline.js'), 'edge'], {
      cwd: ROOT,
      env: {
        ...process.env,
        DRACHTIO_URL: `tcp://127.0.0.1:${drachtio.adminPort}`,
        DRACHTIO_SECRET: drachtio.secret,
        EDGE_NODES: `a=${nodeIp.a}:5060,b=${nodeIp.b}:5060`,
        EDGE_OPTIONS_MS: String(OPTIONS_MS),
        EDGE_RETRY_AFTER_SECONDS: String(RETRY_AFTER),
        EDGE_TRYING_TIMEOUT_MS: String(TRYING_TIMEOUT_MS),
        HOTLINE_RULES: LAB_RULES,
        REDIS_URL: '',
        EDGE_PEERS: '',
        HTTP_HOST: '127.0.0.1',
        HTTP_PORT: String(lab.httpPort),
        LOG_LEVEL: 'info',
        ...env(net, lab.dir),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    lab.edge = edge;
    const onData = (b: Buffer) => {
      lab.edgeOut = (lab.edgeOut + b.toString()).slice(-200_000);
      appendFileSync(join(lab.dir, 'edge.log'), b);
    };
    edge.stdout!.on('data', onData);
    edge.stderr!.on('data', onData);
    await waitFor(
      () => `the edge to start\n${lab.edgeOut.slice(-3000)}\n${drachtio.output()}`,
      async () => {
        if (edge.exitCode !== null) throw new Error(`the edge exited ${edge.exitCode}: ${lab.edgeOut}`);
        return ready(await health());
      },
      30_000,
      100,
    );
  };
  const stop = async () => {
    killAllSipp();
    const edge = lab.edge;
    if (edge && edge.exitCode === null && edge.signalCode === null) {
      const gone = new Promise((r) => edge.once('exit', r));
      edge.kill('SIGTERM');
      await gone;
    }
    await lab.drachtio?.stop();
    if (lab.dir && !process.env.HOTLINE_LAB_KEEP) rmSync(lab.dir, { recursive: true, force: true });
  };
  return {
    lab,
    nodes,
    health,
    metrics,
    nodeUp,
    startNode,
    restartNode,
    invitesAt,
    answered,
    refused,
    pinged,
    start,
    stop,
  };
}

describe.skipIf(missing !== '')(
  `the SIP edge on drachtio-server, without Redis${missing ? ` (skipped: ${missing} not installed)` : ''}`,
  () => {
    const {
      lab,
      nodes,
      health,
      metrics,
      nodeUp,
      restartNode,
      invitesAt,
      answered,
      refused,
      pinged,
      start,
      stop,
    } = edgeLab();
    beforeAll(() => start());
    afterAll(() => stop());

    it('refuses a number the plan does not answer with 404 and a Q.850 reason, no node asked', async () => {
      const before = invitesAt('a') + invitesAt('b');
      const response = await refused(404, '99999');
      expect(headerValues(response, 'Reason')).toEqual([UNALLOCATED_REASON]);
      expect(invitesAt('a') + invitesAt('b')).toBe(before);
      expect(await metrics()).toContain('hotline_edge_refused_total{status="404"} 1');
      expect(lab.edgeOut).toContain('unallocated');
      expect(lab.edgeOut).not.toContain('13800138000');
    });

    it('spreads calls over both nodes, and the edge leaves the dialog once it is set up', async () => {
      const before = { a: invitesAt('a'), b: invitesAt('b') };
      for (let i = 0; i < 6; i++) await answered();
      expect(invitesAt('a') - before.a).toBe(3);
      expect(invitesAt('b') - before.b).toBe(3);
      // The BYE went straight to the node: no BYE reached drachtio's app side.
      expect(nodes.a!.received('BYE').length + nodes.b!.received('BYE').length).toBeGreaterThanOrEqual(6);
      const text = await metrics();
      expect(text).toMatch(/hotline_edge_node_invites_total\{node="a"\} [3-9]/);
      expect(text).toMatch(/hotline_edge_node_up\{node="b"\} 1/);
    });

    it('moves a call on to the other node when a node answers 503', async () => {
      await restartNode('b', 'edge-node-busy.xml');
      const before = { a: invitesAt('a') };
      for (let i = 0; i < 4; i++) await answered();
      // Every call was answered by a; b, first for about half of them, answered 503 each time.
      expect(invitesAt('a') - before.a).toBe(4);
      const busy = invitesAt('b');
      expect(busy).toBeGreaterThanOrEqual(1);
      expect(nodes.b!.messages().filter((m) => m.direction === 'sent' && m.method === '503').length).toBe(
        busy,
      );
      const text = await metrics();
      expect(text).toMatch(/hotline_edge_node_retries_total\{node="a"\} [1-9]/);
      expect(text).toMatch(/hotline_edge_node_failures_total\{node="b"\} [1-9]/);
      await restartNode('b');
    });

    it('moves a call on to the other node when a node stays silent to the INVITE (no 100 Trying)', async () => {
      await restartNode('b', 'edge-node-silent.xml');
      const before = { a: invitesAt('a') };
      const setupMs: number[] = [];
      for (let i = 0; i < 2; i++) {
        const started = Date.now();
        await answered();
        setupMs.push(Date.now() - started);
      }
      // b came first for one of the two calls: that call waited the Trying timeout, then a took it.
      expect(invitesAt('a') - before.a).toBe(2);
      expect(invitesAt('b')).toBeGreaterThanOrEqual(1);
      expect(Math.max(...setupMs)).toBeGreaterThanOrEqual(TRYING_TIMEOUT_MS);
      expect(await metrics()).toMatch(/hotline_edge_node_failures_total\{node="b"\} [1-9]/);
      console.log(
        `edge-proxy: call setup ${setupMs.join(' ms, ')} ms with a silent node (Trying timeout ${TRYING_TIMEOUT_MS} ms)`,
      );
      await restartNode('b');
    });

    it('marks a node that stops answering OPTIONS down within one interval; new calls go to the other', async () => {
      // SIGSTOP: the node's socket stays open but nothing answers (a hung Asterisk).
      const stoppedAt = Date.now();
      nodes.a!.kill('SIGSTOP');
      await waitFor('node a down', () => nodeUp('a', false), 5_000, 20);
      const tookMs = Date.now() - stoppedAt;
      // The first OPTIONS after the stop goes at most one interval later and counts as
      // unanswered half an interval after it was sent (the slack is for a busy machine).
      expect(tookMs).toBeLessThanOrEqual(OPTIONS_MS * 2);
      const before = invitesAt('b');
      for (let i = 0; i < 3; i++) await answered();
      expect(invitesAt('b') - before).toBe(3);
      nodes.a!.kill('SIGCONT');
      await waitFor('node a up again', () => nodeUp('a', true), 5_000, 20);
      console.log(`edge-proxy: node a marked down ${tookMs} ms after it stopped answering`);
    });

    it('answers 503 with Retry-After when no node may take the call', async () => {
      nodes.a!.kill('SIGSTOP');
      nodes.b!.kill('SIGSTOP');
      try {
        await waitFor('both nodes down', async () => (await health()).nodes.every((n) => !n.up), 5_000, 20);
        // Each missed only one OPTIONS so far: suspect, still tried while no node is up; at the
        // next miss neither may take a call.
        await waitFor('no node to take a call', async () => !(await health()).takesCalls, 5_000, 20);
        const response = await refused(503);
        expect(headerValues(response, 'Retry-After')).toEqual([String(RETRY_AFTER)]);
        expect(await metrics()).toContain('hotline_edge_refused_total{status="503"} 1');
        // The carrier's own OPTIONS to the edge says the same.
        expect(headerValues(await pinged(503), 'Retry-After')).toEqual([String(RETRY_AFTER)]);
      } finally {
        nodes.a!.kill('SIGCONT');
        nodes.b!.kill('SIGCONT');
      }
      await waitFor('both nodes up again', async () => (await health()).nodes.every((n) => n.up), 5_000);
      await answered();
      await pinged(200);
    });

    it('reconnects to drachtio-server after it restarts, and takes calls again', async () => {
      const old = lab.drachtio!;
      await old.stop();
      await waitFor('the edge to see drachtio gone', async () => !(await health()).ok, 10_000, 50);
      lab.drachtio = await startDrachtio({
        sipAddress: old.sipAddress,
        adminPort: old.adminPort,
        secret: old.secret,
        dir: join(lab.dir, 'drachtio-2'),
      });
      await waitFor('the edge to reconnect', async () => (await health()).ok, 15_000, 50);
      await waitFor('both nodes up again', async () => (await health()).nodes.every((n) => n.up), 5_000);
      await answered();
    });

    it('stops on SIGTERM', async () => {
      const gone = new Promise<number | null>((r) => lab.edge!.once('exit', (code) => r(code)));
      lab.edge!.kill('SIGTERM');
      expect(await gone).toBe(0);
    });
  },
);

describe.skipIf(missing !== '')(
  `the SIP edge on drachtio-server, following the engines' reports in Redis${missing ? ` (skipped: ${missing} not installed)` : ''}`,
  () => {
    let redis: { url: string; process: ChildProcess } | undefined;
    let redisDir = '';
    let client: Redis;
    let reporting: NodeJS.Timeout | undefined;
    /** What the stand-in engine reports, every 300 ms, as `hotline serve` would (the lab rules' center is `lab`). */
    let reports: Record<NodeName, { ari: boolean; calls: number }> | undefined = {
      a: { ari: true, calls: 0 },
      b: { ari: true, calls: 0 },
    };
    const report = async () => {
      if (!reports) return;
      const at = Date.now();
      const fields = Object.entries(reports).flatMap(([node, r]) => [
        `${node}|e1`,
        JSON.stringify({ node, engine: 'e1', ari: r.ari, calls: r.calls, at }),
      ]);
      await client.hset('hotline:{lab}:nodes', ...fields);
    };
    const { lab, nodes, health, metrics, invitesAt, answered, refused, start, stop } = edgeLab((net, dir) => {
      // Trunks: sc-tax answers OPTIONS (a SIPp of its own), emergency has nothing behind it.
      writeFileSync(
        join(dir, 'peers.yaml'),
        [
          `carrier: { address: ${net}.2, match: [${net}.2, ${net}.5] }`,
          `sc-tax: ${net}.3`,
          `emergency: ${net}.4`,
          `nodes: { a: ${net}.21, b: ${net}.22 }`,
        ].join('\n'),
      );
      return {
        REDIS_URL: redis!.url,
        EDGE_PEERS: join(dir, 'peers.yaml'),
        EDGE_NODE_MAX_CALLS: String(MAX_CALLS),
      };
    });

    beforeAll(async () => {
      redisDir = mkdtempSync(join(tmpdir(), 'hotline-edge-redis-'));
      redis = await startRedis(redisDir);
      client = new Redis(redis.url);
      await report();
      reporting = setInterval(() => void report().catch(() => undefined), 300);
      await start((h) => h.ok && h.shared && h.nodes.every((n) => n.up && n.ari));
    });
    afterAll(async () => {
      clearInterval(reporting);
      await stop();
      client?.disconnect();
      redis?.process.kill('SIGKILL');
      if (redisDir) rmSync(redisDir, { recursive: true, force: true });
    });

    it('sends no call to a node no engine reaches, and the fewest calls first', async () => {
      reports = { a: { ari: true, calls: 5 }, b: { ari: false, calls: 0 } };
      await waitFor(
        'node b without ARI',
        async () => (await health()).nodes.find((n) => n.name === 'b')?.ari === false,
        5_000,
      );
      let before = { a: invitesAt('a'), b: invitesAt('b') };
      for (let i = 0; i < 2; i++) await answered();
      expect({ a: invitesAt('a') - before.a, b: invitesAt('b') - before.b }).toEqual({ a: 2, b: 0 });
      reports = { a: { ari: true, calls: 5 }, b: { ari: true, calls: 0 } };
      await waitFor(
        'node b with ARI',
        async () => (await health()).nodes.find((n) => n.name === 'b')?.ari === true,
        5_000,
      );
      before = { a: invitesAt('a'), b: invitesAt('b') };
      for (let i = 0; i < 3; i++) await answered();
      // b has 0 (+ the edge's own calls since the report) against a's 5.
      expect({ a: invitesAt('a') - before.a, b: invitesAt('b') - before.b }).toEqual({ a: 0, b: 3 });
    });

    it('writes its report for the engines, with a 10 s expiry (at most one interval behind)', async () => {
      type Report = { at: number; nodes: Health['nodes']; trunks: Health['trunks'] };
      const read = async () =>
        JSON.parse((await client.get('hotline:{lab}:edge')) ?? 'null') as Report | null;
      const edge = await waitFor(
        'a report with the calls of the previous test',
        async () => {
          const r = await read();
          return r && (r.nodes.find((n) => n.name === 'b')?.invites ?? 0) >= 3 ? r : undefined;
        },
        5_000,
      );
      const ttl = await client.pttl('hotline:{lab}:edge');
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(10_000);
      expect(Date.now() - edge.at).toBeLessThan(3_000);
      expect(edge.nodes.map((n) => [n.name, n.up, n.ari])).toEqual([
        ['a', true, true],
        ['b', true, true],
      ]);
      expect(edge.nodes.every((n) => typeof n.optionsRttMs === 'number' && n.failures === 0)).toBe(true);
      expect(edge.trunks.map((t) => t.name)).toEqual(['carrier', 'sc-tax', 'emergency']);
    });

    it('watches the trunks of peers.yaml by OPTIONS', async () => {
      const trunk = startSipp({
        scenario: 'edge-node.xml',
        name: 'trunk-sc-tax',
        dir: lab.dir,
        localIp: `${lab.net}.3`,
        localPort: 5060,
        mediaPort: 7004,
        vars: { NODE: 'sctax' },
        timeoutSeconds: 600,
      });
      await waitFor(
        'sc-tax up',
        async () => (await health()).trunks.find((t) => t.name === 'sc-tax')?.up,
        5_000,
      );
      const h = await health();
      expect(h.trunks.map((t) => [t.name, t.up])).toEqual([
        ['carrier', false],
        ['sc-tax', true],
        ['emergency', false],
      ]);
      const text = await metrics();
      expect(text).toContain('hotline_edge_trunk_up{trunk="sc-tax"} 1');
      expect(text).toContain('hotline_edge_trunk_up{trunk="emergency"} 0');
      trunk.kill();
    });

    it('answers the numbers of each rules version the engines publish', async () => {
      await refused(404, '12399');
      const center = readFileSync(join(LAB_RULES, 'center.yaml'), 'utf8');
      expect(center).toContain('number: "12396"');
      await new RedisVersionStore(client, 'lab').append(0, {
        author: 'edge-e2e',
        at: new Date().toISOString(),
        files: { 'center.yaml': center.replace('number: "12396"', 'number: "12399"') },
        rulesDir: LAB_RULES,
      });
      await waitFor('the edge to take the published version', () =>
        lab.edgeOut.includes('numbers from published rules version 1'),
      );
      await answered('12399');
      await refused(404, '12396');
    });

    it('takes no call for a node at EDGE_NODE_MAX_CALLS, and 503 when every node is', async () => {
      reports = { a: { ari: true, calls: MAX_CALLS }, b: { ari: true, calls: MAX_CALLS - 1 } };
      await waitFor(
        'a saturated',
        async () => (await health()).nodes.find((n) => n.name === 'a')?.calls === MAX_CALLS,
        5_000,
      );
      const before = { a: invitesAt('a'), b: invitesAt('b') };
      await answered();
      expect({ a: invitesAt('a') - before.a, b: invitesAt('b') - before.b }).toEqual({ a: 0, b: 1 });
      // b now counts the edge's own call on top of its report: saturated too until the next report.
      reports = { a: { ari: true, calls: MAX_CALLS }, b: { ari: true, calls: MAX_CALLS } };
      await waitFor('every node saturated', async () => !(await health()).takesCalls, 5_000);
      await refused(503);
    });

    it('treats reports older than 3 s as no engine: 503 with Retry-After', async () => {
      reports = undefined;
      // Not `!takesCalls`: the nodes are still saturated from the previous test, which holds at
      // once. Wait until the edge has read the reports as stale (every node without ARI) on a
      // fresh read (shared), so the 503 below is for no engine, not for the saturation.
      await waitFor(
        'no node with ARI, the reports read as stale',
        async () => {
          const h = await health();
          return h.shared && !h.takesCalls && h.nodes.every((n) => !n.ari);
        },
        10_000,
      );
      const response = await refused(503);
      expect(headerValues(response, 'Retry-After')).toEqual([String(RETRY_AFTER)]);
      expect(nodes.a).toBeDefined();
    });
  },
);
