import { isAbsolute, join } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { type AppendLog, JsonlAppendLog, RedisAppendLog } from '../admin/append-log.ts';
import type { AccessEntry, AuditEntry } from '../admin/ledgers.ts';
import { RedisVersionStore } from '../admin/redis-versions.ts';
import { RulesAdmin } from '../admin/rules-admin.ts';
import { FileVersionStore, type VersionStore } from '../admin/rules-versions.ts';
import { issueToken, type TokenEntry, TokenSet, TokensFileError } from '../admin/tokens.ts';
import { buildApi } from '../api/server.ts';
import { type RosterEntry, rosterToAgents, startHotline } from '../app.ts';
import { systemClock } from '../clock.ts';
import { apps, ConfigError, readConfig } from '../config.ts';
import { createLogger } from '../log.ts';
import { loadPlan } from '../plan/load.ts';
import { formatProblem, RulesInvalidError } from '../plan/problems.ts';
import { loadRoster } from '../roster.ts';
import { type AriSimulator, startAriSimulator } from '../sim/index.ts';
import { demoRoster } from '../synthetic/demo-agents.ts';
import { Random } from '../synthetic/random.ts';
import { SyntheticTraffic } from '../synthetic/traffic.ts';
import type { CommandIO } from './io.ts';
import { projectRoot, rulesDir } from './paths.ts';

export const serveHelp = `hotline serve [--rules DIR] [--demo-rate CALLS_PER_MINUTE]
  Runs the engine and its HTTP API (HTTP_HOST:HTTP_PORT, default 127.0.0.1:8080).
  With ARI_URL, ARI_USER, ARI_PASSWORD (and ARI_APP) it drives a real Asterisk; without them
  it starts the built-in ARI simulator with demo agents and a stream of synthetic callers,
  so calls flow with no external service, and makes demo tokens (admin, supervisor, agent) and
  prints the web pages' addresses with them. REDIS_URL shares agents and queues, rules versions,
  the access ledger and the audit log between engines; without it the ACD state is in memory and
  the rest is kept under var/. HOTLINE_TOKENS names the tokens file (see \`hotline token\`).`;

const DEMO_AGENT = 'demo-agent';

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
  let plan: ReturnType<typeof loadPlan>['plan'];
  let roster: RosterEntry[];
  try {
    const loaded = loadPlan(rulesDir(values.rules ?? config.HOTLINE_RULES));
    plan = loaded.plan;
    for (const w of loaded.warnings) logger.warn({ where: `${w.file}:${w.path}` }, w.message);
    roster = config.HOTLINE_ROSTER ? loadRoster(config.HOTLINE_ROSTER) : [];
  } catch (err) {
    if (err instanceof RulesInvalidError) {
      for (const p of err.problems) io.err(formatProblem(p));
      return 1;
    }
    throw err;
  }

  const embedded = !config.ARI_URL;
  let sim: AriSimulator | undefined;
  let ari = { url: config.ARI_URL ?? '', user: config.ARI_USER ?? '', password: config.ARI_PASSWORD ?? '' };
  const rnd = new Random(Date.now() % 100_000);
  if (embedded) {
    sim = await startAriSimulator({ logger: logger.child({ component: 'ari-sim' }) });
    ari = { url: sim.url, user: 'hotline', password: 'hotline' };
    if (roster.length === 0) roster = demoRoster(plan, 12, rnd);
    logger.info(
      { ari: sim.url },
      'no ARI_URL: running on the built-in ARI simulator with demo agents and callers',
    );
  } else if (roster.length === 0) {
    io.err('configuration: HOTLINE_ROSTER is required with a real Asterisk (the agents who may log in)');
    return 2;
  }

  const underRoot = (p: string) => (isAbsolute(p) ? p : join(projectRoot, p));
  let tokens: TokenSet;
  const demoTokens: { role: string; token: string }[] = [];
  try {
    if (config.HOTLINE_TOKENS) tokens = TokenSet.fromFile(underRoot(config.HOTLINE_TOKENS));
    else if (embedded) {
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
    } else {
      io.err('configuration: HOTLINE_TOKENS is required with a real Asterisk (who may use the API)');
      return 2;
    }
  } catch (err) {
    if (err instanceof TokensFileError) {
      io.err(`configuration: ${err.message}`);
      return 2;
    }
    throw err;
  }

  const redis = config.REDIS_URL ? new Redis(config.REDIS_URL, { maxRetriesPerRequest: null }) : undefined;
  const centerKey = `hotline:${plan.center.id}`;
  const versions: VersionStore = redis
    ? new RedisVersionStore(redis, plan.center.id)
    : new FileVersionStore(underRoot(config.HOTLINE_RULES_VERSIONS));
  const audit: AppendLog<AuditEntry> = redis
    ? new RedisAppendLog(redis, `${centerKey}:audit`)
    : new JsonlAppendLog(underRoot(config.HOTLINE_AUDIT_LOG));
  const ledger: AppendLog<AccessEntry> = redis
    ? new RedisAppendLog(redis, `${centerKey}:access-ledger`)
    : new JsonlAppendLog(underRoot(config.HOTLINE_ACCESS_LEDGER));
  let rules: RulesAdmin;
  try {
    rules = await RulesAdmin.open({
      versions,
      rulesDir: rulesDir(values.rules ?? config.HOTLINE_RULES),
      audit,
      clock: systemClock,
      logger: logger.child({ component: 'rules' }),
    });
  } catch (err) {
    redis?.disconnect();
    if (err instanceof RulesInvalidError) {
      io.err('the latest published rules version does not load here:');
      for (const p of err.problems) io.err(formatProblem(p));
      return 1;
    }
    throw err;
  }
  plan = rules.plan;

  const recordsPath = underRoot(config.HOTLINE_RECORDS);
  const hotline = await startHotline({
    plan,
    ari: { ...ari, apps: apps(config), maxConnections: config.ARI_MAX_CONNECTIONS },
    ...(config.REDIS_URL ? { redisUrl: config.REDIS_URL } : {}),
    roster,
    records: { jsonlPath: recordsPath },
    engineId: config.ENGINE_ID,
    clock: systemClock,
    logger,
  });
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
  await api.listen({ host: config.HTTP_HOST, port: config.HTTP_PORT });
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

  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  logger.info('shutting down');
  for (const t of timers) clearTimeout(t);
  await api.close();
  await rules.close();
  await hotline.close();
  await sim?.stop();
  await redis?.quit().catch(() => redis.disconnect());
  return 0;
}
