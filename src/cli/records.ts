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
  REDIS_URL, RECORDS_OUTBOX, RECORDS_OUTBOX_DIR, default records-outbox/ in HOTLINE_STATE_DIR).
  dead-letters [--json] [--limit N]   lists records that failed every delivery attempt
  replay [--id ID]... [--deliver]     puts dead letters (all, or the given ids) back in the outbox;
                                      the running engine delivers them, or --deliver does it now
  status [--json]                     pending and dead-lettered counts
  With the file outbox (no Redis), status and dead-letters read it while the engine runs (a
  snapshot); replay changes it, so stop the engine first: one process writes the outbox.
  A problem ends the command with one line and exit code 1.`;

const fmt = (ms: number) => new Date(ms).toISOString();

async function withOutbox<T>(
  env: NodeJS.ProcessEnv,
  run: (outbox: OutboxStore) => Promise<T>,
  access: { readOnly: boolean },
): Promise<T> {
  const config = readRecordsConfig(env);
  // The CLI gives up on an unreachable Redis instead of waiting for it.
  const redis =
    config.outbox.kind === 'redis' || config.stream
      ? openRedis(config.redisUrl!, { maxRetriesPerRequest: 1, connectTimeout: 3000 })
      : undefined;
  try {
    const { outbox } = await openOutbox(config, { ...(redis ? { redis } : {}), readOnly: access.readOnly });
    try {
      return await run(outbox);
    } finally {
      await outbox.close();
    }
  } finally {
    await redis?.quit().catch(() => redis.disconnect());
  }
}

/** The one line a failed command prints (after `records: `). */
function explain(err: unknown): string {
  if (err instanceof OutboxError) {
    switch (err.code) {
      case 'outbox-locked':
        return `${err.message}; replay changes the outbox: stop the engine first (status and dead-letters work while it runs)`;
      case 'outbox-missing':
        return `${err.message} (RECORDS_OUTBOX_DIR, default records-outbox/ in HOTLINE_STATE_DIR: run the command with the engine's settings and working directory)`;
      case 'records-config':
        return `configuration: ${err.message.replaceAll('\n', '; ')}`;
      default:
        return err.message;
    }
  }
  const e = err as NodeJS.ErrnoException;
  if (typeof e?.code === 'string' && e.path)
    return `cannot use ${e.path} (${e.code}): run the command as the engine's user, with its settings`;
  return (err as Error)?.message ?? String(err);
}

/**
 * `hotline records …`; returns the exit code. Every problem (an outbox held by the running
 * engine, a missing or unreadable outbox, bad settings, an unreachable Redis) is one line on
 * stderr and exit code 1, not a stack trace; usage errors go to the caller (usage, exit 2).
 */
export async function recordsCommand(
  args: string[],
  io: CommandIO,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  try {
    return await run(args, io, env);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (err instanceof UsageError || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')))
      throw err;
    io.err(`records: ${explain(err)}`);
    return 1;
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
      const dead = await withOutbox(env, (o) => o.deadLetters(limit), { readOnly: true });
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
      const replayed = await withOutbox(env, (o) => o.replay(ids, systemClock.now()), { readOnly: false });
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
      const counts = await withOutbox(env, (o) => o.counts(), { readOnly: true });
      io.out(
        values.json ? JSON.stringify(counts) : `${counts.pending} pending, ${counts.dead} dead-lettered`,
      );
      return 0;
    }
    default:
      throw new UsageError(sub ? `unknown subcommand "${sub}"` : 'which subcommand?');
  }
}
