import { z } from 'zod';
import { statePath } from '../../config.ts';
import { CallerCipher, parseRecordsKey } from '../caller-crypto.ts';
import { OutboxError, type RetryPolicy } from '../outbox.ts';

/**
 * Where call records go, read from the environment once at start and checked:
 *   RECORDS_WEBHOOK_URL + RECORDS_WEBHOOK_SECRET   signed HTTP deliveries to the ticketing system
 *   RECORDS_REDIS_STREAM (with REDIS_URL)          a Redis Stream for consumer groups
 *   neither                                        the local JSONL file HOTLINE_RECORDS
 *   RECORDS_KEY + RECORDS_KEY_ID                   encrypt caller numbers (else only masked)
 *   RECORDS_OUTBOX                                 `redis` (default with REDIS_URL) or `file`
 *   RECORDS_DATABASE_URL                           also into PostgreSQL, for reports (src/reports/):
 *                                                  through the outbox, alone or with the others; the
 *                                                  JSONL file is still written when it is the only
 *                                                  other destination
 *   RECORDS_DATABASE_RETENTION_DAYS                rows older are deleted (default 730; 0 keeps all)
 */
export const RecordsEnv = z
  .object({
    RECORDS_WEBHOOK_URL: z.url({ protocol: /^https?$/ }).optional(),
    RECORDS_WEBHOOK_SECRET: z
      .string()
      .min(16, 'use at least 16 characters (e.g. openssl rand -hex 32)')
      .optional(),
    RECORDS_WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
    RECORDS_REDIS_STREAM: z
      .string()
      .regex(/^[A-Za-z0-9:._-]{1,200}$/, 'letters, digits, ":", ".", "_", "-"')
      .optional(),
    RECORDS_STREAM_MAXLEN: z.coerce.number().int().min(1000).default(1_000_000),
    REDIS_URL: z
      .string()
      .regex(/^rediss?:\/\//, 'must be a redis:// URL')
      .optional(),
    /** First part of the records keys in Redis (outbox). */
    RECORDS_REDIS_PREFIX: z
      .string()
      .regex(/^[A-Za-z0-9:._-]{1,100}$/)
      .default('hotline'),
    RECORDS_KEY: z.string().min(1).optional(),
    RECORDS_KEY_ID: z.string().min(1).optional(),
    /** Older keys kept for reading records after a rotation: `id:base64,id:base64`. */
    RECORDS_PREVIOUS_KEYS: z.string().min(1).optional(),
    /** Defaults under HOTLINE_STATE_DIR (`var/`): `records.jsonl`, `records-outbox/`. */
    HOTLINE_RECORDS: z.string().min(1),
    RECORDS_OUTBOX: z.enum(['redis', 'file']).optional(),
    RECORDS_OUTBOX_DIR: z.string().min(1),
    RECORDS_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(12),
    RECORDS_RETRY_BASE_MS: z.coerce.number().int().min(1).default(1000),
    RECORDS_RETRY_MAX_MS: z.coerce.number().int().min(1).default(300_000),
    RECORDS_DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\/[^\s]+$/, 'must be a postgres:// URL')
      .optional(),
    /** Two years by default: a year compared with the one before, whole. */
    RECORDS_DATABASE_RETENTION_DAYS: z.coerce.number().int().min(0).max(36_500).default(730),
    RECORDS_DATABASE_SWEEP_MINUTES: z.coerce.number().int().min(1).max(10_080).default(60),
    /** Destinations that get live call events too: `webhook,stream`, or `none`. Default: all configured. */
    RECORDS_LIVE_EVENTS: z
      .string()
      .regex(/^(none|(webhook|stream)(,(webhook|stream))*)$/, '"none" or a list of webhook, stream')
      .optional(),
  })
  .superRefine((env, ctx) => {
    if (env.RECORDS_WEBHOOK_URL && !env.RECORDS_WEBHOOK_SECRET)
      ctx.addIssue({
        code: 'custom',
        path: ['RECORDS_WEBHOOK_SECRET'],
        message: 'a webhook needs a signing secret',
      });
    if (env.RECORDS_REDIS_STREAM && !env.REDIS_URL)
      ctx.addIssue({ code: 'custom', path: ['REDIS_URL'], message: 'the records stream needs REDIS_URL' });
    if (env.RECORDS_OUTBOX === 'redis' && !env.REDIS_URL)
      ctx.addIssue({ code: 'custom', path: ['REDIS_URL'], message: 'a Redis outbox needs REDIS_URL' });
    if (Boolean(env.RECORDS_KEY) !== Boolean(env.RECORDS_KEY_ID))
      ctx.addIssue({
        code: 'custom',
        path: ['RECORDS_KEY_ID'],
        message: 'RECORDS_KEY and RECORDS_KEY_ID go together',
      });
  });

export interface RecordsConfig {
  webhook?: { url: string; secret: string; timeoutMs: number };
  stream?: { name: string; maxLen: number };
  redisUrl?: string;
  redisPrefix: string;
  cipher: CallerCipher | undefined;
  jsonlPath: string;
  outbox: { kind: 'redis' | 'file'; dir: string };
  retry: RetryPolicy;
  /** Destinations that get live events; undefined: all but the database (it keeps final records only). */
  liveEventsTo?: string[];
  /** The records database (reports): its URL, how long rows are kept (0: forever), how often old ones are swept. */
  database?: { url: string; retentionDays: number; sweepEveryMs: number };
}

/** Reads and checks the records settings; throws `records-config` with every problem. */
export function readRecordsConfig(env: NodeJS.ProcessEnv = process.env): RecordsConfig {
  const parsed = RecordsEnv.safeParse({
    ...env,
    HOTLINE_RECORDS: statePath(env, 'HOTLINE_RECORDS'),
    RECORDS_OUTBOX_DIR: statePath(env, 'RECORDS_OUTBOX_DIR'),
  });
  if (!parsed.success)
    throw new OutboxError(
      'records-config',
      parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n'),
    );
  const e = parsed.data;
  let cipher: CallerCipher | undefined;
  try {
    if (e.RECORDS_KEY && e.RECORDS_KEY_ID) {
      const previous = (e.RECORDS_PREVIOUS_KEYS ?? '')
        .split(',')
        .filter(Boolean)
        .map((pair) => {
          const i = pair.indexOf(':');
          return parseRecordsKey(pair.slice(0, i), pair.slice(i + 1));
        });
      cipher = new CallerCipher(parseRecordsKey(e.RECORDS_KEY_ID, e.RECORDS_KEY), previous);
    }
  } catch (err) {
    throw new OutboxError('records-config', (err as Error).message, err);
  }
  return {
    ...(e.RECORDS_WEBHOOK_URL && e.RECORDS_WEBHOOK_SECRET
      ? {
          webhook: {
            url: e.RECORDS_WEBHOOK_URL,
            secret: e.RECORDS_WEBHOOK_SECRET,
            timeoutMs: e.RECORDS_WEBHOOK_TIMEOUT_MS,
          },
        }
      : {}),
    ...(e.RECORDS_REDIS_STREAM
      ? { stream: { name: e.RECORDS_REDIS_STREAM, maxLen: e.RECORDS_STREAM_MAXLEN } }
      : {}),
    ...(e.REDIS_URL ? { redisUrl: e.REDIS_URL } : {}),
    ...(e.RECORDS_DATABASE_URL
      ? {
          database: {
            url: e.RECORDS_DATABASE_URL,
            retentionDays: e.RECORDS_DATABASE_RETENTION_DAYS,
            sweepEveryMs: e.RECORDS_DATABASE_SWEEP_MINUTES * 60_000,
          },
        }
      : {}),
    redisPrefix: e.RECORDS_REDIS_PREFIX,
    cipher,
    jsonlPath: e.HOTLINE_RECORDS,
    outbox: { kind: e.RECORDS_OUTBOX ?? (e.REDIS_URL ? 'redis' : 'file'), dir: e.RECORDS_OUTBOX_DIR },
    retry: {
      maxAttempts: e.RECORDS_MAX_ATTEMPTS,
      baseDelayMs: e.RECORDS_RETRY_BASE_MS,
      maxDelayMs: Math.max(e.RECORDS_RETRY_BASE_MS, e.RECORDS_RETRY_MAX_MS),
    },
    ...(e.RECORDS_LIVE_EVENTS
      ? { liveEventsTo: e.RECORDS_LIVE_EVENTS === 'none' ? [] : e.RECORDS_LIVE_EVENTS.split(',') }
      : {}),
  };
}
