import { z } from 'zod';
import { HotlineError } from '../errors.ts';
import { NODE_NAME } from '../telephony/nodes.ts';

/** A node's name (Asterisk's `systemname`): one definition, shared with the engine. */
export { NODE_NAME };

/** One Asterisk node behind the edge: where its SIP listens. */
export interface EdgeNode {
  name: string;
  host: string;
  port: number;
}

export class EdgeConfigError extends HotlineError {
  constructor(message: string) {
    super('invalid-edge-config', message);
  }
}

const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)$/;
const HOST = /^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/;

/** `host`, `host:port` or `[v6]:port` → host and port (5060 when not given). */
function hostPort(text: string): { host: string; port: number } | undefined {
  const v6 = /^\[([0-9A-Fa-f:.]+)\](?::(\d{1,5}))?$/.exec(text);
  const [host, port] = v6 ? [`[${v6[1]}]`, v6[2]] : text.split(':').length <= 2 ? text.split(':') : [];
  if (host === undefined || (!v6 && !IPV4.test(host) && (/^[\d.]+$/.test(host) || !HOST.test(host))))
    return undefined;
  const p = port === undefined ? 5060 : Number(port);
  if (!Number.isInteger(p) || p < 1 || p > 65535) return undefined;
  return { host, port: p };
}

/** `a=127.0.0.21:5060,b=127.0.0.22:5060` → the nodes, in the order given. */
export function parseNodes(text: string): EdgeNode[] {
  const nodes: EdgeNode[] = [];
  for (const item of text.split(',').map((s) => s.trim())) {
    const eq = item.indexOf('=');
    const name = item.slice(0, eq);
    const where = hostPort(item.slice(eq + 1));
    if (eq < 1 || !NODE_NAME.test(name) || !where) {
      throw new EdgeConfigError(
        `EDGE_NODES: "${item}" is not name=address[:port] (name: a lower-case letter then up to 15 letters or digits)`,
      );
    }
    if (nodes.some((n) => n.name === name)) throw new EdgeConfigError(`EDGE_NODES: node "${name}" twice`);
    nodes.push({ name, ...where });
  }
  return nodes;
}

const Env = z.object({
  DRACHTIO_URL: z
    .string()
    .regex(/^tcp:\/\/[^\s:/]+:\d{1,5}\/?$/, 'must be tcp://host:port (the drachtio-server admin port)')
    .default('tcp://127.0.0.1:9022'),
  DRACHTIO_SECRET: z
    .string({ error: 'the drachtio-server admin secret is required' })
    .min(1, 'the drachtio-server admin secret is required'),
  EDGE_NODES: z
    .string({ error: 'name=address[:port],… of every Asterisk node is required' })
    .min(1, 'name=address[:port],… of every Asterisk node is required'),
  EDGE_OPTIONS_MS: z.coerce.number().int().min(100).max(60_000).default(1000),
  EDGE_NODE_MAX_CALLS: z.coerce.number().int().min(1).max(1_000_000).default(400),
  EDGE_RETRY_AFTER_SECONDS: z.coerce.number().int().min(1).max(3600).default(5),
  /**
   * How long a node may stay silent (not even 100 Trying) after an INVITE before the edge moves
   * the call on to the next node. Asterisk sends 100 Trying at once; a node that stays silent
   * this long is dead or drowning.
   */
  EDGE_TRYING_TIMEOUT_MS: z.coerce.number().int().min(50).max(30_000).default(500),
  HOTLINE_RULES: z.string().min(1).optional(),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// URL')
    .optional(),
  EDGE_PEERS: z.string().min(1).optional(),
  HTTP_HOST: z.string().default('127.0.0.1'),
  HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(8081),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export interface EdgeConfig {
  drachtio: { host: string; port: number; secret: string };
  nodes: EdgeNode[];
  optionsMs: number;
  nodeMaxCalls: number;
  retryAfterSeconds: number;
  tryingTimeoutMs: number;
  rulesDir?: string;
  redisUrl?: string;
  peersFile?: string;
  http: { host: string; port: number };
  logLevel: string;
}

/** The edge's settings from the environment (an empty variable counts as unset). */
export function readEdgeConfig(env: NodeJS.ProcessEnv = process.env): EdgeConfig {
  const set = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ''));
  const parsed = Env.safeParse(set);
  if (!parsed.success) {
    throw new EdgeConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n'));
  }
  const c = parsed.data;
  const url = new URL(c.DRACHTIO_URL);
  return {
    drachtio: { host: url.hostname, port: Number(url.port), secret: c.DRACHTIO_SECRET },
    nodes: parseNodes(c.EDGE_NODES),
    optionsMs: c.EDGE_OPTIONS_MS,
    nodeMaxCalls: c.EDGE_NODE_MAX_CALLS,
    retryAfterSeconds: c.EDGE_RETRY_AFTER_SECONDS,
    tryingTimeoutMs: c.EDGE_TRYING_TIMEOUT_MS,
    ...(c.HOTLINE_RULES ? { rulesDir: c.HOTLINE_RULES } : {}),
    ...(c.REDIS_URL ? { redisUrl: c.REDIS_URL } : {}),
    ...(c.EDGE_PEERS ? { peersFile: c.EDGE_PEERS } : {}),
    http: { host: c.HTTP_HOST, port: c.HTTP_PORT },
    logLevel: c.LOG_LEVEL,
  };
}
