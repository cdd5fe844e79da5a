import { getHeapStatistics } from 'node:v8';
import underPressure from '@fastify/under-pressure';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { AgentDefinitionInput } from '../acd/agent.ts';
import { MemoryAppendLog } from '../admin/append-log.ts';
import { callDetail, callSummary, transferTargets } from '../admin/call-view.ts';
import type { DaySlotStore } from '../admin/day-slots.ts';
import { FailureLimiter } from '../admin/failure-limiter.ts';
import { HotlineMetrics } from '../admin/hotline-metrics.ts';
import type { AccessEntry, AccessLedger, AuditEntry, AuditLog } from '../admin/ledgers.ts';
import type { RosterAdmin } from '../admin/roster-admin.ts';
import type { RulesAdmin } from '../admin/rules-admin.ts';
import type { TokenSet } from '../admin/tokens.ts';
import { registerAdmissionMetrics } from '../admission/metrics.ts';
import { EngineGroup } from '../calls/runtime/engine-group.ts';
import type { Clock } from '../clock.ts';
import { HotlineError } from '../errors.ts';
import type { HeldHotline, Hotline } from '../hotline.ts';
import type { EdgeReportReader } from '../redis/edge-report.ts';
import type { DaySlotsReader } from '../reports/database-day-slots.ts';
import { reportKeyName } from '../reports/key-names.ts';
import type { ReportSource } from '../reports/report.ts';
import { admissionApi } from './admission.ts';
import { agentsApi } from './agents.ts';
import { installAuth, ledgerRead } from './auth.ts';
import { callDeskApi } from './call-desk.ts';
import { callsApi } from './calls.ts';
import { ConnectionLimiter, EventStreamLimits } from './connection-limits.ts';
import { docsApi } from './docs.ts';
import { invalidRequest, useErrorCatalogue } from './errors.ts';
import { metricsApi } from './metrics.ts';
import { monitorApi } from './monitor.ts';
import { installRateLimits } from './rate-limits.ts';
import { recordingsApi } from './recordings.ts';
import { reportsApi } from './reports.ts';
import { rosterApi } from './roster.ts';
import { rulesApi } from './rules.ts';
import { type ScreenPopSources, screenPopApi } from './screen-pop.ts';
import { statsApi } from './stats.ts';
import { webPages } from './web.ts';
import { activeAgents, whatIfApi } from './whatif.ts';

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
  /** Roster administration; without it the `/roster` routes are not served. */
  rosterAdmin?: RosterAdmin;
  /** The metrics (default: started here, following the engines (`engines`) and the hotline's store). */
  metrics?: HotlineMetrics;
  /** Server timeouts and caps on connections, event streams and request rates (`defaultApiLimits`). */
  limits?: Partial<ApiLimits>;
  /**
   * The SIP edge's report in Redis (several nodes): its node and trunk gauges on /metrics (when
   * the metrics are started here) and the `telephony` part of /stats.
   */
  edgeReport?: EdgeReportReader;
  /** The wallboard's day figures in Redis (kept across restarts); default: in memory. */
  daySlots?: DaySlotStore;
  /** The wallboard's day figures from the records database (ended calls; preferred when given). */
  databaseDay?: DaySlotsReader;
  /** Where the agent's screen pop finds earlier calls and standard answers (default: neither). */
  screenPop?: ScreenPopSources;
  /** The JSONL records file the engine writes: the rules page's what-if replays its recent calls. */
  recordsPath?: string;
  /** The reports over the records database (RECORDS_DATABASE_URL); absent without a database. */
  reports?: ReportSource;
  /**
   * The engines whose calls the API shows, acts on, counts (wallboard, metrics) and monitors
   * (default: the hotline's alone): with ENGINE_TAKEOVER, the engines taken over too
   * (calls/runtime/engine-group.ts).
   */
  engines?: EngineGroup<HeldHotline>;
}

/**
 * What one client may hold and ask for, and how long the server waits on it. The defaults never
 * bite a real center (toolbars poll every 5 s and hold one event stream, wallboards poll every
 * 2 s) and bound what a hostile client can take: file handles, the event loop, memory.
 */
export interface ApiLimits {
  /**
   * Time to receive a request's headers (slow-header attacks), from its first byte; a new
   * connection that sends nothing is answered 408 and closed this long after its accept, or up
   * to one check of the open connections later (a quarter of this, at most 1 s, below).
   */
  headersTimeoutMs: number;
  /** Time to receive a whole request, body included; an event stream, once its request is in, is not cut. */
  requestTimeoutMs: number;
  /** A socket with no traffic either way for this long is closed (fastify's `connectionTimeout`). */
  idleSocketMs: number;
  /** An idle keep-alive socket is closed after this long (above the 60 s of common load balancers). */
  keepAliveTimeoutMs: number;
  /** Open connections in all; over it new sockets are dropped as they arrive. */
  maxConnections: number;
  /**
   * Open connections per client address (trusted proxies are not counted per address). A whole
   * floor behind one NAT shares an address: raise it there, or put the floor behind a trusted proxy.
   */
  maxConnectionsPerAddress: number;
  /** Open event streams (`GET /agents/:id/events`) per token. */
  eventStreamsPerToken: number;
  /** Open event streams per client address. */
  eventStreamsPerAddress: number;
  /** Requests per token and minute (`/health` is never limited). */
  requestsPerTokenPerMinute: number;
  /** Requests per client address and minute, authenticated or not. */
  requestsPerAddressPerMinute: number;
  /**
   * The API's own protection (@fastify/under-pressure): over this mean event-loop delay (ms) or
   * this share of the V8 heap limit in use, requests get 503 with Retry-After (`/health` still
   * answers, saying so). 0 turns a check off.
   */
  maxEventLoopDelayMs: number;
  maxHeapShare: number;
}

export const defaultApiLimits: ApiLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  idleSocketMs: 60_000,
  keepAliveTimeoutMs: 72_000,
  maxConnections: 8_192,
  maxConnectionsPerAddress: 256,
  eventStreamsPerToken: 8,
  eventStreamsPerAddress: 256,
  requestsPerTokenPerMinute: 1_200,
  requestsPerAddressPerMinute: 12_000,
  maxEventLoopDelayMs: 1_000,
  maxHeapShare: 0.9,
};

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
  const limits: ApiLimits = { ...defaultApiLimits, ...o.limits };
  const httpLogger = o.logger.child({ component: 'http' });
  const app = Fastify({
    loggerInstance: httpLogger as unknown as FastifyBaseLogger,
    bodyLimit: 64 * 1024,
    trustProxy: o.trustProxy && o.trustProxy.length > 0 ? [...o.trustProxy] : false,
    connectionTimeout: limits.idleSocketMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    http: {
      headersTimeout: Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs),
      requestTimeout: limits.requestTimeoutMs,
      // Node checks the headers and request timeouts every 30 s by default: a slow-header socket
      // would live up to 30 s past its timeout. Checking walks the open connections (capped).
      connectionsCheckingInterval: Math.max(
        10,
        Math.min(1_000, Math.floor(Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs) / 4)),
      ),
    },
  });
  const connections = new ConnectionLimiter(
    app.server,
    {
      maxConnections: limits.maxConnections,
      maxConnectionsPerAddress: limits.maxConnectionsPerAddress,
      exempt: o.trustProxy ?? [],
      idleSocketMs: limits.idleSocketMs,
    },
    httpLogger,
  );
  app.decorate('connectionCounts', () => connections.counts());
  useErrorCatalogue(app);
  // The API's own protection under load: a loop too slow or a heap nearly full answers 503 at
  // once (cheap) instead of queueing more work. /health opts out (see there).
  await app.register(underPressure, {
    maxEventLoopDelay: limits.maxEventLoopDelayMs,
    maxHeapUsedBytes:
      limits.maxHeapShare > 0 ? Math.floor(getHeapStatistics().heap_size_limit * limits.maxHeapShare) : 0,
    retryAfter: 10,
    // Answered here (fastify stops a request whose reply is sent in onRequest): no error log per refusal.
    pressureHandler: (_req, reply, type) => {
      void reply
        .code(503)
        .header('Retry-After', 10)
        .send({ error: 'overloaded', message: `the service is under pressure (${type}): try again shortly` });
    },
  });
  app.setNotFoundHandler((_req, reply) =>
    reply.code(404).send({ error: 'not-found', message: 'no such route' }),
  );
  const ledger = o.ledger ?? new MemoryAppendLog<AccessEntry>();
  const audit = o.audit ?? new MemoryAppendLog<AuditEntry>();
  const ownMetrics = !o.metrics;
  const calls = o.engines ?? new EngineGroup<HeldHotline>(o.hotline);
  const metrics =
    o.metrics ??
    (await HotlineMetrics.start(o.hotline, o.clock, {
      engines: calls,
      ...(o.edgeReport ? { edgeReport: o.edgeReport } : {}),
    }));
  const registered = new Set<string>();
  app.addHook('onRoute', (r) => {
    for (const m of Array.isArray(r.method) ? r.method : [r.method]) registered.add(`${m} ${r.url}`);
  });
  installAuth(app, {
    tokens: o.tokens,
    engine: calls,
    limiter: new FailureLimiter({
      max: o.authFailures?.max ?? 10,
      windowMs: o.authFailures?.windowMs ?? 60_000,
      now: () => o.clock.now(),
    }),
  });
  await installRateLimits(app, {
    perToken: limits.requestsPerTokenPerMinute,
    perAddress: limits.requestsPerAddressPerMinute,
    windowMs: 60_000,
    exempt: ['/health'],
  });

  await app.register(agentsApi, {
    store: o.hotline.store,
    roster: o.roster,
    clock: o.clock,
    audit,
    notReadyReasons: () => o.hotline.plan.center.notReadyReasons,
    ...(o.rosterAdmin ? { directory: o.rosterAdmin } : {}),
  });
  await app.register(callsApi, {
    engine: calls,
    streams: new EventStreamLimits({
      perToken: limits.eventStreamsPerToken,
      perAddress: limits.eventStreamsPerAddress,
    }),
    // A comment on every stream well within the idle-socket timeout, so the server never cuts it.
    keepAliveMs: Math.max(10, Math.min(15_000, Math.floor(limits.idleSocketMs / 3))),
  });
  await app.register(callDeskApi, { engine: calls });
  await app.register(screenPopApi, {
    ...(o.screenPop ?? {}),
    engine: calls,
    plan: () => o.hotline.plan,
    ledger,
    clock: o.clock,
  });
  await app.register(statsApi, {
    hotline: o.hotline,
    engines: calls,
    clock: o.clock,
    ...(o.daySlots ? { daySlots: o.daySlots } : {}),
    ...(o.databaseDay ? { databaseDay: o.databaseDay } : {}),
    agentIds: o.rosterAdmin?.ids ?? new Set(o.roster.map((a) => a.id)),
    ...(o.edgeReport ? { edgeReport: o.edgeReport } : {}),
  });
  await app.register(admissionApi, { hotline: o.hotline, clock: o.clock, audit });
  registerAdmissionMetrics(
    metrics.registry,
    () => o.hotline.engine.admission,
    () => o.hotline.safetyNet.shedByReason,
  );
  await app.register(metricsApi, { metrics });
  await app.register(monitorApi, { engines: calls, audit, clock: o.clock, logger: o.logger });
  if (o.rules) {
    await app.register(rulesApi, { rules: o.rules });
    const admin = o.rosterAdmin;
    await app.register(whatIfApi, {
      rules: o.rules,
      audit,
      clock: o.clock,
      logger: o.logger.child({ component: 'whatif' }),
      ...(o.recordsPath ? { recordsPath: o.recordsPath } : {}),
      // The agents of the live roster; disabled ones serve nothing and are left out.
      ...(admin ? { agents: () => activeAgents(admin.engineRoster()) } : {}),
    });
  }
  if (o.rosterAdmin)
    await app.register(rosterApi, {
      roster: o.rosterAdmin,
      store: o.hotline.store,
      plan: () => o.hotline.plan,
    });
  await app.register(recordingsApi, {
    ...(o.hotline.recordings ? { recordings: o.hotline.recordings } : {}),
    ledger,
    clock: o.clock,
  });
  await app.register(reportsApi, {
    ...(o.reports ? { reports: o.reports } : {}),
    ledger,
    clock: o.clock,
    keyNames: (by) => {
      const plan = o.hotline.plan;
      const agents = new Map((o.rosterAdmin?.engineRoster().entries ?? o.roster).map((a) => [a.id, a.name]));
      return (key) => reportKeyName(plan, agents, by, key);
    },
  });
  await app.register(webPages);
  await app.register(docsApi, { registered });

  // A records sink that cannot write (or still holds spooled records) makes the service
  // "degraded", with the reason, but still HTTP 200: calls are routed and records are kept in
  // the spool, so a load balancer or orchestrator must not take the engine out of service or
  // restart it (a restart would only put live calls at risk); monitoring alerts on the status.
  // Shedding new calls (admission control) or an API under pressure is "degraded" too, with the
  // reason: the engine serves its calls and hands the others to the safety net. /health is
  // never refused by the pressure check itself, and reads only figures already at hand.
  app.get('/health', { config: { pressureHandler: () => undefined } }, async () => {
    const records = o.hotline.records.health?.();
    const reasons = records && !records.ok ? [`records: ${records.reason ?? 'not healthy'}`] : [];
    const admission = o.hotline.engine.admission;
    if (admission && admission.state !== 'normal')
      reasons.push(
        `admission: ${admission.state} (${admission.admission.reason}), new calls go to the safety net`,
      );
    const pressure = app.isUnderPressure();
    if (pressure) reasons.push('http: under pressure, API requests are refused with 503');
    const takenOver = calls.takenOver();
    return {
      status: reasons.length > 0 ? 'degraded' : 'ok',
      ...(reasons.length > 0 ? { reasons } : {}),
      center: o.hotline.plan.center.id,
      // every call this process serves, those of the engines it has taken over included
      liveCalls: calls.members().reduce((n, m) => n + m.engine.stats.live, 0),
      ...(takenOver.length > 0 ? { takenOver } : {}),
      ariReconnects: o.hotline.telephony.reconnects,
      admission: admission
        ? { state: admission.state, reason: admission.admission.reason, shed: o.hotline.engine.stats.shed }
        : { state: 'off' },
      http: { underPressure: pressure, ...app.memoryUsage() },
    };
  });
  app.get('/me', async (req) => req.principal);
  app.get('/calls', async (req) => {
    const live = calls.liveCalls();
    await ledgerRead(
      ledger,
      req,
      live.map((c) => c.id),
      o.clock.now(),
    );
    return live.map(callSummary);
  });
  app.get('/calls/:id', async (req) => {
    const { id } = parse(CallParams, 'params', req.params);
    const call = calls.call(id);
    if (!call) throw new HotlineError('no-such-call', `no live call "${id}"`);
    await ledgerRead(ledger, req, [id], o.clock.now());
    return callDetail(call, o.hotline.plan);
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
