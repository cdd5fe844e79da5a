import { isAbsolute, resolve } from 'node:path';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Clock } from '../../clock.ts';
import { openRedis } from '../../redis/connection.ts';
import { openRecordsDatabase } from '../../reports/records-database.ts';
import type { CallerCipher } from '../caller-crypto.ts';
import { Courier } from '../courier.ts';
import type { OutboxStore, Transport } from '../outbox.ts';
import type { CallRecord, LiveEvent, RecordSink } from '../record.ts';
import type { RecordsConfig } from './config.ts';
import { FileOutbox } from './file-outbox.ts';
import { JsonlRecordSink } from './jsonl-sink.ts';
import { OutboxRecordSink } from './outbox-sink.ts';
import { RedisOutbox } from './redis-outbox.ts';
import { RedisStreamTransport } from './redis-stream.ts';
import { safeUrl, WebhookTransport } from './webhook.ts';

export interface RecordsDeps {
  clock: Clock;
  logger?: Logger;
  /** Relative paths (JSONL file, outbox directory) are resolved from here. Default: the working directory. */
  baseDir?: string;
  /** A Redis connection to use (not closed by the sink); else one is opened from the config's URL. */
  redis?: Redis;
  /** First part of Redis keys; default the config's (`RECORDS_REDIS_PREFIX`, `hotline`). */
  keyPrefix?: string;
  random?: () => number;
  /** Courier tuning (tests): longest sleep between rounds, default 1 s. */
  pollMs?: number;
  /** How long `close` keeps delivering; default 5 s. */
  closeTimeoutMs?: number;
}

/** The configured sink, plus what the composition needs around it. */
export interface ConfiguredRecordSink extends RecordSink {
  /** Encrypts caller numbers into records: pass to `buildCallRecord(state, { encrypt })`. */
  readonly cipher: CallerCipher | undefined;
  /** `webhook`, `stream`, `database`, or `jsonl`. */
  readonly destinations: string[];
  /** One line for the start-up log (no secrets). */
  readonly summary: string;
  readonly outbox: OutboxStore | undefined;
  readonly courier: Courier | undefined;
}

const at = (base: string, path: string) => (isAbsolute(path) ? path : resolve(base, path));

/**
 * Opens the configured outbox (the CLI uses it alone to list and replay dead letters). With
 * `readOnly`, a file outbox is read without its lock, as a snapshot (its owner may be running).
 */
export async function openOutbox(
  config: RecordsConfig,
  deps: Pick<RecordsDeps, 'baseDir' | 'redis' | 'keyPrefix' | 'logger'> & {
    clock?: Clock;
    readOnly?: boolean;
  } = {},
): Promise<{ outbox: OutboxStore; redis: Redis | undefined }> {
  let redis = deps.redis;
  if (config.outbox.kind === 'redis' || config.stream) {
    redis ??= openRedis(config.redisUrl!, { maxRetriesPerRequest: null, lazyConnect: false });
  }
  const ownsConnection = !deps.redis;
  if (config.outbox.kind === 'redis') {
    const keyPrefix = deps.keyPrefix ?? config.redisPrefix;
    return { outbox: new RedisOutbox({ redis: redis!, keyPrefix, ownsConnection }), redis };
  }
  const options = {
    dir: at(deps.baseDir ?? process.cwd(), config.outbox.dir),
    onWarning: (message: string) => deps.logger?.warn(message),
    ...(deps.clock ? { clock: deps.clock } : {}),
  };
  const outbox = deps.readOnly ? await FileOutbox.read(options) : await FileOutbox.open(options);
  if (redis && ownsConnection) {
    const close = outbox.close.bind(outbox);
    outbox.close = async () => {
      await close();
      await redis.quit();
    };
  }
  return { outbox, redis };
}

/**
 * The records sink the environment asks for: the outbox feeding the webhook and/or the Redis
 * Stream when either is configured, else the local JSONL file. The records database
 * (RECORDS_DATABASE_URL) is one more destination of the outbox, beside either: with it alone,
 * the JSONL file is still written (what the screen pop and `hotline simulate` read) and the
 * same records go to the database through the outbox.
 */
export async function createRecordSink(
  config: RecordsConfig,
  deps: RecordsDeps,
): Promise<ConfiguredRecordSink> {
  const file = !config.webhook && !config.stream ? jsonlSink(config, deps) : undefined;
  if (!config.database) return file ?? (await outboxSink(config, deps));
  const delivery = await outboxSink(config, deps);
  if (!file) return delivery;
  return {
    write: (r: CallRecord) => Promise.all([file.write(r), delivery.write(r)]).then(() => undefined),
    close: async () => {
      await Promise.all([file.close(), delivery.close()]);
    },
    health: () => {
      const a = file.health!();
      const b = delivery.health?.() ?? { ok: true, spooled: 0 };
      return {
        ok: a.ok && b.ok,
        ...(a.reason || b.reason ? { reason: [a.reason, b.reason].filter(Boolean).join('; ') } : {}),
        spooled: a.spooled + b.spooled,
        failures: { ...a.failures, ...b.failures },
      };
    },
    cipher: config.cipher,
    destinations: [...file.destinations, ...delivery.destinations],
    summary: `${file.summary}; ${delivery.summary}`,
    outbox: delivery.outbox,
    courier: delivery.courier,
  };
}

function jsonlSink(config: RecordsConfig, deps: RecordsDeps): ConfiguredRecordSink {
  const log = deps.logger;
  const path = at(deps.baseDir ?? process.cwd(), config.jsonlPath);
  const jsonl = new JsonlRecordSink(path, {
    clock: deps.clock,
    onFailure: (error) =>
      log?.error({ path, error }, 'call records file cannot be written; records kept in the spool'),
    onRecovered: (lines) => log?.info({ path, records: lines }, 'spooled call records written to the file'),
  });
  return {
    // No `event`: the file keeps final records only, and says so by not taking live events.
    write: (r: CallRecord) => jsonl.write(r),
    close: () => jsonl.close(),
    health: () => jsonl.health(),
    cipher: config.cipher,
    destinations: ['jsonl'],
    summary: `call records to ${path}${config.cipher ? `, callers encrypted (key ${config.cipher.keyId})` : ''}`,
    outbox: undefined,
    courier: undefined,
  };
}

/** The outbox and its courier, delivering to the webhook, the stream and the database configured. */
async function outboxSink(config: RecordsConfig, deps: RecordsDeps): Promise<ConfiguredRecordSink> {
  const log = deps.logger;
  const database = config.database
    ? await openRecordsDatabase(config.database, {
        clock: deps.clock,
        logger: log?.child({ destination: 'database' }),
      })
    : undefined;
  const { outbox, redis } = await openOutbox(config, deps).catch(async (err: unknown) => {
    await database?.retention.stop();
    await database?.transport.close();
    throw err;
  });
  const transports: Transport[] = [];
  if (config.webhook)
    transports.push(
      new WebhookTransport({
        url: config.webhook.url,
        secrets: [config.webhook.secret],
        clock: deps.clock,
        timeoutMs: config.webhook.timeoutMs,
      }),
    );
  if (config.stream)
    transports.push(
      new RedisStreamTransport({ redis: redis!, stream: config.stream.name, maxLen: config.stream.maxLen }),
    );
  if (database) transports.push(database.transport);
  const courier = new Courier({
    outbox,
    transports,
    clock: deps.clock,
    policy: config.retry,
    // The database takes a round's records in one transaction: larger rounds, fewer of them.
    ...(database ? { batch: 2000 } : {}),
    ...(deps.random ? { random: deps.random } : {}),
    ...(deps.pollMs !== undefined ? { pollMs: deps.pollMs } : {}),
    onRetry: (e, error, delayMs) =>
      log?.warn(
        { messageId: e.id, attempts: e.attempts, error, delayMs },
        'call record delivery failed; will retry',
      ),
    onDead: (e, error) =>
      log?.error(
        { messageId: e.id, attempts: e.attempts, error },
        'call record dead-lettered (hotline records replay)',
      ),
    onError: (err) => log?.error({ err: (err as Error).message }, 'call record outbox unavailable'),
  });
  const sink = new OutboxRecordSink({
    outbox,
    courier,
    transports,
    clock: deps.clock,
    // The database keeps final records only.
    liveEventsTo: config.liveEventsTo ?? transports.map((t) => t.destination).filter((d) => d !== 'database'),
    ...(deps.closeTimeoutMs !== undefined ? { closeTimeoutMs: deps.closeTimeoutMs } : {}),
  });
  courier.start();
  const to = [
    config.webhook ? `webhook ${safeUrl(config.webhook.url)}` : undefined,
    config.stream ? `stream ${config.stream.name}` : undefined,
    database?.summary,
  ].filter(Boolean);
  const live = config.webhook !== undefined || config.stream !== undefined;
  return {
    write: (r: CallRecord) => sink.write(r),
    // Without a webhook or stream no destination takes live events: the sink says so by not taking them.
    ...(live ? { event: (e: LiveEvent) => sink.event(e) } : {}),
    close: async () => {
      await database?.retention.stop();
      await sink.close();
    },
    // The file outbox's journal can fail (a full disk); a Redis outbox refuses writes instead.
    ...(outbox instanceof FileOutbox ? { health: () => outbox.health() } : {}),
    cipher: config.cipher,
    destinations: transports.map((t) => t.destination),
    summary:
      `call records to ${to.join(' and ')} through the ${config.outbox.kind} outbox` +
      (config.cipher
        ? `, callers encrypted (key ${config.cipher.keyId})`
        : ', callers masked only (no RECORDS_KEY)'),
    outbox,
    courier,
  };
}
