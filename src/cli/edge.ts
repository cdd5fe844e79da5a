import { parseArgs } from 'node:util';
import Fastify, { type FastifyInstance } from 'fastify';
import { PeersFileError } from '../deploy/peers.ts';
import { EdgeConfigError, readEdgeConfig } from '../edge/config.ts';
import { type RunningEdge, startEdge } from '../edge/edge.ts';
import { createLogger } from '../log.ts';
import { formatProblem, RulesInvalidError } from '../plan/problems.ts';
import { type CommandIO, processIO } from './io.ts';
import { rulesDir } from './paths.ts';
import { StopSignal } from './stop-signal.ts';

/** After stopping, the process exits within this even if a socket or timer lingers. */
const EXIT_GRACE_MS = 3_000;

export const edgeHelp = `hotline edge [--rules DIR]
  Runs the SIP edge: a drachtio-srf app in front of several Asterisk nodes. drachtio-server
  (a separate process) takes the carrier's SIP; the edge connects to its admin port
  (DRACHTIO_URL, default tcp://127.0.0.1:9022, with DRACHTIO_SECRET) and decides every INVITE
  from memory: a number the plan does not answer gets 404 (Reason: Q.850 cause 1), any other is
  proxied (no record-route) to the nodes of EDGE_NODES (a=127.0.0.21:5060,b=…) that are up by
  SIP OPTIONS (every EDGE_OPTIONS_MS, default 1000), reported reachable by an engine and below
  EDGE_NODE_MAX_CALLS calls (default 400), fewest calls first, moving on to the next node on a
  503, another failure or silence (EDGE_TRYING_TIMEOUT_MS, default 500); with no such node,
  503 with Retry-After (EDGE_RETRY_AFTER_SECONDS, default 5). With REDIS_URL it reads the
  engines' node reports and writes its own; without it, every node up by OPTIONS counts as
  reachable and its load is the INVITEs the edge has in flight to it. EDGE_PEERS (peers.yaml)
  names the trunks whose health it watches. /metrics and /health on HTTP_HOST:HTTP_PORT
  (default 127.0.0.1:8081). The numbers: --rules DIR always wins; otherwise, with Redis, the
  latest published rules version (and each one published later) when it loads here, else the rules
  folder (HOTLINE_RULES, default routing-rules/).`;

/** The edge's HTTP side: Prometheus metrics and a health summary. */
export async function edgeHttp(edge: RunningEdge, host: string, port: number): Promise<FastifyInstance> {
  const http = Fastify({ logger: false });
  http.get('/metrics', async (_req, reply) => {
    const body = await edge.metrics.registry.metrics();
    return reply.type(edge.metrics.registry.contentType).send(body);
  });
  // 200 while the edge is connected to drachtio-server: it then answers every INVITE itself
  // (with 503 when no node may take a call; `takesCalls` says whether one may).
  http.get('/health', async (_req, reply) => {
    const connected = edge.connected();
    return reply.code(connected ? 200 : 503).send({
      ok: connected,
      takesCalls: edge.app.takesCalls(),
      shared: edge.board.shared,
      ...edge.report(),
    });
  });
  await http.listen({ host, port });
  return http;
}

export async function edgeCommand(args: string[], io: CommandIO): Promise<number> {
  const { values } = parseArgs({ args, options: { rules: { type: 'string' } }, strict: true });
  let config: ReturnType<typeof readEdgeConfig>;
  try {
    config = readEdgeConfig();
  } catch (err) {
    if (err instanceof EdgeConfigError) {
      io.err(`configuration: ${err.message}`);
      return 2;
    }
    throw err;
  }
  const logger = createLogger({ level: config.logLevel });
  const signal = new StopSignal();
  let edge: RunningEdge;
  let http: FastifyInstance;
  try {
    edge = await startEdge(
      config,
      { dir: rulesDir(values.rules ?? config.rulesDir), folderWins: values.rules !== undefined },
      logger,
    );
    try {
      http = await edgeHttp(edge, config.http.host, config.http.port);
    } catch (err) {
      await edge.stop(0);
      throw err;
    }
  } catch (err) {
    signal.forget();
    if (err instanceof RulesInvalidError) for (const p of err.problems) io.err(formatProblem(p));
    else if (err instanceof PeersFileError) io.err(err.message);
    else io.err(`hotline edge could not start: ${(err as Error).message ?? String(err)}`);
    // Nothing is left to serve: do not let a lingering socket or timer keep the process up.
    if (io === processIO) setTimeout(() => process.exit(1), EXIT_GRACE_MS).unref();
    return 1;
  }
  io.out(`edge: /metrics and /health on http://${config.http.host}:${port(http)}`);
  await signal.requested();
  signal.forget();
  logger.info('shutting down: new INVITEs get 503, proxies in flight finish');
  await edge.stop();
  await http.close();
  // Nothing is left to serve: a lingering socket (Redis, drachtio) must not keep the process up.
  if (io === processIO) setTimeout(() => process.exit(0), EXIT_GRACE_MS).unref();
  return 0;
}

function port(http: FastifyInstance): number {
  const a = http.server.address();
  return typeof a === 'object' && a ? a.port : 0;
}
