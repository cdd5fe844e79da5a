import { dirname, join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { AgentDefinitionInput } from './acd/agent.ts';
import { AgentDispatcher } from './acd/agent-dispatcher.ts';
import { AgentRecovery } from './acd/agent-recovery.ts';
import { queuePolicies } from './acd/plan-queues.ts';
import { MemoryAcdStore } from './acd/store/memory.ts';
import type { AcdStore } from './acd/store/port.ts';
import { RedisAcdStore } from './acd/store/redis.ts';
import { type AppendLog, JsonlAppendLog, RedisAppendLog } from './admin/append-log.ts';
import type { AccessEntry, AuditEntry } from './admin/ledgers.ts';
import { RedisDaySlots } from './admin/redis-day-slots.ts';
import { RedisVersionStore } from './admin/redis-versions.ts';
import { RosterAdmin } from './admin/roster-admin.ts';
import { FileRosterStore } from './admin/roster-store.ts';
import { RulesAdmin } from './admin/rules-admin.ts';
import { FileVersionStore, type VersionStore } from './admin/rules-versions.ts';
import { issueToken, type TokenEntry, TokenSet, TokensFileError } from './admin/tokens.ts';
import type { AdmissionOptions } from './admission/config.ts';
import { screenPopSources } from './api/screen-pop.ts';
import { type ApiLimits, buildApi } from './api/server.ts';
import { acdQueueId, CallEngine } from './calls/runtime/engine.ts';
import { EngineGroup } from './calls/runtime/engine-group.ts';

export { queuePolicies };

import type { SessionStore } from './calls/runtime/session-store.ts';
import { noTicketing } from './calls/runtime/ticketing.ts';
import { systemClock } from './clock.ts';
import type { AmiAccount } from './config.ts';
import { EngineTakeover } from './engine-takeover.ts';
import type { HeldHotline, Hotline, HotlineOptions, RedisConnections } from './hotline.ts';
import type { RoutingPlan } from './plan/compile.ts';
import { readCenterId } from './plan/load.ts';
import { type RecordingSettings, Recordings } from './recordings/recordings.ts';
import { liveCounts } from './records/call-figures.ts';
import type { RecordSink } from './records/record.ts';
import { readSafetyNetConfig, SafetyNetIntake } from './records/safety-net-intake.ts';
import { readRecordsConfig } from './records/sinks/config.ts';
import { createRecordSink } from './records/sinks/factory.ts';
import { RedisAttemptClaims } from './redis/attempt-claims.ts';
import { openRedis, RedisUnreachableError, reachRedis } from './redis/connection.ts';
import { EdgeReportReader } from './redis/edge-report.ts';
import { EngineLease } from './redis/engine-lease.ts';
import { KeeperLease } from './redis/keeper-lease.ts';
import { NodeReporter } from './redis/node-report.ts';
import { RedisRosterStore } from './redis/roster-store.ts';
import { RecordsReadDatabase } from './reports/records-read-database.ts';
import { loadRoster, type RosterEntry, rosterPhones } from './roster.ts';
import { RedisSessionStore } from './sessions/redis-session-store.ts';
import { type AriSimulator, startAriSimulator } from './sim/index.ts';
import { demoRoster } from './synthetic/demo-agents.ts';
import { Random } from './synthetic/random.ts';
import { SyntheticTraffic } from './synthetic/traffic.ts';
import { AmiClient } from './telephony/ami/ami-client.ts';
import { AmiPresence } from './telephony/ami/ami-presence.ts';
import { SafetyNetQueue } from './telephony/ami/safety-net-queue.ts';
import { TaskprocessorWatch } from './telephony/ami/taskprocessors.ts';
import { AriAdapter } from './telephony/ari/ari-adapter.ts';
import { AriNodes } from './telephony/ari/ari-nodes.ts';
import { EndpointPoll } from './telephony/ari/endpoint-poll.ts';
import { AriRecordingStore } from './telephony/ari/recordings.ts';
import { MemoryAttemptClaims } from './telephony/attempt-claims.ts';
import { DialAllowList } from './telephony/dial-allow-list.ts';
import { nodeAffinity } from './telephony/node-affinity.ts';
import { NodePresence } from './telephony/node-presence.ts';
import type { PresencePort } from './telephony/port.ts';
import { ticketingFromEnv } from './ticketing/http-ticketing.ts';

/** The plan's pools and expert seats as ACD queues. */
export function rosterToAgents(roster: RosterEntry[], centerId: string): AgentDefinitionInput[] {
  return roster.map((r) => ({
    id: r.id,
    name: r.name,
    centerId,
    ...rosterPhones(r),
    skills: r.skills ?? {},
    pools: (r.pools ?? []).map((p) => acdQueueId('pool', p)),
    expertSeats: (r.expertSeats ?? []).map((e) => acdQueueId('expert', e)),
    ...(r.department ? { department: r.department } : {}),
  }));
}

/**
 * Opens the engine's Redis connections (lazily with `lazy`: the first command, or `connect()`,
 * connects). Commands wait for Redis while it is away (no per-request retry limit): a frozen or
 * restarted Redis delays calls instead of failing them. Connection errors go to the log (once
 * per outage); ioredis reconnects.
 */
export function openRedisConnections(url: string, logger: Logger, lazy = false): RedisConnections {
  const commands = openRedis(url, { maxRetriesPerRequest: null, lazyConnect: lazy });
  const changeFeed = commands.duplicate();
  for (const [name, c] of [
    ['commands', commands],
    ['change feed', changeFeed],
  ] as const) {
    // One line per outage, not one per reconnection attempt.
    let reported = false;
    c.on('ready', () => {
      reported = false;
    });
    c.on('error', (err: Error) => {
      if (reported) return;
      reported = true;
      logger.warn({ component: 'redis', connection: name, err: err.message }, 'Redis error');
    });
  }
  return {
    commands,
    changeFeed,
    async close() {
      await Promise.all([changeFeed, commands].map((c) => c.quit().catch(() => c.disconnect())));
    },
  };
}

/** Wires the engine: ARI adapter, ACD store (Redis when configured, else memory), dispatcher, records. */
export async function startHotline(o: HotlineOptions): Promise<Hotline> {
  const centerId = o.plan.center.id;
  let current = o.plan;
  // What the engine may dial: the roster's phones and the published plan's targets, rebuilt on
  // publish and on a roster change (src/admin/roster-admin.ts).
  let roster = o.roster;
  let phones = o.roster.map(rosterPhones);
  let allowList = DialAllowList.build({ agents: phones, plan: o.plan });
  const ownRedis = !o.redis && o.redisUrl ? openRedisConnections(o.redisUrl, o.logger) : undefined;
  const redis = o.redis ?? ownRedis;
  let store: AcdStore;
  try {
    store = redis
      ? await RedisAcdStore.open({
          centerId,
          clock: o.clock,
          redis: redis.commands,
          subscriber: redis.changeFeed,
          ...(o.redisKeyPrefix ? { keyPrefix: o.redisKeyPrefix } : {}),
          onError: (err) =>
            o.logger.warn({ component: 'acd', err: (err as Error).message }, 'ACD store: Redis error'),
        })
      : new MemoryAcdStore({ centerId, clock: o.clock });
  } catch (err) {
    await ownRedis?.close();
    throw err;
  }
  await store.setQueues(queuePolicies(o.plan));
  await store.upsertAgents(rosterToAgents(o.roster, centerId));
  const env = o.env ?? process.env;
  let records: RecordSink;
  let recordCipher = o.recordCipher;
  if ('write' in o.records) records = o.records;
  else {
    const recordsConfig = readRecordsConfig({ ...env, HOTLINE_RECORDS: o.records.jsonlPath });
    const configured = await createRecordSink(recordsConfig, {
      clock: o.clock,
      logger: o.logger.child({ component: 'records' }),
      // The outbox and the stream use the engine's connection when they are on its Redis.
      ...(redis && recordsConfig.redisUrl !== undefined && recordsConfig.redisUrl === o.redisUrl
        ? { redis: redis.commands }
        : {}),
    });
    o.logger.info({ destinations: configured.destinations }, configured.summary);
    records = configured;
    recordCipher ??= configured.cipher;
  }
  // With Redis, sessions are kept so this engine (same ENGINE_ID) picks its calls up after a restart.
  const sessions: SessionStore | undefined = redis
    ? new RedisSessionStore({
        redis: redis.commands,
        centerId,
        engineId: o.engineId,
        logger: o.logger.child({ component: 'sessions' }),
        ...(o.redisKeyPrefix ? { keyPrefix: o.redisKeyPrefix } : {}),
      })
    : undefined;
  const ticketing =
    o.ticketing ?? ticketingFromEnv(env, o.logger.child({ component: 'ticketing' })) ?? noTicketing;
  const ariLogger = o.logger.child({ component: 'ari' });
  const ariOptions = {
    user: o.ari.user,
    password: o.ari.password,
    apps: o.ari.apps,
    maxRestConnections: o.ari.maxConnections,
    ...(o.ari.idleSocketMs !== undefined ? { restIdleSocketMs: o.ari.idleSocketMs } : {}),
    logger: ariLogger,
    clock: o.clock,
    // One node's channel of each carrier call is served (several nodes behind the SIP edge, whose
    // retries can bring a call to two nodes): shared by the engines in Redis, else this process's.
    attemptClaims: redis
      ? new RedisAttemptClaims(redis.commands, centerId, o.redisKeyPrefix || undefined)
      : new MemoryAttemptClaims(() => o.clock.now()),
  };
  // Several nodes: one ARI adapter per node, registrations merged (agents reached across nodes).
  let nodePresence: NodePresence | undefined;
  const nodes = o.ari.nodes;
  const telephony =
    nodes && nodes.length > 0
      ? new AriNodes({
          ...ariOptions,
          nodes,
          nodeLostMs: o.ari.nodeLostMs ?? 3_000,
          locate: (endpoint) => nodePresence?.nodesOf(endpoint),
        })
      : new AriAdapter({ ...ariOptions, url: o.ari.url });
  const amiLogger = o.logger.child({ component: 'ami' });
  const amiClient = (account: AmiAccount, node?: string) =>
    new AmiClient({ ...account, clock: o.clock, logger: node ? amiLogger.child({ node }) : amiLogger });
  // AMI per node (AMI_NODES), or the one AMI.
  const amis = new Map<string, AmiClient>();
  if (telephony instanceof AriNodes) {
    for (const [node, account] of o.amiNodes ?? []) amis.set(node, amiClient(account, node));
  } else if (o.ami) amis.set('', amiClient(o.ami));
  const ami = [...amis.values()][0];
  // The dialplan's safety net: its queue's members follow the agents (AMI, on every node); its
  // calls' notes become records.
  // With Redis, several engines may reach one node: one keeper per node sends the AMI actions
  // (redis/keeper-lease.ts), the others stand by, instead of every engine sending the same ones.
  // Several nodes: an agent registered on another node is this node's member through the
  // inter-node trunk (moved when its registration moves, see below).
  const safetyNetQueues = [...amis.entries()].map(
    ([node, client]) =>
      new SafetyNetQueue({
        ami: client,
        store,
        logger: o.logger.child({ component: 'safety-net', ...(node ? { node } : {}) }),
        keeper: !redis,
        ...(node
          ? { node: { name: node, locate: (endpoint: string) => nodePresence?.nodesOf(endpoint) } }
          : {}),
      }),
  );
  const safetyNetKeepers = redis
    ? new KeeperLease({
        redis: redis.commands,
        centerId,
        ...(o.redisKeyPrefix ? { keyPrefix: o.redisKeyPrefix } : {}),
        duty: 'safety-net',
        posts: [...amis.entries()].map(([node, client], i) => ({
          name: node || 'pbx',
          able: () => client.connected,
          onChange: (keeper: boolean) => safetyNetQueues[i]!.setKeeper(keeper),
        })),
        clock: o.clock,
        logger: o.logger.child({ component: 'safety-net' }),
      })
    : undefined;
  const safetyNetConfig = readSafetyNetConfig(env);
  const safetyNetIntake = new SafetyNetIntake({
    dir: safetyNetConfig.spool,
    everyMs: safetyNetConfig.everyMs,
    records,
    plan: () => current,
    encrypt: recordCipher,
    clock: o.clock,
    logger: o.logger.child({ component: 'safety-net' }),
  });
  for (const q of safetyNetQueues) q.start();
  safetyNetKeepers?.start();
  safetyNetIntake.start();
  // Asterisk's own queues, for admission control: shed before Asterisk refuses SIP requests (the
  // fullest of every node's).
  const taskprocessors = o.admission
    ? [...amis.values()].map(
        (client) =>
          new TaskprocessorWatch({
            ami: client,
            clock: o.clock,
            logger: o.logger.child({ component: 'taskprocessors' }),
          }),
      )
    : [];
  for (const t of taskprocessors) t.start();
  const presenceOf = (node: string | undefined): PresencePort => {
    const client = amis.get(node ?? '');
    if (client)
      return new AmiPresence(client, o.logger.child({ component: 'presence', ...(node ? { node } : {}) }));
    return new EndpointPoll({
      list: () =>
        telephony instanceof AriNodes && node !== undefined
          ? telephony.listEndpointsOf(node, 'PJSIP')
          : (telephony as AriAdapter).listEndpoints('PJSIP'),
      everyMs: o.endpointPollMs ?? 10_000,
      clock: o.clock,
      logger: o.logger.child({ component: 'presence', ...(node ? { node } : {}) }),
    });
  };
  if (telephony instanceof AriNodes) {
    const merged = new NodePresence(
      new Map(telephony.names.map((node) => [node, presenceOf(node)])),
      o.logger.child({ component: 'presence' }),
    );
    telephony.onNodeLost((node) => merged.nodeLost(node));
    merged.onMoved((endpoints) => {
      for (const q of safetyNetQueues) q.registrationsMoved(endpoints);
    });
    nodePresence = merged;
  }
  const presence: PresencePort = nodePresence ?? presenceOf(undefined);
  const engine = new CallEngine({
    engineId: o.engineId,
    telephony,
    acd: store,
    records,
    ticketing,
    ...(recordCipher ? { recordCipher } : {}),
    ...(sessions ? { sessions } : {}),
    clock: o.clock,
    logger: o.logger.child({ component: 'engine' }),
    plan: () => current,
    dialAllowList: () => allowList,
    ...(o.onActionLatency ? { onActionLatency: o.onActionLatency } : {}),
    presence,
    ...(o.reconcileEveryMs !== undefined ? { reconcileEveryMs: o.reconcileEveryMs } : {}),
    ...(o.admission ? { admission: o.admission } : {}),
    ...(taskprocessors.length > 0
      ? { pbxQueuePercent: () => Math.max(...taskprocessors.map((t) => t.read().percent)) }
      : {}),
    ...(o.reconcileGraceMs !== undefined ? { reconcileGraceMs: o.reconcileGraceMs } : {}),
    ...(o.busyHoldMs !== undefined ? { busyHoldMs: o.busyHoldMs } : {}),
    ...(o.recording ? { recording: true } : {}),
  });
  // Call recording: the stored recordings over ARI (every node's), their retention, the list's details.
  const recordings = o.recording
    ? new Recordings(
        new AriRecordingStore({
          urls: nodes?.length ? nodes.map((n) => n.url) : [o.ari.url],
          user: o.ari.user,
          password: o.ari.password,
        }),
        { ...o.recording, clock: o.clock, logger: o.logger.child({ component: 'recordings' }) },
      )
    : undefined;
  recordings?.follow(engine);
  const dispatcher = new AgentDispatcher({
    engineId: o.engineId,
    store,
    clock: o.clock,
    logger: o.logger.child({ component: 'dispatch' }),
    ...(telephony instanceof AriNodes && (o.ari.nodeAffinity ?? 4) > 1
      ? { affinity: nodeAffinity(o.ari.nodeAffinity ?? 4, telephony, () => nodePresence) }
      : {}),
    offer: (entry, agentId, endpoint) => {
      // A call that ended while the reservation was made frees its agent at once.
      if (!engine.offered(entry, agentId, endpoint)) {
        store.release(entry, 'cancelled').catch(() => undefined);
      }
    },
  });
  await engine.start();
  dispatcher.start();
  recordings?.start();
  // Redis came back, or restarted empty (it keeps nothing on disk): each engine keeps a mirror of
  // the agents' last known states from the change feed and, when the store's epoch token is gone
  // (checked every second and on reconnection), declares queues and roster again, restores the
  // agents (atomically; a newer state written since is kept) and puts its waiting calls back.
  // Why and how: src/acd/agent-recovery.ts.
  const recovery =
    store instanceof RedisAcdStore
      ? new AgentRecovery({
          store,
          engineId: o.engineId,
          clock: o.clock,
          logger: o.logger.child({ component: 'acd-recovery' }),
          // The agent talking, being offered the call, or the expert of a consult on it.
          callLive: (entry, agentId) => {
            const s = engine.callOfEntry(entry);
            return (
              s !== undefined &&
              (s.agent?.agentId === agentId ||
                s.offer?.agentId === agentId ||
                s.transfer?.expert?.agentId === agentId)
            );
          },
          redeclare: async () => {
            await store.setQueues(queuePolicies(current));
            await store.upsertAgents(rosterToAgents(roster, centerId));
          },
          requeue: () => engine.requeueWaiting(),
          onRestored: () => dispatcher.resync(),
        })
      : undefined;
  await recovery?.start();
  // Several nodes: the SIP edge learns from every engine which nodes it reaches and its calls on each.
  const nodeReporter =
    redis && telephony instanceof AriNodes
      ? new NodeReporter({
          redis: redis.commands,
          centerId,
          ...(o.redisKeyPrefix ? { keyPrefix: o.redisKeyPrefix } : {}),
          engineId: o.engineId,
          nodes: () => telephony.status().map((n) => ({ name: n.name, connected: n.connected })),
          calls: () => {
            const byNode = new Map<string, number>();
            for (const c of engine.liveCalls()) {
              const node = telephony.nodeOf(c.id);
              if (node !== undefined) byNode.set(node, (byNode.get(node) ?? 0) + 1);
            }
            return byNode;
          },
          clock: o.clock,
          logger: o.logger.child({ component: 'node-report' }),
        })
      : undefined;
  nodeReporter?.start();
  return {
    get plan() {
      return current;
    },
    async setPlan(plan: RoutingPlan) {
      if (plan.center.id !== centerId) {
        throw new Error(`the plan is for center "${plan.center.id}", this engine serves "${centerId}"`);
      }
      await store.setQueues(queuePolicies(plan));
      allowList = DialAllowList.build({ agents: phones, plan });
      current = plan;
    },
    async setRoster(next: RosterEntry[], disabled: ReadonlySet<string> = new Set()) {
      await store.upsertAgents(rosterToAgents(next, centerId));
      roster = next;
      phones = next.filter((r) => !disabled.has(r.id)).map(rosterPhones);
      allowList = DialAllowList.build({ agents: phones, plan: current });
      dispatcher.resync();
    },
    engine,
    dispatcher,
    ...(recovery ? { recovery } : {}),
    store,
    telephony,
    ...(ami ? { ami } : {}),
    presence,
    records,
    safetyNet: safetyNetIntake,
    ...(recordings ? { recordings } : {}),
    async close() {
      await recordings?.stop();
      nodeReporter?.stop();
      recovery?.stop();
      dispatcher.stop();
      await engine.stop();
      await telephony.stop();
      await sessions?.close();
      await safetyNetKeepers?.stop();
      for (const q of safetyNetQueues) q.stop();
      for (const t of taskprocessors) t.stop();
      await safetyNetIntake.stop();
      await store.close();
      await records.close();
      await ownRedis?.close();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// `hotline serve`: the whole service (rules administration, engine, API, and without Asterisk the
// simulator with demo agents and callers). `src/cli/serve.ts` reads the settings and calls this.

/** What `hotline serve` runs with, read from its arguments and the environment. */
export interface ServeSettings {
  /** The rules folder (absolute). */
  rulesDir: string;
  /** The folder was named with --rules: it wins over the published versions. */
  folderWins: boolean;
  /** Asterisk's ARI; absent: the built-in simulator with demo agents and synthetic callers. */
  ari?: { url: string; user: string; password: string };
  /** Several Asterisk nodes (ARI_NODES): each node's ARI URL; `ari` then holds the account. */
  nodes?: { name: string; url: string }[];
  nodeLostMs?: number;
  /** Several nodes: how far down the queue's order an agent on the call's node is preferred. */
  nodeAffinity?: number;
  /** Several nodes: each node's AMI (AMI_NODES). */
  amiNodes?: ReadonlyMap<string, AmiAccount>;
  apps: string[];
  ariMaxConnections: number;
  ariIdleSocketMs: number;
  ami?: { host: string; port: number; user: string; secret: string };
  endpointPollMs: number;
  reconcileEveryMs: number;
  /** Admission control's thresholds (ADMISSION_*); absent: off. */
  admission?: AdmissionOptions;
  redisUrl?: string;
  rosterFile?: string;
  /** Without Redis: the JSON file of the agents administered through the API (default beside the audit log). */
  rosterEditsPath?: string;
  tokensFile?: string;
  /** Absolute paths of what is kept on disk without Redis, and of the call records. */
  recordsPath: string;
  rulesVersionsDir: string;
  accessLedgerPath: string;
  auditLogPath: string;
  http: { host: string; port: number; trustedProxies: readonly string[]; limits?: Partial<ApiLimits> };
  authFailuresPerMinute: number;
  engineId: string;
  /** Synthetic calls per minute on the simulator. */
  demoRate: number;
  /** Call recording (RECORDING on): retention and sweep period; absent: nothing is recorded. */
  recording?: RecordingSettings;
  /** ENGINE_TAKEOVER: engine identities whose calls this process serves while their process is dead. */
  takeover?: string[];
}

/** A sink shared with another engine of this process: writes go through, closing is its owner's. */
function sharedSink(sink: RecordSink): RecordSink {
  return {
    write: (r) => sink.write(r),
    ...(sink.event ? { event: (e: Parameters<NonNullable<RecordSink['event']>>[0]) => sink.event!(e) } : {}),
    close: async () => undefined,
  };
}

/**
 * Takes this engine's lease, waiting while another process holds it (a takeover of this engine
 * still running, or another process with the same ENGINE_ID): it asks for the identity back and
 * tries every second. Losing the lease later stops this process (exit code 3).
 */
async function holdEngineLease(
  redis: Redis,
  centerId: string,
  engineId: string,
  logger: Logger,
  stop: (exitCode: number) => void,
): Promise<EngineLease> {
  const lease = new EngineLease({
    redis,
    centerId,
    engineId,
    clock: systemClock,
    logger,
    onLost: () => stop(3),
  });
  let told = false;
  while (!(await lease.acquire())) {
    if (!told) {
      told = true;
      logger.warn(
        { engine: engineId },
        'this engine is served by another process (a takeover, or the same ENGINE_ID twice): waiting for it',
      );
    }
    await lease.want();
    await new Promise((r) => setTimeout(r, 1_000));
  }
  if (told) logger.info({ engine: engineId }, 'engine lease taken: serving');
  return lease;
}

/** Where `serveHotline` prints what the operator reads (the rules line, warnings, demo pages). */
export interface ServeConsole {
  out(text: string): void;
  err(text: string): void;
  /**
   * The service must stop with this exit code (it lost its engine lease: another process serves
   * the engine now). Without it, the process is sent SIGTERM with `process.exitCode` set.
   */
  stop?(exitCode: number): void;
}

export interface ServedHotline {
  hotline: Hotline;
  /** Stops everything, in reverse order of starting. */
  stop(): Promise<void>;
}

/** A start-up failure worth one line: printed as is, exit code 1 (2 for the configuration). */
export class StartupError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

const DEMO_AGENT = 'demo-agent';
/** How long a step of the start-up may wait on Redis before the start is abandoned. */
const REDIS_START_TIMEOUT_MS = 15_000;

/**
 * Starts the service: everything up to the API listening, then the demo traffic (simulator) and
 * the periodic `calls` log line. A failure stops what was started and throws (StartupError: one
 * line; RulesInvalidError: its problems).
 */
export async function serveHotline(
  s: ServeSettings,
  logger: Logger,
  io: ServeConsole,
): Promise<ServedHotline> {
  const started: (() => Promise<unknown>)[] = [];
  const stop = async () => {
    for (const step of started.reverse()) await step().catch(() => undefined);
    started.length = 0;
  };
  try {
    const hotline = await startService(s, logger, io, started);
    return { hotline, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function startService(
  s: ServeSettings,
  logger: Logger,
  io: ServeConsole,
  started: (() => Promise<unknown>)[],
): Promise<Hotline> {
  // The folder names the center (whose versions, queues and ledgers are used); the plan itself is
  // loaded and compiled once, by the rules administration, from the folder or a published version.
  const centerId = readCenterId(s.rulesDir);
  let roster = s.rosterFile ? loadRoster(s.rosterFile) : [];
  if (s.ari && roster.length === 0) {
    throw new StartupError(
      'configuration: HOTLINE_ROSTER is required with a real Asterisk (the agents who may log in)',
      2,
    );
  }
  if (s.ari && !s.tokensFile) {
    throw new StartupError(
      'configuration: HOTLINE_TOKENS is required with a real Asterisk (who may use the API)',
      2,
    );
  }

  let redis: RedisConnections | undefined;
  if (s.redisUrl) {
    const opened = openRedisConnections(s.redisUrl, logger, true);
    redis = opened;
    started.push(() => opened.close());
    try {
      await reachRedis(opened.commands, s.redisUrl, REDIS_START_TIMEOUT_MS);
    } catch (err) {
      if (err instanceof RedisUnreachableError) throw new StartupError(err.message);
      throw err;
    }
  }
  const centerKey = `hotline:${centerId}`;
  // Versions are kept per center: a folder of another center starts its own history.
  const versions: VersionStore = redis
    ? new RedisVersionStore(redis.commands, centerId)
    : new FileVersionStore(join(s.rulesVersionsDir, centerId));
  const audit: AppendLog<AuditEntry> = redis
    ? new RedisAppendLog(redis.commands, `${centerKey}:audit`)
    : new JsonlAppendLog(s.auditLogPath);
  const ledger: AppendLog<AccessEntry> = redis
    ? new RedisAppendLog(redis.commands, `${centerKey}:access-ledger`)
    : new JsonlAppendLog(s.accessLedgerPath);
  const rules = await RulesAdmin.open({
    versions,
    rulesDir: s.rulesDir,
    folderWins: s.folderWins,
    audit,
    clock: systemClock,
    logger: logger.child({ component: 'rules' }),
  });
  started.push(() => rules.close());
  for (const w of rules.start.warnings) io.err(`warning: ${w}`);
  for (const w of rules.startWarnings) logger.warn({ where: `${w.file}:${w.path}` }, w.message);
  io.out(rules.start.line);
  const plan = rules.plan;

  let ari = s.ari;
  const rnd = new Random(Date.now() % 100_000);
  let sim: AriSimulator | undefined;
  if (!ari) {
    const simulator = await startAriSimulator({ logger: logger.child({ component: 'ari-sim' }), ami: true });
    sim = simulator;
    started.push(() => simulator.stop());
    ari = { url: simulator.url, user: 'hotline', password: 'hotline' };
    if (roster.length === 0) roster = demoRoster(plan, 12, rnd);
    logger.info(
      { ari: simulator.url },
      'no ARI_URL: running on the built-in ARI simulator with demo agents and callers',
    );
  }

  let tokens: TokenSet;
  const demoTokens: { role: string; token: string }[] = [];
  if (s.tokensFile) {
    try {
      tokens = TokenSet.fromFile(s.tokensFile);
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

  // One process at a time serves this engine's identity (its sessions, apps and calls): with a
  // real Asterisk and Redis, the engine holds a lease; a process that finds it held waits.
  if (redis && s.ari) {
    const stop =
      io.stop?.bind(io) ??
      ((code: number) => {
        process.exitCode = code;
        process.kill(process.pid, 'SIGTERM');
      });
    const lease = await holdEngineLease(redis.commands, centerId, s.engineId, logger, stop);
    started.push(() => lease.release());
    await lease.publishApps(s.apps);
  }
  // Agents administered through the API (src/admin/roster-admin.ts), kept in Redis, else in a JSON
  // file under the state directory: they replace the roster file's entries of the same id.
  const rosterAdmin = await RosterAdmin.open({
    baseline: roster,
    store: redis
      ? new RedisRosterStore({ redis: redis.commands, centerId })
      : new FileRosterStore(s.rosterEditsPath ?? join(dirname(s.auditLogPath), 'roster-edits.json')),
    audit,
    plan: () => rules.plan,
    clock: systemClock,
    logger: logger.child({ component: 'roster' }),
  });
  started.push(async () => rosterAdmin.close());
  roster = rosterAdmin.engineRoster().entries;
  // Softphone registration: AMI when configured, else the embedded simulator's AMI side, else a poll.
  const ami = s.ami ?? sim?.ami;
  const engineOptions = (engineId: string, apps: string[]) => ({
    plan,
    ari: {
      ...ari,
      apps,
      maxConnections: s.ariMaxConnections,
      idleSocketMs: s.ariIdleSocketMs,
      ...(s.nodes ? { nodes: s.nodes } : {}),
      ...(s.nodeLostMs !== undefined ? { nodeLostMs: s.nodeLostMs } : {}),
      ...(s.nodeAffinity !== undefined ? { nodeAffinity: s.nodeAffinity } : {}),
    },
    ...(ami ? { ami } : {}),
    ...(s.amiNodes ? { amiNodes: s.amiNodes } : {}),
    endpointPollMs: s.endpointPollMs,
    reconcileEveryMs: s.reconcileEveryMs,
    ...(s.recording ? { recording: s.recording } : {}),
    ...(s.admission ? { admission: s.admission } : {}),
    ...(s.redisUrl && redis ? { redisUrl: s.redisUrl, redis } : {}),
    roster,
    engineId,
    clock: systemClock,
    logger: engineId === s.engineId ? logger : logger.child({ engine: engineId }),
  });
  const hotline = await startHotline({
    ...engineOptions(s.engineId, s.apps),
    records: { jsonlPath: s.recordsPath },
  });
  started.push(() => hotline.close());
  await rosterAdmin.attach(hotline);
  // Another process's roster changes (Redis): looked for every 5 s.
  if (redis) rosterAdmin.watch(5_000);
  // The calls the API shows, acts on, counts and monitors: this engine's, and those of the engines taken over.
  const calls = new EngineGroup<HeldHotline>(hotline);
  // ENGINE_TAKEOVER: this process serves the calls of the named engines while their own process is dead.
  if (redis && s.ari && s.takeover && s.takeover.length > 0) {
    const takeover = new EngineTakeover({
      redis: redis.commands,
      centerId,
      engines: s.takeover.filter((id) => id !== s.engineId),
      // The engine taken over writes its records through this process's sink (closed with it).
      start: async (engineId, apps) => {
        const taken = await startHotline({
          ...engineOptions(engineId, apps),
          records: sharedSink(hotline.records),
        });
        await taken.setPlan(hotline.plan);
        await rosterAdmin.attach(taken);
        calls.add(engineId, taken);
        const close = taken.close.bind(taken);
        return Object.assign(taken, {
          close: async () => {
            calls.remove(engineId);
            await close();
          },
        });
      },
      logger: logger.child({ component: 'takeover' }),
    });
    takeover.start();
    started.push(() => takeover.stop());
  }
  await rules.attach((next) => hotline.setPlan(next));
  // Reports and the wallboard's day figures (kept across restarts) over the records database
  // (RECORDS_DATABASE_URL; the records sink migrated it at start): one read pool for both.
  const reads = RecordsReadDatabase.fromEnv(process.env);
  if (reads) started.push(() => reads.close());
  const reports = reads?.reports;
  const databaseDay = reads?.day;
  const api = await buildApi({
    hotline,
    engines: calls,
    roster: rosterToAgents(roster, plan.center.id),
    clock: systemClock,
    logger,
    tokens,
    ledger,
    audit,
    rules,
    rosterAdmin,
    screenPop: screenPopSources({ rulesDir: s.rulesDir, recordsPath: s.recordsPath, plan, env: process.env }),
    // The rules page's what-if replays the engine's recent calls from its records file.
    recordsPath: s.recordsPath,
    ...(reports ? { reports } : {}),
    ...(databaseDay ? { databaseDay } : {}),
    authFailures: { max: s.authFailuresPerMinute, windowMs: 60_000 },
    trustProxy: s.http.trustedProxies,
    ...(s.http.limits ? { limits: s.http.limits } : {}),
    // The SIP edge's word on the nodes and trunks (several nodes), for /metrics and the wallboard.
    ...(redis
      ? {
          edgeReport: new EdgeReportReader({
            redis: redis.commands,
            centerId,
            logger: logger.child({ component: 'edge-report' }),
          }),
          // The wallboard's day figures, shared by the engines and kept across restarts.
          daySlots: new RedisDaySlots({ redis: redis.commands, centerId }),
        }
      : {}),
  });
  started.push(() => api.close());
  await listen(api, s.http);
  logger.info(
    {
      center: plan.center.name,
      rulesVersion: rules.version.version,
      lines: plan.lines.size,
      agents: roster.length,
      http: `http://${s.http.host}:${s.http.port}`,
      records: s.recordsPath,
    },
    'hotline is serving',
  );

  const timers: NodeJS.Timeout[] = [];
  started.push(async () => {
    for (const t of timers) clearTimeout(t);
  });
  if (sim) {
    const traffic = new SyntheticTraffic({
      plan,
      sim,
      engine: hotline.engine,
      store: hotline.store,
      clock: systemClock,
      rnd,
      apps: s.apps,
      roster: roster.filter((r) => r.id !== DEMO_AGENT),
    });
    await traffic.staff();
    sim.setEndpoint(`PJSIP/${DEMO_AGENT}`, { behaviour: 'answer', answerAfterMs: 1500, online: true });
    const base = `http://${s.http.host === '0.0.0.0' ? '127.0.0.1' : s.http.host}:${s.http.port}`;
    const page = (path: string, role: string) =>
      `${base}${path}#token=${demoTokens.find((t) => t.role === role)?.token ?? ''}`;
    if (demoTokens.length > 0) {
      io.out(
        [
          'demo tokens for this run (not kept anywhere):',
          `  wallboard (supervisor): ${page('/web/wallboard.html', 'supervisor')}`,
          `  agent toolbar (${DEMO_AGENT}): ${page('/web/agent.html', 'agent')}`,
          `  rules (admin):          ${page('/web/rules.html', 'admin')}`,
          `  agents (admin):         ${page('/web/roster.html', 'admin')}`,
          `  API reference:          ${page('/docs', 'admin')}`,
        ].join('\n'),
      );
    }
    const place = () => {
      traffic.placeCall();
      timers[0] = setTimeout(place, rnd.exponential(60_000 / Math.max(0.1, s.demoRate)));
    };
    place();
  }
  timers.push(
    setInterval(() => {
      const live = liveCounts(hotline.engine.liveCalls());
      logger.info(
        {
          live: live.calls,
          ivr: live.ivr,
          waiting: live.waiting,
          talking: live.talking,
          ended: hotline.engine.stats.ended,
          records: hotline.engine.stats.recordsWritten,
        },
        'calls',
      );
    }, 10_000),
  );
  return hotline;
}

/** Listens on the HTTP address, or says in one line why it cannot. */
async function listen(api: FastifyInstance, http: ServeSettings['http']): Promise<void> {
  try {
    await api.listen({ host: http.host, port: http.port });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const where = `port ${http.port} on ${http.host}`;
    if (code === 'EADDRINUSE') {
      throw new StartupError(`${where} is in use: set HTTP_PORT or stop the other process`);
    }
    if (code === 'EACCES') {
      throw new StartupError(`${where} is not allowed to this user: set HTTP_PORT to a port above 1023`);
    }
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') {
      throw new StartupError(`${http.host} is not an address of this machine: set HTTP_HOST`);
    }
    throw err;
  }
}
