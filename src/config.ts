import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { AdmissionEnv, admissionOptions } from './admission/config.ts';
import { HotlineError } from './errors.ts';
import { parseNodeList } from './telephony/nodes.ts';

/** An address, a CIDR (`10.0.0.0/8`, `fd00::/8`) or one of proxy-addr's names. */
function trustedProxy(entry: string): boolean {
  if (['loopback', 'linklocal', 'uniquelocal'].includes(entry)) return true;
  const [address = '', bits, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (bits === undefined) return true;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
}

const TCP_URL = /^tcp:\/\/(\[[0-9A-Fa-f:.]+\]|[^\s:/[\]]+)(:\d{1,5})?\/?$/;

/** The service's settings, read from the environment once at start and checked. */
export const ConfigSchema = z.object({
  ARI_URL: z.url().optional(),
  /**
   * Several Asterisk nodes (instead of ARI_URL): `a=http://10.0.0.21:8088,b=http://10.0.0.22:8088`,
   * each name its node's `systemname`; the same ARI_USER, ARI_PASSWORD and ARI_APP on every node.
   */
  ARI_NODES: z.string().min(1).optional(),
  /** With ARI_NODES: each node's AMI, `a=tcp://10.0.0.21:5038,…` (the same AMI_USER and AMI_SECRET). */
  AMI_NODES: z.string().min(1).optional(),
  /** With ARI_NODES: a node whose ARI stays unreachable this long is lost (its calls end `pbx-lost`). */
  NODE_LOST_SECONDS: z.coerce.number().min(0.5).max(3600).default(3),
  /**
   * With ARI_NODES: an agent registered on the call's own node is preferred when among the first
   * this many of the queue's order (no inter-node hop); 1 keeps the strategy's order strictly.
   */
  NODE_AFFINITY: z.coerce.number().int().min(1).max(100).default(4),
  ARI_USER: z.string().min(1).optional(),
  ARI_PASSWORD: z.string().min(1).optional(),
  /** Stasis app names, comma-separated; the dialplan spreads calls over them (the shipped one uses two). */
  ARI_APP: z
    .string()
    .regex(/^[A-Za-z0-9_-]+(,[A-Za-z0-9_-]+)*$/, 'comma-separated app names')
    .default('hotline-1,hotline-2'),
  ARI_MAX_CONNECTIONS: z.coerce.number().int().min(1).max(100).default(32),
  /** Idle pooled REST connections are closed after this, below Asterisk's session_keep_alive (15 s). */
  ARI_IDLE_SOCKET_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
  /** Asterisk's AMI (`tcp://host:port`), for softphone registration (ContactStatus); with AMI_USER and AMI_SECRET. */
  AMI_URL: z.string().regex(TCP_URL, 'must be tcp://host:port').optional(),
  AMI_USER: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, - or _')
    .optional(),
  AMI_SECRET: z.string().min(1).optional(),
  /** Without AMI: how often the engine reads all PJSIP endpoints' states over ARI (one request). */
  ENDPOINT_POLL_SECONDS: z.coerce.number().min(1).max(3600).default(10),
  /** How often the engine compares the channels and bridges it owns with what Asterisk holds. */
  RECONCILE_SECONDS: z.coerce.number().min(0).max(3600).default(30),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// URL')
    .optional(),
  HOTLINE_RULES: z.string().min(1).optional(),
  HOTLINE_ROSTER: z.string().min(1).optional(),
  /**
   * The one directory the engine writes to (relative: from the working directory). Everything it
   * keeps on disk defaults under it (STATE_FILES); each path's own variable overrides it.
   */
  HOTLINE_STATE_DIR: z.string().min(1).default('var'),
  /** Call records (JSONL); default `<state dir>/records.jsonl`. */
  HOTLINE_RECORDS: z.string().min(1).optional(),
  /** Tokens file (YAML `tokens: [{ id, role, agentId?, hash }]`); required with a real Asterisk. */
  HOTLINE_TOKENS: z.string().min(1).optional(),
  /** Without Redis: where rules versions, the access ledger and the audit log are kept (state dir). */
  HOTLINE_RULES_VERSIONS: z.string().min(1).optional(),
  HOTLINE_ACCESS_LEDGER: z.string().min(1).optional(),
  HOTLINE_AUDIT_LOG: z.string().min(1).optional(),
  /** Call recording (质检, disputes): every call's bridges from the answer to the end; `off` records nothing. */
  RECORDING: z.enum(['on', 'off']).default('on'),
  /** Recordings are deleted this many days after they began (the engine sweeps them through ARI). */
  RECORDING_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(180),
  /** How often old recordings are swept. */
  RECORDING_SWEEP_MINUTES: z.coerce.number().min(1).max(1440).default(60),
  /** Failed authentications allowed per client address per minute before 429. */
  AUTH_FAILURES_PER_MINUTE: z.coerce.number().int().min(1).max(10_000).default(10),
  HTTP_HOST: z.string().default('127.0.0.1'),
  HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  /**
   * The reverse proxies whose X-Forwarded-For is believed (the client's address for the failure
   * limit and the access ledger): addresses or CIDRs, comma-separated, or `loopback`, `linklocal`,
   * `uniquelocal`. Default none: the socket's address, X-Forwarded-For ignored.
   */
  HTTP_TRUSTED_PROXIES: z
    .string()
    .default('')
    .transform((v) =>
      v
        .split(',')
        .map((a) => a.trim())
        .filter(Boolean),
    )
    .refine(
      (list) => list.every(trustedProxy),
      'comma-separated addresses, CIDRs, loopback, linklocal or uniquelocal',
    ),
  /**
   * Caps per client address and per token (defaults: `defaultApiLimits` in src/api/server.ts). A
   * floor of agents behind one NAT without a trusted proxy shares one address: raise the
   * per-address caps there, or name the proxy in HTTP_TRUSTED_PROXIES.
   */
  HTTP_MAX_CONNECTIONS: z.coerce.number().int().min(16).max(1_000_000).optional(),
  HTTP_MAX_CONNECTIONS_PER_ADDRESS: z.coerce.number().int().min(4).max(1_000_000).optional(),
  HTTP_EVENT_STREAMS_PER_TOKEN: z.coerce.number().int().min(1).max(10_000).optional(),
  HTTP_EVENT_STREAMS_PER_ADDRESS: z.coerce.number().int().min(1).max(1_000_000).optional(),
  HTTP_REQUESTS_PER_TOKEN_PER_MINUTE: z.coerce.number().int().min(60).max(10_000_000).optional(),
  HTTP_REQUESTS_PER_ADDRESS_PER_MINUTE: z.coerce.number().int().min(60).max(10_000_000).optional(),
  ENGINE_ID: z.string().min(1).default(`${hostname()}-${process.pid}`),
  /**
   * Engine identities (ENGINE_IDs of other processes, comma-separated) whose calls this process
   * takes over while their own process is dead (Redis and a real Asterisk; see README).
   */
  ENGINE_TAKEOVER: z
    .string()
    .regex(/^[^,\s]+(,[^,\s]+)*$/, 'comma-separated engine ids')
    .optional(),
  /** Admission control's thresholds (ADMISSION_*): see src/admission/config.ts and the README. */
  ...AdmissionEnv,
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

/**
 * What the engine keeps on disk, by the variable that names it, and its name under the state
 * directory when that variable is not set. (The records outbox's settings are read by
 * records/sinks/config.ts, with the same defaults.) The dialplan's safety-net spool
 * (SAFETY_NET_SPOOL) is Asterisk's, not the engine's: it is not here.
 */
export const STATE_FILES = {
  HOTLINE_RECORDS: 'records.jsonl',
  RECORDS_OUTBOX_DIR: 'records-outbox',
  HOTLINE_RULES_VERSIONS: 'rules-versions',
  HOTLINE_ACCESS_LEDGER: 'access-ledger.jsonl',
  HOTLINE_AUDIT_LOG: 'audit.jsonl',
} as const;
export type StateFile = keyof typeof STATE_FILES;

/** The path a state variable names: its own value when set (not empty), else under HOTLINE_STATE_DIR. */
export function statePath(env: NodeJS.ProcessEnv, name: StateFile): string {
  return env[name] || join(env.HOTLINE_STATE_DIR || 'var', STATE_FILES[name]);
}

type ConfigFileKey = Exclude<StateFile, 'RECORDS_OUTBOX_DIR'>;
export type Config = Omit<z.infer<typeof ConfigSchema>, ConfigFileKey> & Record<ConfigFileKey, string>;

export class ConfigError extends HotlineError {
  constructor(message: string) {
    super('invalid-config', message);
  }
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable (`AMI_SECRET=` in a compose file or .env) means "not set".
  const set = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ''));
  const parsed = ConfigSchema.safeParse(set);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n'));
  }
  const c = parsed.data;
  if (c.ARI_URL && c.ARI_NODES)
    throw new ConfigError('ARI_URL and ARI_NODES: set one (ARI_NODES for several nodes)');
  const ari = [c.ARI_URL ?? c.ARI_NODES, c.ARI_USER, c.ARI_PASSWORD];
  if (ari.some(Boolean) && !ari.every(Boolean)) {
    throw new ConfigError(
      'ARI_URL (or ARI_NODES), ARI_USER and ARI_PASSWORD go together (set all three to drive a real Asterisk)',
    );
  }
  if (c.AMI_NODES && !c.ARI_NODES)
    throw new ConfigError('AMI_NODES needs ARI_NODES (and AMI_URL is for one node)');
  if (c.AMI_NODES && c.AMI_URL) throw new ConfigError('AMI_URL and AMI_NODES: set one');
  try {
    const nodes = c.ARI_NODES ? parseNodeList(c.ARI_NODES, 'ARI_NODES') : [];
    for (const n of nodes)
      if (!URL.canParse(n.url)) throw new Error(`ARI_NODES: node "${n.name}": "${n.url}" is not a URL`);
    const amiNodes = c.AMI_NODES ? parseNodeList(c.AMI_NODES, 'AMI_NODES') : [];
    for (const n of amiNodes) {
      if (!nodes.some((x) => x.name === n.name))
        throw new Error(`AMI_NODES: node "${n.name}" is not in ARI_NODES`);
      if (!TCP_URL.test(n.url))
        throw new Error(`AMI_NODES: node "${n.name}": "${n.url}" must be tcp://host:port`);
    }
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  try {
    admissionOptions(c);
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  const ami = [c.AMI_URL ?? c.AMI_NODES, c.AMI_USER, c.AMI_SECRET];
  if (ami.some(Boolean) && !ami.every(Boolean)) {
    throw new ConfigError(
      'AMI_URL (or AMI_NODES), AMI_USER and AMI_SECRET go together (set all three to use AMI)',
    );
  }
  return {
    ...c,
    HOTLINE_RECORDS: statePath(set, 'HOTLINE_RECORDS'),
    HOTLINE_RULES_VERSIONS: statePath(set, 'HOTLINE_RULES_VERSIONS'),
    HOTLINE_ACCESS_LEDGER: statePath(set, 'HOTLINE_ACCESS_LEDGER'),
    HOTLINE_AUDIT_LOG: statePath(set, 'HOTLINE_AUDIT_LOG'),
  };
}

export interface AmiAccount {
  host: string;
  port: number;
  user: string;
  secret: string;
}

function amiAccount(url: string, user: string, secret: string): AmiAccount {
  const u = new URL(url);
  return { host: u.hostname.replace(/^\[|\]$/g, ''), port: u.port ? Number(u.port) : 5038, user, secret };
}

/** The AMI address and account, when configured (one node: AMI_URL). */
export function amiConfig(config: Config): AmiAccount | undefined {
  if (!config.AMI_URL || !config.AMI_USER || !config.AMI_SECRET) return undefined;
  return amiAccount(config.AMI_URL, config.AMI_USER, config.AMI_SECRET);
}

/** Several nodes: the ARI node list (ARI_NODES), checked by readConfig. */
export function ariNodes(config: Config): { name: string; url: string }[] | undefined {
  return config.ARI_NODES ? parseNodeList(config.ARI_NODES, 'ARI_NODES') : undefined;
}

/** Several nodes: each node's AMI (AMI_NODES), by node name. */
export function amiNodes(config: Config): Map<string, AmiAccount> | undefined {
  if (!config.AMI_NODES || !config.AMI_USER || !config.AMI_SECRET) return undefined;
  const { AMI_USER: user, AMI_SECRET: secret } = config;
  return new Map(
    parseNodeList(config.AMI_NODES, 'AMI_NODES').map((n) => [n.name, amiAccount(n.url, user, secret)]),
  );
}

export function apps(config: Config): string[] {
  return config.ARI_APP.split(',');
}
