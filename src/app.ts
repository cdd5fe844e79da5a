import type { Logger } from 'pino';
import type { AgentDefinitionInput } from './acd/agent.ts';
import { AgentDispatcher } from './acd/agent-dispatcher.ts';
import type { QueuePolicyInput } from './acd/queue-policy.ts';
import { MemoryAcdStore } from './acd/store/memory.ts';
import type { AcdStore } from './acd/store/port.ts';
import { RedisAcdStore } from './acd/store/redis.ts';
import { acdQueueId, CallEngine } from './calls/runtime/engine.ts';
import type { SessionStore } from './calls/runtime/session-store.ts';
import { noTicketing, type TicketingPort } from './calls/runtime/ticketing.ts';
import type { Clock } from './clock.ts';
import type { RoutingPlan } from './plan/compile.ts';
import type { CallerEncryptor } from './records/caller-crypto.ts';
import type { RecordSink } from './records/record.ts';
import { readRecordsConfig } from './records/sinks/config.ts';
import { createRecordSink } from './records/sinks/factory.ts';
import { RedisSessionStore } from './sessions/redis-session-store.ts';
import { AmiClient } from './telephony/ami/ami-client.ts';
import { AmiPresence } from './telephony/ami/ami-presence.ts';
import { AriAdapter } from './telephony/ari/ari-adapter.ts';
import { EndpointPoll } from './telephony/ari/endpoint-poll.ts';
import type { PresencePort } from './telephony/port.ts';
import { ticketingFromEnv } from './ticketing/http-ticketing.ts';

/** A roster entry as administrators write it: pools and expert seats by their plan ids. */
export interface RosterEntry {
  id: string;
  name: string;
  endpoint?: string;
  skills?: Record<string, number>;
  pools?: string[];
  expertSeats?: string[];
  department?: string;
}

export interface HotlineOptions {
  plan: RoutingPlan;
  ari: {
    url: string;
    user: string;
    password: string;
    apps: string[];
    maxConnections: number;
    /** Idle pooled REST connections are closed after this (default 5 s, below Asterisk's 15 s). */
    idleSocketMs?: number;
  };
  /**
   * Asterisk's AMI: softphone registration from ContactStatus events. Without it the engine
   * reads all PJSIP endpoints' states over ARI every `endpointPollMs`.
   */
  ami?: { host: string; port: number; user: string; secret: string };
  /** Without AMI: how often endpoint states are read over ARI (default 10 s). */
  endpointPollMs?: number;
  /** How often the engine reconciles what it owns with the PBX (default 30 s; 0: never). */
  reconcileEveryMs?: number;
  /** Resources younger than this are left out of a reconciliation (default 10 s). */
  reconcileGraceMs?: number;
  /** How long an agent whose phone answered busy is not offered calls (default 30 s). */
  busyHoldMs?: number;
  redisUrl?: string;
  /** Namespace of the Redis keys (default `hotline`); keys are per center under it. */
  redisKeyPrefix?: string;
  roster: RosterEntry[];
  /**
   * Where call records go: a sink, or `{ jsonlPath }` to build the sink the environment asks for
   * (webhook and/or Redis Stream through the durable outbox, else that JSONL file).
   */
  records: RecordSink | { jsonlPath: string };
  /** Encrypts caller numbers in records (built from RECORDS_KEY when the sink comes from the environment). */
  recordCipher?: CallerEncryptor;
  /** Environment read for the records sink and the ticketing API (default: the process's). */
  env?: NodeJS.ProcessEnv;
  engineId: string;
  clock: Clock;
  logger: Logger;
  ticketing?: TicketingPort;
  onActionLatency?: (ms: number) => void;
}

export interface Hotline {
  /** The plan new calls start on. */
  readonly plan: RoutingPlan;
  /**
   * Publishes another plan (hot reload): new calls use it at once, calls in progress finish on
   * the plan they started with, and the ACD learns the new queues.
   */
  setPlan(plan: RoutingPlan): Promise<void>;
  engine: CallEngine;
  dispatcher: AgentDispatcher;
  store: AcdStore;
  telephony: AriAdapter;
  /** The AMI connection when configured (registration; queue membership later). */
  ami?: AmiClient;
  presence: PresencePort;
  records: RecordSink;
  close(): Promise<void>;
}

/** The plan's pools and expert seats as ACD queues. */
export function queuePolicies(plan: RoutingPlan): QueuePolicyInput[] {
  const out: QueuePolicyInput[] = [];
  for (const [kind, table] of [
    ['pool', plan.pools],
    ['expert', plan.experts],
  ] as const) {
    for (const q of table.values()) {
      out.push({
        id: acdQueueId(kind, q.id),
        kind,
        name: q.name,
        skills: q.skills,
        strategy: q.queue.strategy,
        wrapUpSeconds: q.queue.wrapUpSeconds,
        maxWaitSeconds: q.queue.maxWaitSeconds,
        ...(q.queue.widenAfterSeconds !== undefined ? { widenAfterSeconds: q.queue.widenAfterSeconds } : {}),
        ...(q.queue.overflowAfterSeconds !== undefined && q.queue.overflowTo !== undefined
          ? { overflowAfterSeconds: q.queue.overflowAfterSeconds, overflowTo: q.queue.overflowTo }
          : {}),
      });
    }
  }
  return out;
}

export function rosterToAgents(roster: RosterEntry[], centerId: string): AgentDefinitionInput[] {
  return roster.map((r) => ({
    id: r.id,
    name: r.name,
    centerId,
    ...(r.endpoint ? { endpoint: r.endpoint } : {}),
    skills: r.skills ?? {},
    pools: (r.pools ?? []).map((p) => acdQueueId('pool', p)),
    expertSeats: (r.expertSeats ?? []).map((e) => acdQueueId('expert', e)),
    ...(r.department ? { department: r.department } : {}),
  }));
}

/** Wires the engine: ARI adapter, ACD store (Redis when configured, else memory), dispatcher, records. */
export async function startHotline(o: HotlineOptions): Promise<Hotline> {
  const centerId = o.plan.center.id;
  let current = o.plan;
  const store: AcdStore = o.redisUrl
    ? await RedisAcdStore.open({
        centerId,
        clock: o.clock,
        url: o.redisUrl,
        ...(o.redisKeyPrefix ? { keyPrefix: o.redisKeyPrefix } : {}),
        onError: (err) =>
          o.logger.warn({ component: 'acd', err: (err as Error).message }, 'ACD store: Redis error'),
      })
    : new MemoryAcdStore({ centerId, clock: o.clock });
  await store.setQueues(queuePolicies(o.plan));
  await store.upsertAgents(rosterToAgents(o.roster, centerId));
  const env = o.env ?? process.env;
  let records: RecordSink;
  let recordCipher = o.recordCipher;
  if ('write' in o.records) records = o.records;
  else {
    const configured = await createRecordSink(
      readRecordsConfig({ ...env, HOTLINE_RECORDS: o.records.jsonlPath }),
      {
        clock: o.clock,
        logger: o.logger.child({ component: 'records' }),
      },
    );
    o.logger.info({ destinations: configured.destinations }, configured.summary);
    records = configured;
    recordCipher ??= configured.cipher;
  }
  // With Redis, sessions are kept so this engine (same ENGINE_ID) picks its calls up after a restart.
  const sessions: SessionStore | undefined = o.redisUrl
    ? new RedisSessionStore({
        url: o.redisUrl,
        centerId,
        engineId: o.engineId,
        logger: o.logger.child({ component: 'sessions' }),
        ...(o.redisKeyPrefix ? { keyPrefix: o.redisKeyPrefix } : {}),
      })
    : undefined;
  const ticketing =
    o.ticketing ?? ticketingFromEnv(env, o.logger.child({ component: 'ticketing' })) ?? noTicketing;
  const telephony = new AriAdapter({
    url: o.ari.url,
    user: o.ari.user,
    password: o.ari.password,
    apps: o.ari.apps,
    maxRestConnections: o.ari.maxConnections,
    ...(o.ari.idleSocketMs !== undefined ? { restIdleSocketMs: o.ari.idleSocketMs } : {}),
    logger: o.logger.child({ component: 'ari' }),
    clock: o.clock,
  });
  const ami = o.ami
    ? new AmiClient({ ...o.ami, clock: o.clock, logger: o.logger.child({ component: 'ami' }) })
    : undefined;
  const presence: PresencePort = ami
    ? new AmiPresence(ami, o.logger.child({ component: 'presence' }))
    : new EndpointPoll({
        list: () => telephony.listEndpoints('PJSIP'),
        everyMs: o.endpointPollMs ?? 10_000,
        clock: o.clock,
        logger: o.logger.child({ component: 'presence' }),
      });
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
    ...(o.onActionLatency ? { onActionLatency: o.onActionLatency } : {}),
    presence,
    ...(o.reconcileEveryMs !== undefined ? { reconcileEveryMs: o.reconcileEveryMs } : {}),
    ...(o.reconcileGraceMs !== undefined ? { reconcileGraceMs: o.reconcileGraceMs } : {}),
    ...(o.busyHoldMs !== undefined ? { busyHoldMs: o.busyHoldMs } : {}),
  });
  const dispatcher = new AgentDispatcher({
    engineId: o.engineId,
    store,
    clock: o.clock,
    logger: o.logger.child({ component: 'dispatch' }),
    offer: (callId, agentId, endpoint) => {
      // A call that ended while the reservation was made frees its agent at once.
      if (!engine.dispatch(callId, { kind: 'agent-reserved', agentId, endpoint })) {
        store.release(callId, 'cancelled').catch(() => undefined);
      }
    },
  });
  await engine.start();
  dispatcher.start();
  // Redis came back (perhaps restarted empty): declare queues and roster again and put this
  // engine's waiting calls back in their queues. All of it is idempotent.
  store.onReconnect?.(() => {
    void (async () => {
      try {
        await store.setQueues(queuePolicies(current));
        await store.upsertAgents(rosterToAgents(o.roster, centerId));
        const requeued = await engine.requeueWaiting();
        o.logger.warn({ requeued }, 'ACD store reconnected: queues, roster and waiting calls declared again');
      } catch (err) {
        o.logger.error({ err: (err as Error).message }, 'ACD store reconnected but could not be restored');
      }
    })();
  });
  return {
    get plan() {
      return current;
    },
    async setPlan(plan: RoutingPlan) {
      if (plan.center.id !== centerId) {
        throw new Error(`the plan is for center "${plan.center.id}", this engine serves "${centerId}"`);
      }
      await store.setQueues(queuePolicies(plan));
      current = plan;
    },
    engine,
    dispatcher,
    store,
    telephony,
    ...(ami ? { ami } : {}),
    presence,
    records,
    async close() {
      dispatcher.stop();
      await engine.stop();
      await telephony.stop();
      await sessions?.close();
      await store.close();
      await records.close();
    },
  };
}
