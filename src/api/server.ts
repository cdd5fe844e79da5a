import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { AgentDefinitionInput } from '../acd/agent.ts';
import { MemoryAppendLog } from '../admin/append-log.ts';
import { callDetail, callSummary, transferTargets } from '../admin/call-view.ts';
import { FailureLimiter } from '../admin/failure-limiter.ts';
import { HotlineMetrics } from '../admin/hotline-metrics.ts';
import type { AccessEntry, AccessLedger, AuditEntry, AuditLog } from '../admin/ledgers.ts';
import type { RulesAdmin } from '../admin/rules-admin.ts';
import type { TokenSet } from '../admin/tokens.ts';
import type { Clock } from '../clock.ts';
import { HotlineError } from '../errors.ts';
import type { Hotline } from '../hotline.ts';
import { agentsApi } from './agents.ts';
import { installAuth, ledgerRead } from './auth.ts';
import { callsApi } from './calls.ts';
import { docsApi } from './docs.ts';
import { invalidRequest, useErrorCatalogue } from './errors.ts';
import { metricsApi } from './metrics.ts';
import { rulesApi } from './rules.ts';
import { statsApi } from './stats.ts';
import { webPages } from './web.ts';

export interface ApiOptions {
  hotline: Hotline;
  roster: AgentDefinitionInput[];
  clock: Clock;
  logger: Logger;
  /** The tokens the API accepts (roles admin, supervisor, agent). */
  tokens: TokenSet;
  /** Failed authentications allowed per client address and window (default 10 per minute). */
  authFailures?: { max: number; windowMs: number };
  /**
   * The reverse proxies in front of the service (addresses, CIDRs, or proxy-addr's `loopback`,
   * `linklocal`, `uniquelocal`): a request through one of them is the client's address from
   * X-Forwarded-For, for the failure limit and the access ledger. Default none: the socket's
   * address, X-Forwarded-For ignored (anyone can write it).
   */
  trustProxy?: readonly string[];
  /** Who read which callers' data (default: in memory). */
  ledger?: AccessLedger;
  /** What administrators changed (default: in memory); give the same log to the RulesAdmin. */
  audit?: AuditLog;
  /** Rules administration; without it the `/rules` routes are not served. */
  rules?: RulesAdmin;
  /** The metrics (default: started here, following the hotline's engine and store). */
  metrics?: HotlineMetrics;
}

const LimitQuery = z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) });
const CallParams = z.object({ id: z.string().min(1).max(128) });

function parse<T>(schema: z.ZodType<T>, part: string, value: unknown): T {
  const r = schema.safeParse(value ?? {});
  if (!r.success) throw invalidRequest(part, r.error);
  return r.data;
}

/**
 * The service's HTTP API: agents and queues, live calls and transfers, rules administration,
 * metrics and wallboard figures, the web pages. Every route is behind the access policy
 * (`src/admin/permissions.ts`); reads of callers' data go to the access ledger.
 */
export async function buildApi(o: ApiOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: o.logger.child({ component: 'http' }) as unknown as FastifyBaseLogger,
    bodyLimit: 64 * 1024,
    trustProxy: o.trustProxy && o.trustProxy.length > 0 ? [...o.trustProxy] : false,
  });
  useErrorCatalogue(app);
  app.setNotFoundHandler((_req, reply) =>
    reply.code(404).send({ error: 'not-found', message: 'no such route' }),
  );
  const ledger = o.ledger ?? new MemoryAppendLog<AccessEntry>();
  const audit = o.audit ?? new MemoryAppendLog<AuditEntry>();
  const ownMetrics = !o.metrics;
  const metrics = o.metrics ?? (await HotlineMetrics.start(o.hotline, o.clock));
  const registered = new Set<string>();
  app.addHook('onRoute', (r) => {
    for (const m of Array.isArray(r.method) ? r.method : [r.method]) registered.add(`${m} ${r.url}`);
  });
  installAuth(app, {
    tokens: o.tokens,
    engine: o.hotline.engine,
    limiter: new FailureLimiter({
      max: o.authFailures?.max ?? 10,
      windowMs: o.authFailures?.windowMs ?? 60_000,
      now: () => o.clock.now(),
    }),
  });

  await app.register(agentsApi, { store: o.hotline.store, roster: o.roster, clock: o.clock, audit });
  await app.register(callsApi, { engine: o.hotline.engine });
  await app.register(statsApi, {
    hotline: o.hotline,
    metrics,
    clock: o.clock,
    agentIds: new Set(o.roster.map((a) => a.id)),
  });
  await app.register(metricsApi, { metrics });
  if (o.rules) await app.register(rulesApi, { rules: o.rules });
  await app.register(webPages);
  await app.register(docsApi, { registered });

  // A records sink that cannot write (or still holds spooled records) makes the service
  // "degraded", with the reason, but still HTTP 200: calls are routed and records are kept in
  // the spool, so a load balancer or orchestrator must not take the engine out of service or
  // restart it (a restart would only put live calls at risk); monitoring alerts on the status.
  app.get('/health', async () => {
    const records = o.hotline.records.health?.();
    const reasons = records && !records.ok ? [`records: ${records.reason ?? 'not healthy'}`] : [];
    return {
      status: reasons.length > 0 ? 'degraded' : 'ok',
      ...(reasons.length > 0 ? { reasons } : {}),
      center: o.hotline.plan.center.id,
      liveCalls: o.hotline.engine.stats.live,
      ariReconnects: o.hotline.telephony.reconnects,
    };
  });
  app.get('/me', async (req) => req.principal);
  app.get('/calls', async (req) => {
    const calls = o.hotline.engine.liveCalls();
    await ledgerRead(
      ledger,
      req,
      calls.map((c) => c.id),
      o.clock.now(),
    );
    return calls.map(callSummary);
  });
  app.get('/calls/:id', async (req) => {
    const { id } = parse(CallParams, 'params', req.params);
    const call = o.hotline.engine.call(id);
    if (!call) throw new HotlineError('no-such-call', `no live call "${id}"`);
    await ledgerRead(ledger, req, [id], o.clock.now());
    return callDetail(call);
  });
  app.get('/transfer-targets', async () => ({ targets: transferTargets(o.hotline.plan) }));
  app.get('/admin/audit', async (req) => {
    const { limit } = parse(LimitQuery, 'query', req.query);
    return { entries: await audit.latest(limit) };
  });
  app.get('/admin/access-ledger', async (req) => {
    const { limit } = parse(LimitQuery, 'query', req.query);
    return { entries: await ledger.latest(limit) };
  });
  if (ownMetrics) app.addHook('onClose', async () => metrics.stop());
  return app;
}
