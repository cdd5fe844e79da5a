import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { AgentDispatcher } from './acd/agent-dispatcher.ts';
import type { AgentRecovery } from './acd/agent-recovery.ts';
import type { AcdStore } from './acd/store/port.ts';
import type { AdmissionOptions } from './admission/config.ts';
import type { CallEngine } from './calls/runtime/engine.ts';
import type { TicketingPort } from './calls/runtime/ticketing.ts';
import type { Clock } from './clock.ts';
import type { RoutingPlan } from './plan/compile.ts';
import type { RecordingSettings, Recordings } from './recordings/recordings.ts';
import type { CallerEncryptor } from './records/caller-crypto.ts';
import type { RecordSink } from './records/record.ts';
import type { SafetyNetIntake } from './records/safety-net-intake.ts';
import type { RosterEntry } from './roster.ts';
import type { AmiClient } from './telephony/ami/ami-client.ts';
import type { AriAdapter } from './telephony/ari/ari-adapter.ts';
import type { AriNodes } from './telephony/ari/ari-nodes.ts';
import type { PresencePort } from './telephony/port.ts';

/**
 * The shape of a running hotline: what `startHotline` (src/app.ts) is given and what it returns.
 */
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
    /**
     * Several Asterisk nodes (ARI_NODES): each node's name (its `systemname`) and ARI URL, with
     * this account and these apps on every node; `url` is then unused.
     */
    nodes?: { name: string; url: string }[];
    /** With `nodes`: a node unreachable this long is lost and its calls end `pbx-lost` (default 3 s). */
    nodeLostMs?: number;
    /**
     * With `nodes`: an agent registered on the call's own node is preferred when among the first
     * this many of the queue's order (default 4; 1 keeps the strategy's order strictly).
     */
    nodeAffinity?: number;
  };
  /**
   * Asterisk's AMI: softphone registration from ContactStatus events. Without it the engine
   * reads all PJSIP endpoints' states over ARI every `endpointPollMs`.
   */
  ami?: { host: string; port: number; user: string; secret: string };
  /** With `ari.nodes`: each node's AMI by node name (registration, safety-net queue, taskprocessors). */
  amiNodes?: ReadonlyMap<string, { host: string; port: number; user: string; secret: string }>;
  /** Without AMI: how often endpoint states are read over ARI (default 10 s). */
  endpointPollMs?: number;
  /** How often the engine reconciles what it owns with the PBX (default 30 s; 0: never). */
  reconcileEveryMs?: number;
  /** Admission control's thresholds (src/admission); without them every call is taken. */
  admission?: AdmissionOptions;
  /** Call recording (RECORDING on): every call's bridges recorded, kept this long; absent: off. */
  recording?: RecordingSettings;
  /** Resources younger than this are left out of a reconciliation (default 10 s). */
  reconcileGraceMs?: number;
  /** How long an agent whose phone answered busy is not offered calls (default 30 s). */
  busyHoldMs?: number;
  /** Redis: the shared state (ACD, sessions, and the records outbox when it is on the same server). */
  redisUrl?: string;
  /**
   * Connections to `redisUrl` opened by the caller (closed by the caller, not by `close()`);
   * without them `startHotline` opens its own.
   */
  redis?: RedisConnections;
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
  /**
   * Declares another roster (agents added or changed by an administrator): the ACD learns the
   * definitions (live states kept), the dial allow-list the phones, and the dispatcher decides
   * again with them. The `disabled` agents' phones are left out of the allow-list.
   */
  setRoster(roster: RosterEntry[], disabled?: ReadonlySet<string>): Promise<void>;
  engine: CallEngine;
  dispatcher: AgentDispatcher;
  /** The agents' mirror that restores them when Redis loses its state (Redis store only). */
  recovery?: AgentRecovery;
  store: AcdStore;
  /** One Asterisk (AriAdapter), or several nodes (AriNodes). */
  telephony: AriAdapter | AriNodes;
  /** The AMI connection when configured (registration; queue membership later). */
  ami?: AmiClient;
  presence: PresencePort;
  records: RecordSink;
  /** Turns the dialplan safety net's notes into records (read at start, then periodically). */
  safetyNet: SafetyNetIntake;
  /** The call recordings (stored recordings, retention sweep) when recording is on. */
  recordings?: Recordings;
  close(): Promise<void>;
}

/**
 * An engine this process holds, as the API follows it (calls/runtime/engine-group.ts): the
 * process's own hotline, or one taken over (ENGINE_TAKEOVER), with the telephony its calls are on.
 */
export type HeldHotline = Pick<Hotline, 'engine' | 'telephony'>;

/**
 * The engine's Redis connections, all opened here. ioredis pipelines every command of a process
 * over one connection, so everything that sends ordinary commands shares `commands`: the ACD
 * store (reads, compare-and-set, its Lua scripts, the sweeper), the call sessions, the records
 * outbox and stream, the rules versions, the audit log and the access ledger. Nothing in the
 * engine sends a blocking command (BLPOP, XREAD BLOCK…), so none needs its own connection.
 */
export interface RedisConnections {
  commands: Redis;
  /**
   * The ACD change feed's subscription. A connection in subscriber mode can send nothing but
   * (P)SUBSCRIBE/UNSUBSCRIBE/PING, so the feed cannot share `commands`.
   */
  changeFeed: Redis;
  close(): Promise<void>;
}
