import { parseArgs } from 'node:util';
import { systemClock } from '../clock.ts';
import { createLogger } from '../log.ts';
import { OutboxError, type OutboxStore } from '../records/outbox.ts';
import { readRecordsConfig } from '../records/sinks/config.ts';
import { createRecordSink, openOutbox } from '../records/sinks/factory.ts';
import { openRedis } from '../redis/connection.ts';
import { type CommandIO, UsageError } from './io.ts';

export const recordsHelp = `hotline records <dead-letters|replay|status> [options]
  Call-record delivery (settings from the environment: RECORDS_WEBHOOK_URL, RECORDS_REDIS_STREAM,
  REDIS_URL, RECORDS_OUTBOX, RECORDS_OUTBOX_DIR).
  dead-letters [--json] [--limit N]   lists records that failed every delivery attempt
  replay [--id ID]... [--deliver]     puts dead letters (all, or the given ids) back in the outbox;
                                      the running engine delivers them, or --deliver does it now
  status                              pending and dead-lettered counts
  With the file outbox (no Redis), stop the engine first: one process owns the outbox.`;

const fmt = (ms: number) => new Date(ms).toISOString();

async function withOutbox<T>(env: NodeJS.ProcessEnv, run: (outbox: OutboxStore) => Promise<T>): Promise<T> {
  const config = readRecordsConfig(env);
  // The CLI gives up on an unreachable Redis instead of waiting for it.
  const redis =
    config.outbox.kind === 'redis' || config.stream
      ? openRedis(config.redisUrl!, { maxRetriesPerRequest: 1, connectTimeout: 3000 })
      : undefined;
  try {
    const { outbox } = await openOutbox(config, redis ? { redis } : {});
    try {
      return await run(outbox);
    } finally {
      await outbox.close();
    }
  } finally {
    await redis?.quit().catch(() => redis.disconnect());
  }
}

/**
 * `hotline records …`; returns the exit code. A file outbox held by the running engine is a
 * one-line error (exit 1), not a stack trace.
 */
export async function recordsCommand(
  args: string[],
  io: CommandIO,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  try {
    return await run(args, io, env);
  } catch (err) {
    if (err instanceof OutboxError && err.code === 'outbox-locked') {
      io.err(`records: ${err.message}; stop the engine first (the file outbox has one owner)`);
      return 1;
    }
    throw err;
  }
}

async function run(args: string[], io: CommandIO, env: NodeJS.ProcessEnv): Promise<number> {
  const [sub, ...rest] = args;
  const { values } = parseArgs({
    args: rest,
    options: {
      json: { type: 'boolean', default: false },
      limit: { type: 'string' },
      id: { type: 'string', multiple: true },
      deliver: { type: 'boolean', default: false },
      'timeout-ms': { type: 'string' },
    },
    strict: true,
  });
  switch (sub) {
    case 'dead-letters': {
      const limit = values.limit === undefined ? 1000 : Number(values.limit);
      if (!Number.isInteger(limit) || limit < 1)
        throw new UsageError('--limit takes a positive whole number');
      const dead = await withOutbox(env, (o) => o.deadLetters(limit));
      if (values.json) {
        const rows = dead.map(({ body: _body, ...d }) => d);
        io.out(JSON.stringify(rows, null, 2));
      } else if (dead.length === 0) io.out('no dead letters');
      else
        for (const d of dead)
          io.out(
            `${d.id}  ${d.kind}  call ${d.callId}  ${d.attempts} attempts  dead since ${fmt(d.deadAt)}  last error: ${d.lastError ?? '-'}`,
          );
      return 0;
    }
    case 'replay': {
      const ids = values.id && values.id.length > 0 ? values.id : 'all';
      const replayed = await withOutbox(env, (o) => o.replay(ids, systemClock.now()));
      io.out(`${replayed} dead letter${replayed === 1 ? '' : 's'} back in the outbox`);
      if (!values.deliver || replayed === 0) return 0;
      const timeoutMs = Number(values['timeout-ms'] ?? 30_000);
      const sink = await createRecordSink(readRecordsConfig(env), {
        clock: systemClock,
        logger: createLogger({ level: 'error' }),
        closeTimeoutMs: timeoutMs,
      });
      await sink.courier?.stop();
      const drained = (await sink.courier?.flush(timeoutMs)) ?? true;
      const counts = await sink.outbox?.counts();
      await sink.close();
      io.out(
        drained
          ? 'delivered'
          : `not all delivered yet: ${counts?.pending ?? 0} pending, ${counts?.dead ?? 0} dead (the engine retries them)`,
      );
      return drained ? 0 : 1;
    }
    case 'status': {
      const counts = await withOutbox(env, (o) => o.counts());
      io.out(
        values.json ? JSON.stringify(counts) : `${counts.pending} pending, ${counts.dead} dead-lettered`,
      );
      return 0;
    }
    default:
      throw new UsageError(sub ? `unknown subcommand "${sub}"` : 'which subcommand?');
  }
}
