import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { recordsCommand } from '../../src/cli/records.ts';
import { type Clock, systemClock } from '../../src/clock.ts';
import { liveEvent } from '../../src/records/record.ts';
import { readRecordsConfig } from '../../src/records/sinks/config.ts';
import { type ConfiguredRecordSink, createRecordSink } from '../../src/records/sinks/factory.ts';
import { RecordStreamReader, RedisStreamTransport } from '../../src/records/sinks/redis-stream.ts';
import { testRedisUrl } from '../support/redis.ts';
import { answeredCall } from './call-states.ts';
import { courierClock, drive, receiver, recordOf, SECRET, startNetwork, until } from './delivery-support.ts';

const REDIS_URL = testRedisUrl();

let admin: Redis;
let cleanup: (() => unknown)[] = [];
beforeAll(() => {
  admin = new Redis(REDIS_URL);
});
afterAll(async () => {
  await admin.quit();
});
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

/** A unique key prefix and stream; every key under them is deleted after the test. */
function names() {
  const prefix = `hotline-test-${randomUUID().slice(0, 8)}`;
  const stream = `${prefix}:records`;
  cleanup.push(async () => {
    const keys = [...(await admin.keys(`${prefix}:*`)), ...(await admin.keys(`{${stream}}:*`))];
    if (keys.length > 0) await admin.del(...keys);
  });
  return { prefix, stream };
}

function redisEnv(prefix: string, extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return {
    REDIS_URL,
    RECORDS_OUTBOX: 'redis',
    RECORDS_REDIS_PREFIX: prefix,
    RECORDS_RETRY_BASE_MS: '10',
    RECORDS_RETRY_MAX_MS: '60',
    ...extra,
  };
}

async function sinkFrom(
  env: NodeJS.ProcessEnv,
  closeTimeoutMs = 300,
  clock: Clock = systemClock,
): Promise<ConfiguredRecordSink> {
  const sink = await createRecordSink(readRecordsConfig(env), {
    clock,
    pollMs: 50,
    closeTimeoutMs,
  });
  return sink;
}

describe.sequential('call records in Redis', () => {
  it('puts records and live events on the stream once each, for a consumer group to read and acknowledge', async () => {
    const { prefix, stream } = names();
    const sink = await sinkFrom(redisEnv(prefix, { RECORDS_REDIS_STREAM: stream }));
    cleanup.push(() => sink.close());
    const call = answeredCall();
    await sink.event!(liveEvent(call, call.events[0]!));
    await sink.write(recordOf(1));
    await sink.write(recordOf(2));
    await sink.write(recordOf(2));
    await until('three stream entries', async () => (await admin.xlen(stream)) === 3);

    const reader = new RecordStreamReader(admin, stream);
    await reader.ensureGroup('ticketing');
    const batch = await reader.readRecords('ticketing', 'worker-1');
    expect(batch.map((e) => [e.type, e.idempotencyKey, e.reclaimed])).toEqual([
      ['call-event', 'call-answered:event:0', false],
      ['call-record', 'call-1:record', false],
      ['call-record', 'call-2:record', false],
    ]);
    expect(batch[1]!.message).toMatchObject({
      type: 'call-record',
      callId: 'call-1',
      callerMasked: '138******00',
    });
    expect(
      await reader.ack(
        'ticketing',
        batch.map((e) => e.id),
      ),
    ).toBe(3);
    expect(await reader.readRecords('ticketing', 'worker-1')).toEqual([]);
    expect(await admin.xpending(stream, 'ticketing')).toEqual([0, null, null, null]);
  });

  it('does not add a second copy when the same message is sent again', async () => {
    const { stream } = names();
    const transport = new RedisStreamTransport({ redis: admin, stream });
    const r = recordOf(5);
    const entry = {
      id: 'stream:call-5:record',
      destination: 'stream',
      kind: 'call-record' as const,
      callId: r.callId,
      idempotencyKey: r.idempotencyKey,
      body: JSON.stringify(r),
      createdAt: Date.now(),
      attempts: 0,
      nextAt: Date.now(),
    };
    expect(await transport.send(entry)).toEqual({ ok: true });
    expect(await transport.send({ ...entry, attempts: 1 })).toEqual({ ok: true });
    expect(await admin.xlen(stream)).toBe(1);
  });

  it('re-claims an entry a consumer took and never acknowledged', async () => {
    const { prefix, stream } = names();
    const sink = await sinkFrom(
      redisEnv(prefix, { RECORDS_REDIS_STREAM: stream, RECORDS_LIVE_EVENTS: 'none' }),
    );
    cleanup.push(() => sink.close());
    const call = answeredCall();
    await sink.event!(liveEvent(call, call.events[0]!));
    await sink.write(recordOf(1));
    await until('the stream entry', async () => (await admin.xlen(stream)) === 1);

    const reader = new RecordStreamReader(admin, stream);
    await reader.ensureGroup('ticketing');
    const taken = await reader.readRecords('ticketing', 'worker-that-dies', { claimIdleMs: 50 });
    expect(taken.map((e) => e.idempotencyKey)).toEqual(['call-1:record']);
    // Idle time is Redis's own wall clock: not yet idle for an hour, so not re-claimed...
    expect(await reader.readRecords('ticketing', 'worker-2', { claimIdleMs: 3_600_000 })).toEqual([]);
    // ...and re-claimed once idle for 50 ms, however long that takes on a busy machine.
    let reclaimed: Awaited<ReturnType<typeof reader.readRecords>> = [];
    await until('the entry re-claimed', async () => {
      reclaimed = await reader.readRecords('ticketing', 'worker-2', { claimIdleMs: 50 });
      return reclaimed.length > 0;
    });
    expect(reclaimed.map((e) => [e.id, e.reclaimed])).toEqual([[taken[0]!.id, true]]);
    await reader.ack('ticketing', [reclaimed[0]!.id]);
    expect((await admin.xpending(stream, 'ticketing'))[0]).toBe(0);
  });

  it('keeps webhook deliveries in the Redis outbox across a restart, then delivers them', async () => {
    const { prefix } = names();
    const rx = await receiver();
    const net = await startNetwork(rx, 'refuse');
    cleanup.push(
      () => rx.close(),
      () => net.close(),
    );
    const env = redisEnv(prefix, { RECORDS_WEBHOOK_URL: net.url, RECORDS_WEBHOOK_SECRET: SECRET });
    const firstClock = courierClock();
    const first = await sinkFrom(env, 100, firstClock);
    for (const n of [1, 2, 3]) await first.write(recordOf(n));
    await drive(firstClock, 'a few failed attempts', () => net.requests >= 6);
    await first.close();
    expect(rx.received).toHaveLength(0);

    net.after = 'pass';
    net.plan = ['lose'];
    const clock = courierClock();
    const second = await sinkFrom(env, 300, clock);
    cleanup.push(() => second.close());
    await drive(clock, 'the three records', () => rx.received.length === 3);
    await drive(clock, 'an empty outbox', async () => (await second.outbox!.counts()).pending === 0);
    expect(rx.received.map((m) => m.idempotencyKey).sort()).toEqual([
      'call-1:record',
      'call-2:record',
      'call-3:record',
    ]);
  });

  it('dead-letters after the bounded tries; the command line lists them and a replay delivers them', async () => {
    const { prefix } = names();
    const rx = await receiver();
    const net = await startNetwork(rx, 'refuse');
    cleanup.push(
      () => rx.close(),
      () => net.close(),
    );
    const env = redisEnv(prefix, {
      RECORDS_WEBHOOK_URL: net.url,
      RECORDS_WEBHOOK_SECRET: SECRET,
      RECORDS_MAX_ATTEMPTS: '3',
    });
    const clock = courierClock();
    const sink = await sinkFrom(env, 300, clock);
    cleanup.push(() => sink.close());
    await sink.write(recordOf(9));
    await drive(clock, 'the dead letter', async () => (await sink.outbox!.counts()).dead === 1);
    expect(net.requests).toBe(3);

    const lines: string[] = [];
    const io = { out: (t: string) => lines.push(t), err: (t: string) => lines.push(t) };
    expect(await recordsCommand(['dead-letters', '--json'], io, env)).toBe(0);
    expect(JSON.parse(lines[0]!)).toEqual([
      expect.objectContaining({ id: 'webhook:call-9:record', attempts: 3, lastError: expect.any(String) }),
    ]);
    net.after = 'pass';
    lines.length = 0;
    // The engine is running (the sink above): the replay only puts the letter back; the engine delivers it.
    expect(await recordsCommand(['replay', '--id', 'webhook:call-9:record'], io, env)).toBe(0);
    expect(lines).toEqual(['1 dead letter back in the outbox']);
    await drive(clock, 'the replayed record', () => rx.received.length === 1);
    expect(rx.received[0]!.idempotencyKey).toBe('call-9:record');
  });
});
