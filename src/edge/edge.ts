import type { Socket } from 'node:net';
import Srf from 'drachtio-srf';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { openRedis, redisWhere } from '../redis/connection.ts';
import type { EdgeConfig } from './config.ts';
import { EdgeMetrics } from './metrics.ts';
import { NodeBoard } from './node-board.ts';
import { HealthTable } from './node-health.ts';
import { OptionsProber, type ProbeTarget, type SendOptions } from './options-prober.ts';
import { PlanSource } from './plan-source.ts';
import { type EdgeReport, REPORT_FRESH_MS, RedisReport } from './redis-report.ts';
import { type EdgeRequest, type EdgeResponse, type ProxyInvite, SipApp } from './sip-app.ts';
import { loadTrunkTargets } from './trunk-health.ts';

export interface RunningEdge {
  board: NodeBoard;
  trunks: HealthTable;
  metrics: EdgeMetrics;
  app: SipApp;
  /** Whether the edge is connected to drachtio-server. */
  connected(): boolean;
  /** The edge's report (what it writes to Redis, and what /health shows). */
  report(): EdgeReport;
  /** Stops taking calls (503), waits for proxies in flight (at most `graceMs`), disconnects. */
  stop(graceMs?: number): Promise<void>;
}

/** The parts of drachtio-srf the edge uses (its bundled typings miss some). */
interface SrfApi {
  connect(opts: { host: string; port: number; secret: string }): void;
  disconnect(): void;
  on(event: string, listener: (...args: never[]) => void): void;
  removeAllListeners(event: string): void;
  invite(handler: (req: EdgeRequest, res: EdgeResponse) => void): void;
  options(handler: (req: EdgeRequest, res: EdgeResponse) => void): void;
  request(
    uri: string,
    opts: { method: string; headers: Record<string, string> },
    callback: (
      err: unknown,
      req: { on(event: 'response', cb: (res: { status: number }) => void): void },
    ) => void,
  ): void;
  proxyRequest(req: EdgeRequest, destinations: string[], opts: object): Promise<unknown>;
}

/** drachtio-srf's client connection (not part of its API, read with care). */
function wireProtocol(
  srf: SrfApi,
):
  | { closing?: boolean; reconnectVars?: { retryTimer?: NodeJS.Timeout | null }; socket?: Socket }
  | undefined {
  return (srf as unknown as { _app?: { wp?: ReturnType<typeof wireProtocol> } })._app?.wp;
}

/**
 * Ends the connection to drachtio-server and its reconnection attempts. drachtio-srf's own
 * disconnect() throws while it is not connected (between its retries), leaving the retry timer.
 */
function closeSrf(srf: SrfApi): void {
  try {
    srf.disconnect();
  } catch {
    // not connected: the wire protocol below is stopped by hand
  }
  const wp = wireProtocol(srf);
  if (!wp) return;
  wp.closing = true;
  if (wp.reconnectVars?.retryTimer) clearTimeout(wp.reconnectVars.retryTimer);
  wp.socket?.destroy();
}

/** An OPTIONS through drachtio-server; the final status (drachtio's own 408 after Timer F). */
function srfOptions(srf: SrfApi): SendOptions {
  return (uri) =>
    new Promise<number>((resolve, reject) => {
      srf.request(
        uri,
        { method: 'OPTIONS', headers: { 'Max-Forwards': '70', 'User-Agent': 'hotline-edge' } },
        (err, req) => {
          if (err) return reject(err instanceof Error ? err : new Error(String(err)));
          req.on('response', (res) => resolve(Number(res.status)));
        },
      );
    });
}

/**
 * Starts the edge: the plan's numbers, the node board with its OPTIONS pings, the trunks'
 * OPTIONS pings, the Redis exchange (with REDIS_URL) and the drachtio-srf app, connected to
 * drachtio-server's admin port (drachtio-srf reconnects by itself when the server restarts).
 */
export async function startEdge(
  config: EdgeConfig,
  rules: { dir: string; folderWins: boolean },
  logger: Logger,
): Promise<RunningEdge> {
  const trunkTargets: ProbeTarget[] = config.peersFile ? loadTrunkTargets(config.peersFile) : [];
  // Published rules versions are read on a connection of their own (the report's connection
  // fails fast instead of queueing, which a start-up read must not).
  const versionsRedis = config.redisUrl ? openRedis(config.redisUrl) : undefined;
  versionsRedis?.on('error', () => undefined);
  let source: PlanSource;
  try {
    source = await PlanSource.open({
      rulesDir: rules.dir,
      folderWins: rules.folderWins,
      ...(versionsRedis ? { redis: versionsRedis } : {}),
      logger,
    });
  } catch (err) {
    versionsRedis?.disconnect();
    throw err;
  }
  logger.info(
    { numbers: source.numbers.size, from: source.from },
    `the edge answers the numbers of ${source.from}`,
  );

  const board = new NodeBoard(config.nodes, REPORT_FRESH_MS);
  const trunks = new HealthTable(trunkTargets.map((t) => t.name));
  const metrics = new EdgeMetrics(board, trunks);
  const srf = new Srf() as unknown as SrfApi;
  const proxy: ProxyInvite = (req, destinations, opts) => srf.proxyRequest(req, destinations, opts);
  const app = new SipApp({
    board,
    numbers: () => source.numbers,
    metrics,
    proxy,
    logger: logger.child({ component: 'edge-sip' }),
    nodeMaxCalls: config.nodeMaxCalls,
    retryAfterSeconds: config.retryAfterSeconds,
    tryingTimeoutMs: config.tryingTimeoutMs,
  });
  srf.invite((req, res) => app.invite(req, res));
  srf.options((req, res) => app.options(req, res));

  let connected = false;
  srf.on('connect', (err: Error | undefined, hostport: string) => {
    if (err) return;
    connected = true;
    // drachtio-srf turns Nagle off on its first connection but not after a reconnect: every
    // INVITE waits on this socket's round trip, so it must never wait on a delayed ACK.
    wireProtocol(srf)?.socket?.setNoDelay(true);
    logger.info({ sip: hostport }, 'connected to drachtio-server');
  });
  // drachtio-srf emits 'close' when the connection drops (then 'reconnecting' while it retries).
  srf.on('close', () => {
    if (connected) logger.warn('lost the connection to drachtio-server; reconnecting');
    connected = false;
    app.connectionLost();
  });
  srf.on('error', (err: Error) => {
    logger.debug({ err: err.message }, 'drachtio connection error');
  });
  srf.connect({ host: config.drachtio.host, port: config.drachtio.port, secret: config.drachtio.secret });

  const send = srfOptions(srf);
  const timeoutMs = Math.max(50, Math.floor(config.optionsMs / 2));
  const nodeProber = new OptionsProber({
    targets: config.nodes.map((n) => ({ name: n.name, uri: `sip:${n.host}:${n.port}` })),
    table: board.health,
    send: (uri) => (connected ? send(uri) : Promise.reject(new Error('not connected to drachtio-server'))),
    intervalMs: config.optionsMs,
    timeoutMs,
    onChange: (name, change, h) =>
      (change === 'up' ? logger.info.bind(logger) : logger.warn.bind(logger))(
        { node: name, reason: h.reason, rttMs: h.rttMs },
        `node ${name} is ${change} (SIP OPTIONS)`,
      ),
  });
  const trunkProber = new OptionsProber({
    targets: trunkTargets,
    table: trunks,
    send: (uri) => (connected ? send(uri) : Promise.reject(new Error('not connected to drachtio-server'))),
    intervalMs: config.optionsMs,
    timeoutMs,
    onChange: (name, change, h) =>
      (change === 'up' ? logger.info.bind(logger) : logger.warn.bind(logger))(
        { trunk: name, reason: h.reason },
        `trunk ${name} is ${change} (SIP OPTIONS)`,
      ),
  });

  const report = (): EdgeReport => {
    const view = board.view();
    return {
      at: Date.now(),
      nodes: view.map((v) => {
        const h = board.health.get(v.name);
        const t = board.totals(v.name);
        return {
          name: v.name,
          up: v.up,
          optionsRttMs: h.rttMs ?? null,
          ari: v.ari,
          calls: v.calls,
          invites: t.invites,
          failures: t.failures,
        };
      }),
      trunks: trunks.names().map((name) => {
        const h = trunks.get(name);
        return { name, up: h.up, rttMs: h.rttMs ?? null };
      }),
    };
  };

  let redis: Redis | undefined;
  let redisTimer: NodeJS.Timeout | undefined;
  if (config.redisUrl) {
    const where = redisWhere(config.redisUrl);
    redis = openRedis(config.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
    let failing = false;
    redis.on('error', () => undefined);
    const shared = new RedisReport(redis, source.centerId);
    let busy = false;
    const exchange = () => {
      if (busy) return;
      busy = true;
      shared
        .exchange(report())
        .then(
          (reports) => {
            board.applyReports(reports);
            if (failing) logger.info({ redis: where }, 'reading the engines’ node reports again');
            failing = false;
          },
          (err: unknown) => {
            if (!failing)
              logger.warn(
                { redis: where, err: String(err) },
                'cannot read the engines’ node reports: after 3 s nodes are weighed by OPTIONS alone',
              );
            failing = true;
          },
        )
        .finally(() => {
          busy = false;
        });
    };
    redis.once('ready', exchange);
    redisTimer = setInterval(exchange, config.optionsMs);
    redisTimer.unref();
  }

  nodeProber.start();
  trunkProber.start();

  return {
    board,
    trunks,
    metrics,
    app,
    connected: () => connected,
    report,
    async stop(graceMs = 5_000) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        app.drain(),
        new Promise<void>((r) => {
          timer = setTimeout(r, graceMs);
        }),
      ]);
      clearTimeout(timer);
      nodeProber.stop();
      trunkProber.stop();
      clearInterval(redisTimer);
      srf.removeAllListeners('close');
      closeSrf(srf);
      redis?.disconnect();
      await source.close().catch(() => undefined);
      versionsRedis?.disconnect();
    },
  };
}
