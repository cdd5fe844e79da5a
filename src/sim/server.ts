import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { apiDeclaration, resourceListing } from './api/description.ts';
import type { AppRecord, EventSink } from './apps.ts';
import type { SimCore } from './core.ts';
import { SimRestError } from './errors.ts';
import type { Faults } from './faults.ts';
import { buildArgs, type RestReply, type Router } from './rest/router.ts';

/**
 * The HTTP + WebSocket front: ARI REST under `/ari` (Basic auth or `api_key`), the generated
 * Swagger listing under `/ari/api-docs`, events on `/ari/events`, and the simulator's control
 * API under `/sim` (handled by `controlHttp`).
 */
export type ControlHttp = (method: string, path: string, query: URLSearchParams, body: unknown) => RestReply;

interface Session {
  ws: WebSocket;
  sink: EventSink;
  apps: Set<AppRecord>;
  /** Frames sent on this WebSocket (tests compare it with what the client has read). */
  framesSent: number;
}

const MAX_BODY = 1 << 20;

export class SimServer {
  private readonly http: Server;
  private readonly wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  private readonly sessions = new Set<Session>();
  private readonly sockets = new Set<Socket>();

  constructor(
    private readonly core: SimCore,
    private readonly router: Router,
    private readonly users: Record<string, string>,
    private readonly faults: Faults,
    private readonly controlHttp: ControlHttp,
  ) {
    this.http = createServer((req, res) => this.onRequest(req, res));
    this.http.keepAliveTimeout = 30_000;
    this.http.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) =>
      this.onUpgrade(req, socket, head),
    );
    this.http.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(port, host, () => resolve((this.http.address() as AddressInfo).port));
    });
  }

  async close(): Promise<void> {
    for (const session of this.sessions) session.ws.terminate();
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }

  /** The event WebSockets attached now, and the frames sent on them (tests: has the client read them all?). */
  eventWire(): { sockets: number; framesSent: number } {
    let framesSent = 0;
    for (const session of this.sessions) framesSent += session.framesSent;
    return { sockets: this.sessions.size, framesSent };
  }

  /** Closes the WebSockets serving `app` (all when omitted). Their apps' channels stay. */
  dropSockets(app?: string): number {
    let n = 0;
    for (const session of this.sessions) {
      if (app === undefined || [...session.apps].some((a) => a.name === app)) {
        session.ws.terminate();
        this.detach(session);
        n++;
      }
    }
    return n;
  }

  private authorized(req: IncomingMessage, query: URLSearchParams): boolean {
    let credentials: string | undefined;
    const header = req.headers.authorization;
    if (header?.startsWith('Basic ')) credentials = Buffer.from(header.slice(6), 'base64').toString('utf8');
    else credentials = query.get('api_key') ?? undefined;
    if (credentials === undefined) return false;
    const colon = credentials.indexOf(':');
    if (colon < 0) return false;
    const user = credentials.slice(0, colon);
    return Object.hasOwn(this.users, user) && this.users[user] === credentials.slice(colon + 1);
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY) chunks.push(chunk);
    });
    req.on('end', () => {
      let reply: RestReply;
      try {
        reply = this.handle(req, size > MAX_BODY ? undefined : Buffer.concat(chunks));
      } catch (err) {
        reply = this.errorReply(err);
      }
      this.send(res, reply);
    });
  }

  private errorReply(err: unknown): RestReply {
    if (err instanceof SimRestError) return { status: err.status, body: { message: err.message } };
    if (err && typeof err === 'object' && 'status' in err && 'code' in err) {
      const e = err as { status: number; code: string; message: string; field?: string };
      return { status: e.status, body: { message: e.message, code: e.code, field: e.field } };
    }
    this.core.log.error({ err }, 'simulator request failed');
    return { status: 500, body: { message: 'Internal Server Error' } };
  }

  private send(res: ServerResponse, reply: RestReply): void {
    if (reply.file) {
      res.writeHead(reply.status, {
        'content-type': reply.file.type,
        'content-length': reply.file.data.length,
      });
      res.end(reply.file.data);
      return;
    }
    if (reply.body === undefined) {
      res.writeHead(reply.status);
      res.end();
      return;
    }
    const text = JSON.stringify(reply.body);
    res.writeHead(reply.status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
    });
    res.end(text);
  }

  private handle(req: IncomingMessage, raw: Buffer | undefined): RestReply {
    const url = new URL(req.url ?? '/', 'http://sim');
    const method = req.method ?? 'GET';
    const body = parseBody(raw);
    if (url.pathname.startsWith('/sim/'))
      return this.controlHttp(method, url.pathname.slice(4), url.searchParams, body);
    if (!url.pathname.startsWith('/ari/')) return { status: 404, body: { message: 'Not found' } };
    if (!this.authorized(req, url.searchParams))
      return { status: 401, body: { message: 'Authentication required' } };
    const path = url.pathname.slice(4);
    if (path.startsWith('/api-docs/')) return this.apiDocs(req, path.slice('/api-docs/'.length));
    this.core.counters.restRequests++;
    const reply = this.route(method, path, url.searchParams, body);
    this.core.restLogged({ method, path, status: reply.status });
    return reply;
  }

  private route(method: string, path: string, query: URLSearchParams, body: unknown): RestReply {
    const failure = this.faults.takeRestFailure(method, path);
    if (failure !== undefined) return { status: failure, body: { message: 'Simulated failure' } };
    const match = this.router.match(method, path);
    if (match === undefined) return { status: 404, body: { message: 'Resource not found' } };
    if (match === null) return { status: 405, body: { message: 'Method not allowed' } };
    try {
      return match.handler(buildArgs(match.op, match.pathParams, query, body));
    } catch (err) {
      return this.errorReply(err);
    }
  }

  private apiDocs(req: IncomingMessage, file: string): RestReply {
    const basePath = `http://${req.headers.host ?? 'localhost'}/ari`;
    if (file === 'resources.json') return { status: 200, body: resourceListing(basePath) };
    const name = file.endsWith('.json') ? file.slice(0, -5) : file;
    const doc = apiDeclaration(name, basePath);
    return doc ? { status: 200, body: doc } : { status: 404, body: { message: 'Resource not found' } };
  }

  private onUpgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://sim');
    const names = url.searchParams
      .getAll('app')
      .flatMap((v) => v.split(','))
      .filter((s) => s.length > 0);
    let refusal: string | undefined;
    if (url.pathname !== '/ari/events') refusal = '404 Not Found';
    else if (!this.authorized(req, url.searchParams)) refusal = '401 Unauthorized';
    else if (this.faults.refusingWebSockets()) refusal = '503 Service Unavailable';
    else if (names.length === 0) refusal = '400 Bad Request';
    if (refusal) {
      socket.end(`HTTP/1.1 ${refusal}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    const subscribeAll = url.searchParams.get('subscribeAll') === 'true';
    this.wss.handleUpgrade(req, socket, head, (ws) => this.attach(ws, names, subscribeAll));
  }

  private attach(ws: WebSocket, names: string[], subscribeAll: boolean): void {
    const session: Session = {
      ws,
      apps: new Set(),
      framesSent: 0,
      sink: {
        send: (data) => {
          if (ws.readyState === WebSocket.OPEN) {
            session.framesSent++;
            ws.send(data);
          }
        },
      },
    };
    this.sessions.add(session);
    for (const name of names) {
      const app = this.core.apps.ensure(name);
      const previous = [...this.sessions].find((s) => s !== session && s.apps.has(app));
      if (previous) {
        previous.apps.delete(app);
        const replaced = this.core.ev.plain('ApplicationReplaced');
        previous.sink.send(JSON.stringify(replaced).slice(0, -1) + app.suffix);
      }
      app.socket = session.sink;
      this.core.apps.setSubscribeAll(app, subscribeAll);
      session.apps.add(app);
    }
    this.core.log.info({ apps: names, subscribeAll }, 'ARI WebSocket connected');
    ws.on('close', () => this.detach(session));
    ws.on('error', () => this.detach(session));
  }

  private detach(session: Session): void {
    if (!this.sessions.delete(session)) return;
    for (const app of session.apps) {
      if (app.socket === session.sink) {
        app.socket = undefined;
        this.core.apps.setSubscribeAll(app, false);
      }
    }
    this.core.log.info({ apps: [...session.apps].map((a) => a.name) }, 'ARI WebSocket closed');
  }
}

function parseBody(raw: Buffer | undefined): unknown {
  if (!raw || raw.length === 0) return undefined;
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    return undefined;
  }
}
