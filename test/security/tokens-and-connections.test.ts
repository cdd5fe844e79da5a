import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type IncomingMessage, request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { issueToken, newToken, TokenSet, TokensFileError } from '../../src/admin/tokens.ts';
import { type ApiLimits, buildApi } from '../../src/api/server.ts';
import { rosterToAgents } from '../../src/app.ts';
import { tokenCommand } from '../../src/cli/token.ts';
import { createLogger } from '../../src/log.ts';
import type { RosterEntry } from '../../src/roster.ts';
import { type Rig, startRig } from '../support/engine-harness.ts';

const roster: RosterEntry[] = [
  { id: 'a1001', name: 'a1001', endpoint: 'PJSIP/agent1001', pools: ['general'], skills: { general: 5 } },
];
const issued = {
  supervisor: issueToken('duty-supervisor', 'supervisor'),
  a1001: issueToken('a1001', 'agent', 'a1001'),
};

interface Served {
  api: FastifyInstance;
  port: number;
}

let rig: Rig | undefined;
let served: Served | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await served?.api.close();
  await rig?.close();
  served = undefined;
  rig = undefined;
});

/** The API on the simulator, listening on 127.0.0.1, with the given limits. */
async function serve(limits: Partial<ApiLimits> = {}, trustProxy: string[] = []): Promise<Served> {
  rig = await startRig({ roster });
  const api = await buildApi({
    hotline: rig.hotline,
    roster: rosterToAgents(roster, 'sichuan'),
    clock: rig.clock,
    logger: createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    tokens: new TokenSet(Object.values(issued).map((i) => i.entry)),
    authFailures: { max: 1000, windowMs: 60_000 },
    limits,
    trustProxy,
  });
  await api.listen({ host: '127.0.0.1', port: 0 });
  const address = api.server.address();
  if (!address || typeof address === 'string') throw new Error('not listening on a port');
  served = { api, port: address.port };
  return served;
}

interface Answer {
  status: number;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A GET from a chosen loopback source address, on its own connection. */
function get(port: number, path: string, o: { from?: string; token?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        agent: false,
        ...(o.from ? { localAddress: o.from } : {}),
        headers: o.token ? { authorization: `Bearer ${o.token}` } : {},
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** An event stream, open once its first comment arrived; `received` is all it has been sent. */
function openStream(
  port: number,
  token: string,
  from = '127.0.0.1',
): Promise<{ status: number; body: string; received: () => string; res: IncomingMessage }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/agents/a1001/events',
        agent: false,
        localAddress: from,
        headers: { authorization: `Bearer ${token}` },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          const first = body === '';
          body += chunk;
          if (first) resolve({ status: res.statusCode ?? 0, body, received: () => body, res });
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, received: () => body, res }));
        sockets.push(res.socket);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/**
 * A TCP connection from a loopback source address that sends nothing; `closed` says who closed it.
 * What the server sends is read (`received`): a socket whose unread data waits in its buffer would
 * never see the server's close.
 */
function idleSocket(
  port: number,
  from: string,
): { socket: Socket; connected: Promise<void>; closed: Promise<void>; received: () => string } {
  const socket = connect({ host: '127.0.0.1', port, localAddress: from });
  sockets.push(socket);
  socket.on('error', () => undefined);
  let received = '';
  socket.on('data', (chunk: Buffer) => {
    received += chunk.toString();
  });
  return {
    socket,
    connected: new Promise((resolve) => socket.once('connect', () => resolve())),
    closed: new Promise((resolve) => socket.once('close', () => resolve())),
    received: () => received,
  };
}

/**
 * Waits for `what` to happen, failing with its name after `ms` (a socket the server never closes
 * would otherwise only time the test out, without saying which).
 */
function bounded(promise: Promise<void>, what: string, ms = 10_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`waited ${ms} ms for ${what}`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** Waits (by polling, no fixed sleep) until the condition holds; fails after `ms`. */
async function until(what: string, condition: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('token checks', () => {
  it('answers a wrong secret and an unknown token id alike, with 401', async () => {
    const { port } = await serve();
    const wrongSecret = newToken('a1001');
    const unknownId = newToken('nobody-here');
    const tokens = new TokenSet(Object.values(issued).map((i) => i.entry));
    expect(tokens.verify(wrongSecret)).toBeUndefined();
    expect(tokens.verify(unknownId)).toBeUndefined();
    expect(tokens.verify(issued.a1001.token)).toEqual({ tokenId: 'a1001', role: 'agent', agentId: 'a1001' });
    for (const token of [wrongSecret, unknownId]) {
      const r = await get(port, '/agents/a1001', { token });
      expect(r.status).toBe(401);
      expect(JSON.parse(r.body)).toEqual({ error: 'unauthorized', message: 'the token is not valid' });
    }
    expect((await get(port, '/agents/a1001', { token: issued.a1001.token })).status).toBe(200);
  });

  it('refuses a tokens file with a scrypt entry, naming the file, the entry and the command that re-issues it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hotline-tokens-'));
    try {
      const file = join(dir, 'tokens.yaml');
      writeFileSync(
        file,
        [
          'tokens:',
          `  - { id: ops, role: admin, hash: "${issued.supervisor.entry.hash}" }`,
          '  - { id: agent1001, role: agent, agentId: agent1001, hash: "scrypt:16384:8:1:c2FsdA:aGFzaA" }',
          '',
        ].join('\n'),
      );
      let error: unknown;
      try {
        TokenSet.fromFile(file);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(TokensFileError);
      const message = (error as Error).message;
      expect(message).toContain(file);
      expect(message).toContain('tokens.1.hash');
      expect(message).toContain('scrypt hashes are no longer accepted');
      expect(message).toContain('hotline token --id agent1001 --role agent --agent agent1001');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('makes tokens with `hotline token` whose SHA-256 line a tokens file accepts', () => {
    const out: string[] = [];
    const code = tokenCommand(['--id', 'wallboard-3', '--role', 'supervisor'], {
      out: (t: string) => out.push(t),
      err: () => undefined,
    } as Parameters<typeof tokenCommand>[1]);
    expect(code).toBe(0);
    const token = out[0]!.replace('token: ', '');
    const line = out.find((l) => l.trim().startsWith('- {'))!;
    expect(line).toMatch(/hash: "sha256:[0-9a-f]{64}"/);
    const dir = mkdtempSync(join(tmpdir(), 'hotline-tokens-'));
    try {
      writeFileSync(join(dir, 'tokens.yaml'), `tokens:\n${line}\n`);
      expect(TokenSet.fromFile(join(dir, 'tokens.yaml')).verify(token)).toMatchObject({
        tokenId: 'wallboard-3',
        role: 'supervisor',
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps /health answering while bad tokens arrive from 600 loopback addresses', async () => {
    const { port } = await serve();
    const statuses = new Map<number, number>();
    let healthAnswers = 0;
    let attacking = true;
    const attack = (async () => {
      // 600 addresses at least, and on until /health has answered five times during the attack.
      for (let i = 0; attacking && (i < 600 || healthAnswers < 5); i += 50) {
        const wave = Array.from({ length: 50 }, (_, j) => {
          const n = (i + j) % 600;
          const from = `127.0.${2 + Math.floor(n / 250)}.${1 + (n % 250)}`;
          return get(port, '/stats', { from, token: newToken('duty-supervisor') });
        });
        for (const r of await Promise.all(wave)) statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      }
    })();
    try {
      while (healthAnswers < 5) {
        const h = await get(port, '/health');
        expect(h.status).toBe(200);
        healthAnswers++;
      }
    } finally {
      attacking = healthAnswers >= 5 ? attacking : false;
    }
    await attack;
    expect(healthAnswers).toBe(5);
    expect([...statuses.keys()]).toEqual([401]);
    expect(statuses.get(401)).toBeGreaterThanOrEqual(600);
  });
});

describe('connection caps', () => {
  it('refuses the (N+1)th socket from one address while another address still connects', async () => {
    const { api, port } = await serve({ maxConnectionsPerAddress: 3 });
    const held = [1, 2, 3].map(() => idleSocket(port, '127.0.0.21'));
    await Promise.all(held.map((h) => h.connected));
    await until('three connections open', () => api.connectionCounts().open === 3);
    const extra = idleSocket(port, '127.0.0.21');
    await extra.closed; // destroyed by the server as it arrived, before a byte was answered
    expect(extra.received()).toBe('');
    expect(api.connectionCounts().refusedPerAddress).toBe(1);
    expect((await get(port, '/health', { from: '127.0.0.22' })).status).toBe(200);
    // One of the three closed: the address may connect again.
    held[0]!.socket.destroy();
    await until('the slot freed', () => api.connectionCounts().open === 2);
    expect((await get(port, '/health', { from: '127.0.0.21' })).status).toBe(200);
  });

  it('counts a trusted proxy only towards the total, since its clients share its address', async () => {
    const { api, port } = await serve({ maxConnectionsPerAddress: 2 }, ['127.0.0.61', '127.0.1.0/24']);
    const viaProxy = [1, 2, 3, 4].map((n) => idleSocket(port, n % 2 ? '127.0.0.61' : '127.0.1.7'));
    await Promise.all(viaProxy.map((h) => h.connected));
    await until('four connections open', () => api.connectionCounts().open === 4);
    expect(api.connectionCounts().refusedPerAddress).toBe(0);
    // An address that is not a proxy is still capped.
    const direct = [1, 2].map(() => idleSocket(port, '127.0.0.62'));
    await Promise.all(direct.map((h) => h.connected));
    await idleSocket(port, '127.0.0.62').closed;
    expect(api.connectionCounts().refusedPerAddress).toBe(1);
  });

  it('drops sockets over the total cap, whatever their address', async () => {
    const { api, port } = await serve({ maxConnections: 4 });
    const held = [31, 32, 33, 34].map((n) => idleSocket(port, `127.0.0.${n}`));
    await Promise.all(held.map((h) => h.connected));
    await until('four connections open', () => api.connectionCounts().open === 4);
    await idleSocket(port, '127.0.0.35').closed;
    expect(api.connectionCounts().refusedTotal).toBe(1);
    held[3]!.socket.destroy();
    await until('the slot freed', () => api.connectionCounts().open === 3);
    expect((await get(port, '/health', { from: '127.0.0.35' })).status).toBe(200);
  });
});

describe('server timeouts', () => {
  it('closes a socket that sends no headers', async () => {
    const { port } = await serve({ headersTimeoutMs: 200, requestTimeoutMs: 400, idleSocketMs: 60_000 });
    const idle = idleSocket(port, '127.0.0.41');
    await idle.connected;
    await bounded(idle.closed, 'the server to close a socket that sent nothing (headers timeout 200 ms)');
    expect(idle.received()).toMatch(/^HTTP\/1\.1 408 /);
    // A socket that trickles a header line every 50 ms is closed too (the headers' time is counted
    // from the first byte, not from the last).
    const slow = idleSocket(port, '127.0.0.42');
    await slow.connected;
    slow.socket.write('GET /health HTTP/1.1\r\nhost: x\r\n');
    const trickle = setInterval(() => slow.socket.write('x-slow: 1\r\n'), 50);
    try {
      await bounded(
        slow.closed,
        'the server to close a socket trickling header lines (headers timeout 200 ms)',
      );
    } finally {
      clearInterval(trickle);
    }
    expect(slow.received()).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('closes a kept-alive socket that sends no next request', async () => {
    const { port } = await serve({ keepAliveTimeoutMs: 200 });
    const kept = idleSocket(port, '127.0.0.43');
    await kept.connected;
    kept.socket.write('GET /health HTTP/1.1\r\nhost: x\r\nconnection: keep-alive\r\n\r\n');
    await kept.closed;
    expect(kept.received()).toMatch(/^HTTP\/1\.1 200/);
  });

  it('keeps an event stream open past the request and idle-socket timeouts', async () => {
    const { port } = await serve({ headersTimeoutMs: 150, requestTimeoutMs: 200, idleSocketMs: 300 });
    const stream = await openStream(port, issued.a1001.token);
    expect(stream.status).toBe(200);
    let closed = false;
    stream.res.on('close', () => {
      closed = true;
    });
    // Keep-alive comments every 100 ms: six of them is well past every timeout above.
    await until(
      'six keep-alive comments',
      () => stream.received().split(': keep-alive').length > 6 || closed,
    );
    expect(closed).toBe(false);
  });
});

describe('event stream caps', () => {
  it('answers a token over its stream cap 429, naming the limit, and a closed stream frees a slot', async () => {
    const { port } = await serve({ eventStreamsPerToken: 2 });
    const first = await openStream(port, issued.a1001.token);
    const second = await openStream(port, issued.a1001.token);
    expect([first.status, second.status]).toEqual([200, 200]);
    const third = await openStream(port, issued.a1001.token);
    expect(third.status).toBe(429);
    expect(JSON.parse(third.body)).toEqual({
      error: 'too-many-streams',
      message: 'token "a1001" already has 2 event streams open (the limit per token is 2); close one first',
    });
    // Another token is not limited by a1001's streams.
    const supervisor = await openStream(port, issued.supervisor.token);
    expect(supervisor.status).toBe(200);
    first.res.destroy();
    let again = await openStream(port, issued.a1001.token);
    while (again.status === 429) {
      // The server sees the close a moment later; retry until it has.
      again = await openStream(port, issued.a1001.token);
    }
    expect(again.status).toBe(200);
  });

  it('caps the streams of one address, whichever tokens it uses', async () => {
    const { port } = await serve({ eventStreamsPerAddress: 1 });
    expect((await openStream(port, issued.a1001.token, '127.0.0.51')).status).toBe(200);
    const refused = await openStream(port, issued.supervisor.token, '127.0.0.51');
    expect(refused.status).toBe(429);
    expect(JSON.parse(refused.body).message).toContain('the limit per address is 1');
    expect((await openStream(port, issued.supervisor.token, '127.0.0.52')).status).toBe(200);
  });
});

describe('request rate limits', () => {
  it('answers a token over its rate 429 with Retry-After, and never limits /health', async () => {
    const { api } = await serve({ requestsPerTokenPerMinute: 5, requestsPerAddressPerMinute: 8 });
    const asAgent = () =>
      api.inject({
        method: 'GET',
        url: '/agents/a1001',
        headers: { authorization: `Bearer ${issued.a1001.token}` },
        remoteAddress: '10.1.0.1',
      });
    for (let i = 0; i < 5; i++) expect((await asAgent()).statusCode).toBe(200);
    const over = await asAgent();
    expect(over.statusCode).toBe(429);
    expect(over.json()).toMatchObject({ error: 'too-many-requests' });
    expect(over.json().message).toContain('token "a1001" (5 per 60 s)');
    expect(Number(over.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(over.headers['retry-after'])).toBeLessThanOrEqual(60);
    // Another token from the same address is served (the address is under its own cap of 8)…
    const supervisor = await api.inject({
      method: 'GET',
      url: '/stats',
      headers: { authorization: `Bearer ${issued.supervisor.token}` },
      remoteAddress: '10.1.0.1',
    });
    expect(supervisor.statusCode).toBe(200);
    // …until the address is over its own cap, token or not.
    for (let i = 0; i < 3; i++)
      await api.inject({ method: 'GET', url: '/favicon.ico', remoteAddress: '10.1.0.1' });
    const page = await api.inject({ method: 'GET', url: '/favicon.ico', remoteAddress: '10.1.0.1' });
    expect(page.statusCode).toBe(429);
    expect(page.json().message).toContain('this address (8 per 60 s)');
    for (let i = 0; i < 20; i++) {
      const health = await api.inject({ method: 'GET', url: '/health', remoteAddress: '10.1.0.1' });
      expect(health.statusCode).toBe(200);
    }
  });
});
