import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { AriRestClient } from '../../src/telephony/ari/rest-client.ts';
import { TelephonyError } from '../../src/telephony/port.ts';

/**
 * A fake Asterisk HTTP server speaking just enough HTTP/1.1 keep-alive: it answers each request
 * with 204 (or 200 + JSON for GET), keeps the connection, and closes a connection idle for
 * `idleMs` (Asterisk's http.conf session_keep_alive). `halfClosed` makes it behave like the
 * socket Asterisk has just closed: the next request written on a reused connection is met with a
 * reset instead of an answer.
 */
class KeepAliveServer {
  readonly server: Server;
  connections = 0;
  /** Connections the client closed before the server's idle timeout. */
  closedByClient = 0;
  requests: string[] = [];
  halfClosed = false;
  port = 0;

  constructor(private readonly idleMs: number) {
    this.server = createServer((socket) => this.accept(socket));
  }

  async listen(): Promise<number> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    const a = this.server.address();
    this.port = typeof a === 'object' && a ? a.port : 0;
    return this.port;
  }

  private readonly sockets = new Set<Socket>();

  private accept(socket: Socket): void {
    this.connections++;
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    let served = 0;
    let buffer = '';
    let idle: NodeJS.Timeout | undefined;
    let serverClosed = false;
    const arm = () => {
      clearTimeout(idle);
      idle = setTimeout(() => {
        serverClosed = true;
        socket.end();
      }, this.idleMs);
    };
    arm();
    socket.on('end', () => {
      if (!serverClosed) this.closedByClient++;
      clearTimeout(idle);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => clearTimeout(idle));
    socket.on('data', (chunk) => {
      buffer += chunk.toString('latin1');
      for (;;) {
        const end = buffer.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buffer.slice(0, end);
        const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
        if (buffer.length < end + 4 + length) return;
        buffer = buffer.slice(end + 4 + length);
        const line = head.split('\r\n')[0] ?? '';
        if (this.halfClosed && served > 0) {
          // The request arrived on a connection the server had closed: reset, no answer.
          this.halfClosed = false;
          this.requests.push(`${line} → reset`);
          socket.resetAndDestroy();
          return;
        }
        served++;
        this.requests.push(line);
        const body = line.startsWith('GET') ? '[]' : '';
        const status = body ? '200 OK' : '204 No Content';
        socket.write(
          `HTTP/1.1 ${status}\r\nConnection: keep-alive\r\nContent-Length: ${body.length}\r\n${
            body ? 'Content-Type: application/json\r\n' : ''
          }\r\n${body}`,
        );
        arm();
      }
    });
  }

  close(): Promise<void> {
    return new Promise((r) => {
      this.server.close(() => r());
      for (const s of this.sockets) s.destroy();
    });
  }
}

let server: KeepAliveServer | undefined;
let client: AriRestClient | undefined;
afterEach(async () => {
  client?.close();
  await server?.close();
  server = undefined;
  client = undefined;
});

async function until(what: string, predicate: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function start(
  serverIdleMs: number,
  clientIdleMs: number,
): Promise<{ s: KeepAliveServer; c: AriRestClient }> {
  server = new KeepAliveServer(serverIdleMs);
  const port = await server.listen();
  client = new AriRestClient({
    baseUrl: `http://127.0.0.1:${port}/ari`,
    user: 'u',
    password: 'p',
    maxConnections: 4,
    timeoutMs: 5_000,
    idleSocketMs: clientIdleMs,
  });
  return { s: server, c: client };
}

describe('the ARI REST pool and keep-alive sockets the server closes', () => {
  it('drops idle pooled sockets before the server would, so a request never meets a closed one', async () => {
    // Asterisk closes idle sessions after 15 s; the pool after 5 s. Scaled down: 600 vs 150 ms.
    const { s, c } = await start(600, 150);
    await c.call('destroyBridge', 'DELETE', '/bridges/b1');
    // The server would close it at 600 ms and count nothing here: only the client's close counts.
    await until('the pool to close its idle socket', () => s.closedByClient === 1);
    await c.call('hangup', 'DELETE', '/channels/c1');
    expect(s.connections).toBe(2);
    expect(c.retries).toBe(0);
  });

  it('sends an idempotent request (DELETE, GET) once more when its reused socket is reset before any answer', async () => {
    const { s, c } = await start(60_000, 60_000);
    await c.call('answer', 'POST', '/channels/c1/answer', undefined, undefined, { idempotent: true });
    s.halfClosed = true;
    await c.call('hangup', 'DELETE', '/channels/agent-leg', { reason: 'normal' });
    expect(s.requests).toEqual([
      'POST /ari/channels/c1/answer HTTP/1.1',
      'DELETE /ari/channels/agent-leg?reason=normal HTTP/1.1 → reset',
      'DELETE /ari/channels/agent-leg?reason=normal HTTP/1.1',
    ]);
    expect(c.retries).toBe(1);
    expect(c.transportFailures).toBe(0);
    s.halfClosed = true;
    await expect(c.call('listChannels', 'GET', '/channels')).resolves.toEqual([]);
    expect(c.retries).toBe(2);
  });

  it('does not repeat a request that may not be repeated, and reports it as a transport error, not a refusal', async () => {
    const { s, c } = await start(60_000, 60_000);
    await c.call('answer', 'POST', '/channels/c1/answer');
    s.halfClosed = true;
    const err = await c
      .call('originate', 'POST', '/channels/c1-a2', { endpoint: 'PJSIP/agent1001' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TelephonyError);
    expect(err).toMatchObject({ status: 0, transport: true, operation: 'originate' });
    expect(c.retries).toBe(0);
    expect(c.transportFailures).toBe(1);
    expect(s.requests.filter((r) => r.startsWith('POST /ari/channels/c1-a2'))).toHaveLength(1);
  });

  it('tells a refusal (an HTTP status) from a transport error', async () => {
    const { c } = await start(60_000, 60_000);
    client = c;
    const refused = new TelephonyError(404, 'hangup', 'Channel not found');
    expect(refused.transport).toBe(false);
    expect(TelephonyError.transport('hangup', 'socket hang up')).toMatchObject({
      status: 0,
      transport: true,
    });
  });
});
