import { isAbsolute, join } from 'node:path';
import { parseArgs } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { type AppendLog, JsonlAppendLog, RedisAppendLog } from '../admin/append-log.ts';
import type { AccessEntry, AuditEntry } from '../admin/ledgers.ts';
import { RedisVersionStore } from '../admin/redis-versions.ts';
import { RulesAdmin } from '../admin/rules-admin.ts';
import { FileVersionStore, type VersionStore } from '../admin/rules-versions.ts';
import { issueToken, type TokenEntry, TokenSet, TokensFileError } from '../admin/tokens.ts';
import { buildApi } from '../api/server.ts';
import { type Hotline, type RosterEntry, rosterToAgents, startHotline } from '../app.ts';
import { systemClock } from '../clock.ts';
import { amiConfig, apps, type Config, ConfigError, readConfig } from '../config.ts';
import { createLogger } from '../log.ts';
import type { RoutingPlan } from '../plan/compile.ts';
import { loadPlan } from '../plan/load.ts';
import { formatProblem, RulesInvalidError } from '../plan/problems.ts';
import { loadRoster } from '../roster.ts';
import { type AriSimulator, startAriSimulator } from '../sim/index.ts';
import { demoRoster } from '../synthetic/demo-agents.ts';
import { Random } from '../synthetic/random.ts';
import { SyntheticTraffic } from '../synthetic/traffic.ts';
import { type CommandIO, processIO } from './io.ts';
import { projectRoot, rulesDir } from './paths.ts';

export const serveHelp = `hotline serve [--rules DIR] [--demo-rate CALLS_PER_MINUTE]
  Runs the engine and its HTTP API (HTTP_HOST:HTTP_PORT, default 127.0.0.1:8080).
  With ARI_URL, ARI_USER, ARI_PASSWORD (and ARI_APP) it drives a real Asterisk; without them
  it starts the built-in ARI simulator with demo agents and a stream of synthetic callers,
  so calls flow with no external service, and makes demo tokens (admin, supervisor, agent) and
  prints the web pages' addresses with them. REDIS_URL shares agents and queues, rules versions,
  the access ledger and the audit log between engines; without it the ACD state is in memory and
  the rest is kept under var/. HOTLINE_TOKENS names the tokens file (see \`hotline token\`).
  Which rules: --rules DIR always wins (published as a new version when its files differ from
  the latest). Without it, the latest published version is served if it loads here, else the
  rules folder (HOTLINE_RULES, default routing-rules/), published as a new version, with a
  warning saying why; the first line says which ("serving rules version N published … by …" or
  "serving rules from DIR …"). A start-up error ends the process with one line and exit code 1.`;

const DEMO_AGENT = 'demo-agent';

/** A start-up failure worth one line: printed as is, exit code 1 (2 for the configuration). */
class StartupError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** How long a step of the start-up may wait on Redis before the start is abandoned. */
const REDIS_START_TIMEOUT_MS = 15_000;
/** After a failed start, the process exits within this even if a socket or timer lingers. */
const EXIT_GRACE_MS = 3_000;

export async function serveCommand(args: string[], io: CommandIO): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { rules: { type: 'string' }, 'demo-rate': { type: 'string' } },
    strict: true,
  });
  let config: ReturnType<typeof readConfig>;
  try {
    config = readConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      io.err(`configuration: ${err.message}`);
      return 2;
    }
    throw err;
  }
  const logger = createLogger({ level: config.LOG_LEVEL });
  // Ctrl-C or SIGTERM, even during the start-up: finish starting, then shut down cleanly.
  // (A second Ctrl-C ends the process at once.)
  let stopRequested = false;
  let wake = () => {};
  const onSignal = () => {
    stopRequested = true;
    wake();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const forgetSignals = () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
  // What has been started so far, stopped in reverse order when the start fails.
  const started: (() => Promise<unknown>)[] = [];
  let running: Running;
  try {
    running = await start(values, config, logger, io, started);
  } catch (err) {
    forgetSignals();
    for (const stop of started.reverse()) await stop().catch(() => undefined);
    let code = 1;
    if (err instanceof StartupError) {
      io.err(err.message);
      code = err.exitCode;
    } else if (err instanceof RulesInvalidError) {
      for (const p of err.problems) io.err(formatProblem(p));
    } else {
      logger.debug({ err }, 'start-up failed');
      io.err(`hotline serve could not start: ${(err as Error).message ?? String(err)}`);
    }
    // Nothing is left to serve: do not let a lingering socket or timer keep the process up.
    if (io === processIO) setTimeout(() => process.exit(code), EXIT_GRACE_MS).unref();
    return code;
  }
  const { hotline, api, rules, sim, redis, plan, roster, rnd, demoTokens } = running;
  const timers: NodeJS.Timeout[] = [];
  if (sim) {
    const traffic = new SyntheticTraffic({
      plan,
      sim,
      engine: hotline.engine,
      store: hotline.store,
      clock: systemClock,
      rnd,
      apps: apps(config),
      roster: roster.filter((r) => r.id !== DEMO_AGENT),
    });
    await traffic.staff();
    sim.setEndpoint(`PJSIP/${DEMO_AGENT}`, { behaviour: 'answer', answerAfterMs: 1500, online: true });
    const base = `http://${config.HTTP_HOST === '0.0.0.0' ? '127.0.0.1' : config.HTTP_HOST}:${config.HTTP_PORT}`;
    const page = (path: string, role: string) =>
      `${base}${path}#token=${demoTokens.find((t) => t.role === role)?.token ?? ''}`;
    if (demoTokens.length > 0) {
      io.out(
        [
          'demo tokens for this run (not kept anywhere):',
          `  wallboard (supervisor): ${page('/web/wallboard.html', 'supervisor')}`,
          `  agent toolbar (${DEMO_AGENT}): ${page('/web/agent.html', 'agent')}`,
          `  rules (admin):          ${page('/web/rules.html', 'admin')}`,
          `  API reference:          ${page('/docs', 'admin')}`,
        ].join('\n'),
      );
    }
    const perMinute = Number(values['demo-rate'] ?? 6);
    const place = () => {
      traffic.placeCall();
      timers[0] = setTimeout(place, rnd.exponential(60_000 / Math.max(0.1, perMinute)));
    };
    place();
  }
  timers.push(
    setInterval(() => {
      const live = hotline.engine.liveCalls();
      logger.info(
        {
          live: live.length,
          ivr: live.filter((c) => c.stage === 'ivr').length,
          waiting: live.filter((c) => c.stage === 'queued').length,
          talking: live.filter((c) => c.stage === 'talking' || c.stage === 'transferred').length,
          ended: hotline.engine.stats.ended,
          records: hotline.engine.stats.recordsWritten,
        },
        'calls',
      );
    }, 10_000),
  );

  if (!stopRequested) {
    await new Promise<void>((resolve) => {
      wake = resolve;
    });
  }
  forgetSignals();
  logger.info('shutting down');
  for (const t of timers) clearTimeout(t);
  await api.close();
  await rules.close();
  await hotline.close();
  await sim?.stop();
  await redis?.quit().catch(() => redis.disconnect());
  return 0;
}

interface Running {
  hotline: Hotline;
  api: FastifyInstance;
  rules: RulesAdmin;
  sim: AriSimulator | undefined;
  redis: Redis | undefined;
  plan: RoutingPlan;
  roster: RosterEntry[];
  rnd: Random;
  demoTokens: { role: string; token: string }[];
}

/**
 * Everything up to the API listening. Each thing started pushes its stop onto `started`; a failure
 * throws (StartupError: one line; RulesInvalidError: its problems) and the caller stops them.
 */
async function start(
  values: { rules?: string | undefined },
  config: Config,
  logger: Logger,
  io: CommandIO,
  started: (() => Promise<unknown>)[],
): Promise<Running> {
  const folder = rulesDir(values.rules ?? config.HOTLINE_RULES);
  // The folder names the center (whose versions, queues and ledgers are used) and is the
  // fallback, so it must load even when a published version is what gets served.
  const loaded = loadPlan(folder);
  for (const w of loaded.warnings) logger.warn({ where: `${w.file}:${w.path}` }, w.message);
  let roster = config.HOTLINE_ROSTER ? loadRoster(config.HOTLINE_ROSTER) : [];
  const embedded = !config.ARI_URL;
  if (!embedded && roster.length === 0) {
    throw new StartupError(
      'configuration: HOTLINE_ROSTER is required with a real Asterisk (the agents who may log in)',
      2,
    );
  }
  if (!embedded && !config.HOTLINE_TOKENS) {
    throw new StartupError(
      'configuration: HOTLINE_TOKENS is required with a real Asterisk (who may use the API)',
      2,
    );
  }

  const underRoot = (p: string) => (isAbsolute(p) ? p : join(projectRoot, p));
  let redis: Redis | undefined;
  if (config.REDIS_URL) {
    const client = new Redis(config.REDIS_URL, { maxRetriesPerRequest: null, lazyConnect: true });
    redis = client;
    started.push(async () => client.disconnect());
    await reachRedis(client, config.REDIS_URL);
  }
  const centerId = loaded.plan.center.id;
  const centerKey = `hotline:${centerId}`;
  // Versions are kept per center: a folder of another center starts its own history.
  const versions: VersionStore = redis
    ? new RedisVersionStore(redis, centerId)
    : new FileVersionStore(join(underRoot(config.HOTLINE_RULES_VERSIONS), centerId));
  const audit: AppendLog<AuditEntry> = redis
    ? new RedisAppendLog(redis, `${centerKey}:audit`)
    : new JsonlAppendLog(underRoot(config.HOTLINE_AUDIT_LOG));
  const ledger: AppendLog<AccessEntry> = redis
    ? new RedisAppendLog(redis, `${centerKey}:access-ledger`)
    : new JsonlAppendLog(underRoot(config.HOTLINE_ACCESS_LEDGER));
  const rules = await RulesAdmin.open({
    versions,
    rulesDir: folder,
    folderWins: values.rules !== undefined,
    audit,
    clock: systemClock,
    logger: logger.child({ component: 'rules' }),
  });
  started.push(() => rules.close());
  for (const w of rules.start.warnings) io.err(`warning: ${w}`);
  io.out(rules.start.line);
  const plan = rules.plan;

  let ari = { url: config.ARI_URL ?? '', user: config.ARI_USER ?? '', password: config.ARI_PASSWORD ?? '' };
  const rnd = new Random(Date.now() % 100_000);
  let sim: AriSimulator | undefined;
  if (embedded) {
    const s = await startAriSimulator({ logger: logger.child({ component: 'ari-sim' }), ami: true });
    sim = s;
    started.push(() => s.stop());
    ari = { url: s.url, user: 'hotline', password: 'hotline' };
    if (roster.length === 0) roster = demoRoster(plan, 12, rnd);
    logger.info(
      { ari: s.url },
      'no ARI_URL: running on the built-in ARI simulator with demo agents and callers',
    );
  }

  let tokens: TokenSet;
  const demoTokens: { role: string; token: string }[] = [];
  if (config.HOTLINE_TOKENS) {
    try {
      tokens = TokenSet.fromFile(underRoot(config.HOTLINE_TOKENS));
    } catch (err) {
      if (err instanceof TokensFileError) throw new StartupError(`configuration: ${err.message}`, 2);
      throw err;
    }
  } else {
    // A demo agent the synthetic traffic leaves alone: whoever opens the agent page drives it.
    const topics = [...new Set([...plan.lines.values()].map((l) => l.topic))];
    roster.push({
      id: DEMO_AGENT,
      name: '演示坐席',
      endpoint: `PJSIP/${DEMO_AGENT}`,
      pools: [...plan.pools.keys()],
      skills: Object.fromEntries(topics.map((t) => [t, 5])),
    });
    const entries: TokenEntry[] = [];
    for (const [id, role, agentId] of [
      ['demo-admin', 'admin', undefined],
      ['demo-supervisor', 'supervisor', undefined],
      [DEMO_AGENT, 'agent', DEMO_AGENT],
    ] as const) {
      const issued = issueToken(id, role, agentId);
      entries.push(issued.entry);
      demoTokens.push({ role, token: issued.token });
    }
    tokens = new TokenSet(entries);
  }

  const recordsPath = underRoot(config.HOTLINE_RECORDS);
  // Softphone registration: AMI when configured, else the embedded simulator's AMI side, else a poll.
  const ami = amiConfig(config) ?? sim?.ami;
  const hotline = await startHotline({
    plan,
    ari: {
      ...ari,
      apps: apps(config),
      maxConnections: config.ARI_MAX_CONNECTIONS,
      idleSocketMs: config.ARI_IDLE_SOCKET_MS,
    },
    ...(ami ? { ami } : {}),
    endpointPollMs: config.ENDPOINT_POLL_SECONDS * 1000,
    reconcileEveryMs: config.RECONCILE_SECONDS * 1000,
    ...(config.REDIS_URL ? { redisUrl: config.REDIS_URL } : {}),
    roster,
    records: { jsonlPath: recordsPath },
    engineId: config.ENGINE_ID,
    clock: systemClock,
    logger,
  });
  started.push(() => hotline.close());
  await rules.attach((next) => hotline.setPlan(next));
  const api = await buildApi({
    hotline,
    roster: rosterToAgents(roster, plan.center.id),
    clock: systemClock,
    logger,
    tokens,
    ledger,
    audit,
    rules,
    authFailures: { max: config.AUTH_FAILURES_PER_MINUTE, windowMs: 60_000 },
    trustProxy: config.HTTP_TRUSTED_PROXIES,
  });
  started.push(() => api.close());
  try {
    await api.listen({ host: config.HTTP_HOST, port: config.HTTP_PORT });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const where = `port ${config.HTTP_PORT} on ${config.HTTP_HOST}`;
    if (code === 'EADDRINUSE') {
      throw new StartupError(`${where} is in use: set HTTP_PORT or stop the other process`);
    }
    if (code === 'EACCES') {
      throw new StartupError(`${where} is not allowed to this user: set HTTP_PORT to a port above 1023`);
    }
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') {
      throw new StartupError(`${config.HTTP_HOST} is not an address of this machine: set HTTP_HOST`);
    }
    throw err;
  }
  logger.info(
    {
      center: plan.center.name,
      rulesVersion: rules.version.version,
      lines: plan.lines.size,
      agents: roster.length,
      http: `http://${config.HTTP_HOST}:${config.HTTP_PORT}`,
      records: recordsPath,
    },
    'hotline is serving',
  );
  return { hotline, api, rules, sim, redis, plan, roster, rnd, demoTokens };
}

/** Connects to Redis or gives up with one line after REDIS_START_TIMEOUT_MS. */
async function reachRedis(redis: Redis, url: string): Promise<void> {
  let last = '';
  const onError = (err: Error) => {
    last = (err as NodeJS.ErrnoException).code ?? err.message;
  };
  redis.on('error', onError);
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      redis.connect().then(() => redis.ping()),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), REDIS_START_TIMEOUT_MS);
      }),
    ]);
  } catch (err) {
    const reason = last || (err as Error).message;
    throw new StartupError(`cannot reach Redis at ${redisWhere(url)} (${reason}): start it or fix REDIS_URL`);
  } finally {
    clearTimeout(timer);
    redis.off('error', onError);
  }
}

/** The Redis URL without its credentials. */
function redisWhere(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || 6379}${u.pathname && u.pathname !== '/' ? u.pathname : ''}`;
  } catch {
    return 'REDIS_URL';
  }
}
