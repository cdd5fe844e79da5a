/**
 * Replays the attacks of the security review (issue 16) on a running engine and measures what they
 * do to `/health`. The engine is `hotline serve` on the built-in ARI simulator with synthetic calls
 * live, in memory (no Redis), started in this process with the API's default limits; the attacks
 * and a `/health` poll every 10 ms run in a worker thread (their own event loop, so what is measured
 * is the engine's). Loopback addresses other than 127.0.0.1 are used as the attackers' sources
 * (Linux routes all of 127.0.0.0/8 to the loopback interface). One JSON line per attack:
 *   { attack, refused: { <status or outcome>: count }, healthP50Ms, healthP99Ms, healthMaxMs,
 *     healthPolls, healthErrors, engineLoopDelayMaxMs, engineBusyMs, loadAverage, liveCalls }
 * engineLoopDelayMaxMs is the engine thread's longest event-loop stall during the attack,
 * engineBusyMs the time it was busy; loadAverage (the machine's, 1 min) says how loaded the
 * machine was: on a loaded machine every figure grows with it.
 * The target is /health under 50 ms throughout.
 *
 *   node --import tsx scripts/bench-attacks.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, type IncomingMessage, request } from 'node:http';
import { connect, createServer, type Socket } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

interface Target {
  port: number;
  supervisorToken: string;
  agentToken: string;
  agentId: string;
  rulesDir: string;
}

type Counts = Record<string, number>;

const count = (counts: Counts, key: string | number) => {
  counts[String(key)] = (counts[String(key)] ?? 0) + 1;
};

/** One request on its own connection; the status, or the error's code. */
function send(
  port: number,
  o: { path: string; from?: string; token?: string; method?: string; body?: string; agent?: Agent },
): Promise<{ status: number | string; res?: IncomingMessage }> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: o.path,
        method: o.method ?? 'GET',
        agent: o.agent ?? false,
        ...(o.from ? { localAddress: o.from } : {}),
        headers: {
          ...(o.token ? { authorization: `Bearer ${o.token}` } : {}),
          ...(o.body
            ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(o.body) }
            : {}),
        },
      },
      (res) => {
        if (res.headers['content-type']?.startsWith('text/event-stream')) {
          resolve({ status: res.statusCode ?? 0, res });
          return;
        }
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
        res.on('error', () => resolve({ status: 'reset' }));
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ status: err.code ?? 'error' }));
    req.end(o.body);
  });
}

const percentile = (sorted: number[], p: number) =>
  sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(p * (sorted.length - 1)))]!;
const round = (ms: number) => Math.round(ms * 10) / 10;

/** Polls /health every 10 ms from 127.0.0.1 until told to stop; answers with its times. */
function poller(t: Target): void {
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  let times: number[] = [];
  let errors = 0;
  let pending = 0;
  let timer: NodeJS.Timeout | undefined;
  parentPort?.on('message', async (m: 'start' | 'stop' | 'exit') => {
    if (m === 'start') {
      times = [];
      errors = 0;
      timer = setInterval(() => {
        const t0 = performance.now();
        pending++;
        void send(t.port, { path: '/health', from: '127.0.0.1', agent }).then((r) => {
          pending--;
          if (r.status === 200) times.push(performance.now() - t0);
          else errors++;
        });
      }, 10);
    } else if (m === 'stop') {
      clearInterval(timer);
      while (pending > 0) await new Promise((r) => setTimeout(r, 5));
      const sorted = times.sort((a, b) => a - b);
      parentPort?.postMessage({
        healthP50Ms: round(percentile(sorted, 0.5)),
        healthP99Ms: round(percentile(sorted, 0.99)),
        healthMaxMs: round(sorted.at(-1) ?? 0),
        healthPolls: sorted.length,
        healthErrors: errors,
      });
    } else {
      agent.destroy();
      parentPort?.close();
    }
  });
}

/** 600 bad tokens, each from its own address, all at once. */
async function badTokens(t: Target): Promise<Counts> {
  const counts: Counts = {};
  const { randomBytes } = await import('node:crypto');
  const results = await Promise.all(
    Array.from({ length: 600 }, (_, i) =>
      send(t.port, {
        path: '/stats',
        from: `127.0.${1 + Math.floor(i / 250)}.${1 + (i % 250)}`,
        token: `hl.demo-supervisor.${randomBytes(32).toString('base64url')}`,
      }),
    ),
  );
  for (const r of results) count(counts, r.status);
  return counts;
}

/**
 * 5,000 connections that send nothing, 500 from each of 10 addresses, opened in waves of 500 every
 * 50 ms. A socket the server closes within a second of connecting was refused as it arrived (a
 * cap); later, it was answered 408 and closed for sending no request. One still open 30 s after
 * connecting, or not connected after 20 s, is counted as such and closed.
 */
async function halfOpen(t: Target): Promise<Counts> {
  const counts: Counts = {};
  const sockets: Socket[] = [];
  const one = (i: number) =>
    new Promise<void>((resolve) => {
      const s = connect({ host: '127.0.0.1', port: t.port, localAddress: `127.0.4.${1 + (i % 10)}` });
      sockets.push(s);
      // Reads (and drops) the server's 408: unread, it would hold the socket's end back from 'close'.
      s.resume();
      let connectedAt = 0;
      let outcome: string | undefined;
      const giveUp = (what: string) => {
        outcome ??= what;
        s.destroy();
      };
      let timer = setTimeout(() => giveUp('not-connected-after-20s'), 20_000);
      s.on('connect', () => {
        connectedAt = performance.now();
        clearTimeout(timer);
        timer = setTimeout(() => giveUp('still-open-30s-after-connect'), 30_000);
      });
      s.on('error', (err: NodeJS.ErrnoException) => {
        if (connectedAt === 0) outcome ??= err.code ?? 'error';
      });
      s.on('close', () => {
        clearTimeout(timer);
        outcome ??= performance.now() - connectedAt < 1_000 ? 'refused-at-connect' : 'closed-for-no-request';
        count(counts, outcome);
        resolve();
      });
    });
  const all: Promise<void>[] = [];
  for (let wave = 0; wave < 10; wave++) {
    for (let i = wave * 500; i < (wave + 1) * 500; i++) all.push(one(i));
    await new Promise((r) => setTimeout(r, 50));
  }
  await Promise.all(all);
  for (const s of sockets) s.destroy();
  return counts;
}

/** 200 event streams with one agent token, from one address, all at once. */
async function eventStreams(t: Target): Promise<Counts> {
  const counts: Counts = {};
  const results = await Promise.all(
    Array.from({ length: 200 }, () =>
      send(t.port, { path: `/agents/${t.agentId}/events`, from: '127.0.0.9', token: t.agentToken }),
    ),
  );
  for (const r of results) {
    count(counts, r.status);
    r.res?.destroy();
  }
  return counts;
}

/** A 60 KB draft: one invalid line with many invalid phases, anchored, then named by 999 aliases. */
async function aliasBomb(t: Target): Promise<Counts> {
  const { readRulesFolder } = await import('../src/admin/draft.ts');
  const phases = Array.from({ length: 1_300 }, (_, i) => `{ id: "p ${i}", kind: bogus, from: x }`).join(', ');
  const bomb = `lines:\n  - &b { id: "bad id", number: nope, phases: [${phases}] }\n${'  - *b\n'.repeat(999)}`;
  const body = JSON.stringify({
    number: '12345',
    files: { ...readRulesFolder(t.rulesDir), 'bomb.yaml': bomb },
  });
  const counts: Counts = { bombBytes: Buffer.byteLength(bomb) };
  const results = await Promise.all(
    Array.from({ length: 3 }, () =>
      send(t.port, {
        path: '/rules/explain',
        method: 'POST',
        token: t.supervisorToken,
        body,
        from: '127.0.0.10',
      }),
    ),
  );
  for (const r of results) count(counts, r.status);
  return counts;
}

const attacks: [string, (t: Target) => Promise<Counts>][] = [
  ['idle (no attack, 2 s)', () => new Promise((r) => setTimeout(() => r({}), 2_000))],
  ['600 bad tokens from 600 addresses', badTokens],
  ['5,000 half-open connections from 10 addresses', halfOpen],
  ['200 event streams from one agent token', eventStreams],
  ['60 KB alias-bomb draft to POST /rules/explain (3 at once)', aliasBomb],
];

/** Runs the attack it is told to (by index) and answers with its counts. */
function attacker(t: Target): void {
  parentPort?.on('message', async (m: number | 'exit') => {
    if (m === 'exit') {
      parentPort?.close();
      return;
    }
    parentPort?.postMessage(await attacks[m]![1](t));
  });
}

/** A free TCP port on 127.0.0.1. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (address && typeof address === 'object' ? resolve(address.port) : reject()));
    });
  });
}

async function main(): Promise<void> {
  const { serveHotline } = await import('../src/app.ts');
  const { serveSettings } = await import('../src/cli/serve.ts');
  const { readConfig } = await import('../src/config.ts');
  const { createLogger } = await import('../src/log.ts');
  const { ensureStateDirs, stateDirsInUse } = await import('../src/state-dir.ts');
  const stateDir = mkdtempSync(join(tmpdir(), 'hotline-bench-attacks-'));
  const port = await freePort();
  const env = { HOTLINE_STATE_DIR: stateDir, HTTP_HOST: '127.0.0.1', HTTP_PORT: String(port) };
  const config = readConfig(env);
  ensureStateDirs(stateDirsInUse(config, env));
  const settings = serveSettings({ 'demo-rate': '60' }, config);
  const printed: string[] = [];
  const served = await serveHotline(settings, createLogger({ level: process.env.LOG_LEVEL ?? 'silent' }), {
    out: (text) => printed.push(text),
    err: (text) => printed.push(text),
  });
  try {
    const token = (label: string) => {
      const line = printed
        .join('\n')
        .split('\n')
        .find((l) => l.includes(label));
      const m = line ? /#token=(hl\.[A-Za-z0-9_.-]+)/.exec(line) : null;
      if (!m) throw new Error(`no demo token for the ${label}`);
      return m[1]!;
    };
    const target: Target = {
      port,
      supervisorToken: token('wallboard (supervisor)'),
      agentToken: token('agent toolbar'),
      agentId: 'demo-agent',
      rulesDir: settings.rulesDir,
    };
    // Let the synthetic traffic put calls on the lines first.
    await new Promise((r) => setTimeout(r, 3_000));
    // The workers run this file too; they load TypeScript through tsx's API (hooks registered by
    // `--import tsx` do not reach worker threads on Node 20).
    const start = (role: 'poller' | 'attacker') =>
      new Worker(
        `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((m) => m.tsImport(${JSON.stringify(import.meta.url)}, ${JSON.stringify(import.meta.url)}))`,
        { eval: true, workerData: { ...target, role } },
      );
    const poll = start('poller');
    const attack = start('attacker');
    const next = (w: Worker) =>
      new Promise<Record<string, unknown>>((resolve, reject) => {
        w.once('message', resolve);
        w.once('error', reject);
      });
    for (const [index, [name]] of attacks.entries()) {
      // The engine's own event-loop delay (this thread), besides /health as a client sees it.
      const loop = monitorEventLoopDelay({ resolution: 5 });
      loop.enable();
      const busy0 = performance.eventLoopUtilization();
      poll.postMessage('start');
      const counts = next(attack);
      attack.postMessage(index);
      const refused = await counts;
      const health = next(poll);
      poll.postMessage('stop');
      const figures = await health;
      loop.disable();
      const busy = performance.eventLoopUtilization(busy0);
      console.log(
        JSON.stringify({
          attack: name,
          refused,
          ...figures,
          engineLoopDelayMaxMs: round(loop.max / 1e6),
          engineBusyMs: round(busy.active),
          loadAverage: round(loadavg()[0]!),
          liveCalls: served.hotline.engine.stats.live,
        }),
      );
    }
    poll.postMessage('exit');
    attack.postMessage('exit');
  } finally {
    await served.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

if (isMainThread) {
  main().then(
    () => process.exit(0),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
} else if ((workerData as { role: string }).role === 'poller') {
  poller(workerData as Target);
} else {
  attacker(workerData as Target);
}
