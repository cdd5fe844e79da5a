import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { AriRestClient } from '../../src/telephony/ari/rest-client.ts';
import { TelephonyError } from '../../src/telephony/port.ts';

/** An ARI stand-in that holds every request until the test answers it, in arrival order. */
class HeldServer {
  readonly held: { path: string; res: ServerResponse }[] = [];
  private readonly server: Server = createServer((req: IncomingMessage, res) => {
    this.held.push({ path: req.url ?? '', res });
  });

  async listen(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/ari`;
  }

  answer(status = 204): string {
    const next = this.held.shift();
    if (!next) throw new Error('no request held');
    next.res.writeHead(status, { 'content-type': 'application/json' });
    next.res.end(status === 204 ? '' : JSON.stringify({ message: 'overloaded' }));
    return next.path;
  }

  async close(): Promise<void> {
    for (const h of this.held) h.res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

let server: HeldServer | undefined;
let client: AriRestClient | undefined;
afterEach(async () => {
  client?.close();
  await server?.close();
  server = undefined;
  client = undefined;
});

async function setup(maxConnections: number) {
  server = new HeldServer();
  const baseUrl = await server.listen();
  client = new AriRestClient({ baseUrl, user: 'u', password: 'p', maxConnections, timeoutMs: 10_000 });
  return { server, client };
}

const until = async (what: string, test: () => boolean) => {
  for (let i = 0; i < 5000 && !test(); i++) await new Promise((r) => setImmediate(r));
  if (!test()) throw new Error(`never happened: ${what}`);
};

describe('the ARI REST pool under a backlog', () => {
  it('sends an urgent request on the next free connection before the requests already waiting', async () => {
    const { server, client } = await setup(1);
    const done: string[] = [];
    const send = (path: string, urgent: boolean) =>
      client.call(path, 'POST', `/${path}`, undefined, undefined, { urgent }).then(() => done.push(path));
    const all = [send('busy', false), send('mid-call-1', false), send('mid-call-2', false)];
    await until('the first request reached the server', () => server.held.length === 1);
    all.push(send('first-prompt', true));
    expect(client.inFlight).toBe(4);
    const order: string[] = [];
    for (let i = 0; i < 4; i++) {
      await until('a request reached the server', () => server.held.length === 1);
      order.push(server.answer());
    }
    await Promise.all(all);
    expect(order).toEqual(['/ari/busy', '/ari/first-prompt', '/ari/mid-call-1', '/ari/mid-call-2']);
    expect(client.inFlight).toBe(0);
  });

  it('lets the second step of a hand-over go before the other urgent requests', async () => {
    const { server, client } = await setup(1);
    const call = (path: string, urgent: boolean, front = false) =>
      client.call(path, 'POST', `/${path}`, undefined, undefined, { urgent, front });
    const all = [call('busy', false)];
    await until('the first request reached the server', () => server.held.length === 1);
    all.push(call('answer-2', true), call('answer-3', true), call('continue-1', true, true));
    const order: string[] = [];
    for (let i = 0; i < 4; i++) {
      await until('a request reached the server', () => server.held.length === 1);
      order.push(server.answer());
    }
    await Promise.all(all);
    expect(order).toEqual(['/ari/busy', '/ari/continue-1', '/ari/answer-2', '/ari/answer-3']);
  });

  it('counts the 503 answers Asterisk gives when it refuses work', async () => {
    const { server, client } = await setup(2);
    const refused = client.call('play', 'POST', '/channels/c1/play/p1').catch((e: unknown) => e);
    await until('the request reached the server', () => server.held.length === 1);
    server.answer(503);
    const err = await refused;
    expect(err).toBeInstanceOf(TelephonyError);
    expect((err as TelephonyError).status).toBe(503);
    expect(client.unavailable).toBe(1);
  });
});
