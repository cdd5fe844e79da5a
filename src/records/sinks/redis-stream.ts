import type { Redis } from 'ioredis';
import { runLuaScript } from '../../redis/lua-scripts.ts';
import type { OutboxEntry, SendResult, Transport } from '../outbox.ts';
import { RecordMessage } from '../schema.ts';
import { scripts } from './redis-scripts.ts';

/**
 * The Redis Stream of call records and live events. Each entry has the fields `type`
 * (`call-record` | `call-event`), `key` (idempotency key), `callId` and `body` (the JSON). The
 * stream is capped with `MAXLEN ~`. An entry is added once per idempotency key while the key's
 * "seen" marker lives (a day by default), so the outbox's retries do not add copies; consumers
 * still drop duplicates by `key` (delivery is at least once).
 */
export interface StreamOptions {
  redis: Redis;
  stream: string;
  /** Approximate number of entries kept. Default 1,000,000. */
  maxLen?: number;
  /** How long an idempotency key is remembered to skip re-adds. Default 24 h. */
  seenTtlMs?: number;
}

/** The seen-marker key: the stream's name as hash tag keeps it in the stream's cluster slot. */
const seenKey = (stream: string, key: string) => `{${stream}}:seen:${key}`;

export class RedisStreamTransport implements Transport {
  readonly destination = 'stream';

  constructor(private readonly o: StreamOptions) {}

  async send(entry: OutboxEntry): Promise<SendResult> {
    try {
      await runLuaScript(
        this.o.redis,
        scripts.streamAdd,
        [this.o.stream, seenKey(this.o.stream, entry.idempotencyKey)],
        [
          this.o.maxLen ?? 1_000_000,
          this.o.seenTtlMs ?? 86_400_000,
          'type',
          entry.kind,
          'key',
          entry.idempotencyKey,
          'callId',
          entry.callId,
          'body',
          entry.body,
        ],
      );
      return { ok: true };
    } catch (err) {
      return { ok: false, retry: true, error: err instanceof Error ? err.message : String(err) };
    }
  }
}

/** One stream entry as a consumer receives it. */
export interface StreamRecord {
  /** The stream entry id (acknowledge with it). */
  id: string;
  type: string;
  idempotencyKey: string;
  callId: string;
  /** The message, or undefined when the body does not match the schema (see `problem`). */
  message: RecordMessage | undefined;
  problem?: string;
  /** True when the entry was taken over from a consumer that did not acknowledge it in time. */
  reclaimed: boolean;
}

export interface ReadOptions {
  /** Most entries returned. Default 100. */
  count?: number;
  /** Wait up to this long for new entries (ms); 0 or absent: do not wait. */
  blockMs?: number;
  /** Entries delivered to a consumer and not acknowledged for this long are re-claimed. Default 60 s; 0 disables. */
  claimIdleMs?: number;
}

type RawEntry = [id: string, fields: string[]];

/** The entries of a one-stream XREADGROUP reply: `[[stream, entries]]` (RESP2) or `[stream, entries]` (RESP3 map). */
function entriesOf(reply: unknown[] | null): RawEntry[] {
  if (!reply || reply.length === 0) return [];
  const pair = typeof reply[0] === 'string' ? reply : (reply[0] as unknown[]);
  return (pair[1] as RawEntry[] | undefined) ?? [];
}

function toRecord([id, fields]: RawEntry, reclaimed: boolean): StreamRecord {
  const f = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) f.set(fields[i]!, fields[i + 1]!);
  const base = {
    id,
    type: f.get('type') ?? '',
    idempotencyKey: f.get('key') ?? '',
    callId: f.get('callId') ?? '',
    reclaimed,
  };
  try {
    const parsed = RecordMessage.safeParse(JSON.parse(f.get('body') ?? ''));
    if (parsed.success) return { ...base, message: parsed.data };
    return { ...base, message: undefined, problem: parsed.error.issues[0]?.message ?? 'invalid' };
  } catch {
    return { ...base, message: undefined, problem: 'body is not JSON' };
  }
}

/**
 * Reads the records stream in a consumer group, at least once: `readRecords` first re-claims
 * entries another consumer took but did not acknowledge within `claimIdleMs` (XAUTOCLAIM), then
 * reads new ones (XREADGROUP); `ack` acknowledges (XACK) once an entry is handled.
 */
export class RecordStreamReader {
  private readonly cursors = new Map<string, string>();

  constructor(
    private readonly redis: Redis,
    readonly stream: string,
  ) {}

  /** Creates the group if needed; `from` `0` reads the whole stream, `$` only what comes next. */
  async ensureGroup(group: string, from: '0' | '$' = '0'): Promise<void> {
    try {
      await this.redis.xgroup('CREATE', this.stream, group, from, 'MKSTREAM');
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('BUSYGROUP')) throw err;
    }
  }

  async readRecords(group: string, consumer: string, options: ReadOptions = {}): Promise<StreamRecord[]> {
    const count = options.count ?? 100;
    const idle = options.claimIdleMs ?? 60_000;
    const out: StreamRecord[] = [];
    if (idle > 0) {
      const cursor = this.cursors.get(group) ?? '0-0';
      const reply = (await this.redis.xautoclaim(
        this.stream,
        group,
        consumer,
        idle,
        cursor,
        'COUNT',
        count,
      )) as [string, (RawEntry | null)[]];
      this.cursors.set(group, reply[0]);
      for (const e of reply[1]) if (e) out.push(toRecord(e, true));
    }
    if (out.length >= count) return out;
    const args: (string | number)[] = ['GROUP', group, consumer, 'COUNT', count - out.length];
    if (options.blockMs && out.length === 0) args.push('BLOCK', options.blockMs);
    const reply = (await this.redis.call('XREADGROUP', ...args, 'STREAMS', this.stream, '>')) as
      | unknown[]
      | null;
    for (const e of entriesOf(reply)) out.push(toRecord(e, false));
    return out;
  }

  async ack(group: string, ids: string[]): Promise<number> {
    if (ids.length === 0) return 0;
    return this.redis.xack(this.stream, group, ...ids);
  }
}
