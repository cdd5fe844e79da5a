import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { EDGE_REPORT_TTL_MS, edgeKey } from '../../src/edge/redis-report.ts';
import { createLogger } from '../../src/log.ts';
import { EdgeReportReader, edgeReportKey } from '../../src/redis/edge-report.ts';
import { freePort, testRedisUrl } from '../support/redis.ts';

const conns: Redis[] = [];
afterEach(() => {
  for (const c of conns.splice(0)) c.disconnect();
});

const report = (at: number) => ({
  at,
  nodes: [
    { name: 'a', up: true, optionsRttMs: 0.8, ari: true, calls: 12, invites: 40, failures: 0 },
    { name: 'b', up: false, optionsRttMs: null, ari: false, calls: 0, invites: 3, failures: 3 },
  ],
  trunks: [
    { name: 'carrier', up: true, rttMs: 1.5 },
    { name: 'sc-tax', up: true, rttMs: 2 },
    { name: 'emergency', up: false, rttMs: null },
  ],
});

/** A reader on the test Redis for a center of its own, on a wall clock the test sets. */
function setup(cacheMs = 1_000) {
  const redis = new Redis(testRedisUrl());
  conns.push(redis);
  const centerId = `edge-${process.pid}-${Math.random().toString(36).slice(2)}`;
  const lines: string[] = [];
  const logger = createLogger({ level: 'info', destination: { write: (l: string) => void lines.push(l) } });
  const wall = { now: Date.now() };
  const gets = { n: 0 };
  const counted = new Proxy(redis, {
    get(target, prop, receiver) {
      if (prop === 'get') {
        return (key: string) => {
          gets.n++;
          return target.get(key);
        };
      }
      return Reflect.get(target, prop, receiver);
    },
  });
  const reader = new EdgeReportReader({ redis: counted, centerId, logger, cacheMs, now: () => wall.now });
  const warnings = () => lines.map((l) => JSON.parse(l) as { msg: string }).map((l) => l.msg);
  return { redis, centerId, reader, wall, gets, warnings };
}

describe("the engine's reader of the SIP edge's report", () => {
  it('reads the key the edge writes', () => {
    expect(edgeReportKey('sichuan')).toBe(edgeKey('sichuan'));
  });

  it('returns a valid report, and reads Redis at most once a second however often it is asked', async () => {
    const s = setup();
    await s.redis.set(
      edgeKey(s.centerId),
      JSON.stringify(report(s.wall.now - 400)),
      'PX',
      EDGE_REPORT_TTL_MS,
    );
    const all = await Promise.all([s.reader.read(), s.reader.read(), s.reader.read()]);
    for (const r of all) expect(r).toEqual(report(s.wall.now - 400));
    expect(await s.reader.read()).toEqual(report(s.wall.now - 400));
    expect(s.gets.n).toBe(1);
    expect(s.reader.ageSeconds(all[0]!)).toBeCloseTo(0.4);

    // Within the second, a newer report is not seen yet; after it, it is.
    await s.redis.set(edgeKey(s.centerId), JSON.stringify(report(s.wall.now)), 'PX', EDGE_REPORT_TTL_MS);
    s.wall.now += 999;
    expect((await s.reader.read())?.at).toBe(s.wall.now - 999 - 400);
    s.wall.now += 1;
    expect((await s.reader.read())?.at).toBe(s.wall.now - 1_000);
    expect(s.gets.n).toBe(2);
    expect(s.warnings()).toEqual([]);
  });

  it('returns nothing without a report', async () => {
    const s = setup();
    expect(await s.reader.read()).toBeUndefined();
    expect(s.warnings()).toEqual([]);
  });

  it('returns nothing for a report the edge wrote over 10 s ago, cached or not', async () => {
    const s = setup();
    const at = s.wall.now - 9_500;
    await s.redis.set(edgeKey(s.centerId), JSON.stringify(report(at)), 'PX', EDGE_REPORT_TTL_MS);
    expect((await s.reader.read())?.at).toBe(at);
    s.wall.now += 600; // still within the cache, but the report is now 10.1 s old
    expect(await s.reader.read()).toBeUndefined();
    s.wall.now += 1_000;
    expect(await s.reader.read()).toBeUndefined();
  });

  it('returns nothing once the key expired in Redis', async () => {
    const s = setup(0);
    await s.redis.set(edgeKey(s.centerId), JSON.stringify(report(s.wall.now)), 'PX', 50);
    expect((await s.reader.read())?.at).toBe(s.wall.now);
    await expect.poll(() => s.reader.read(), { timeout: 5_000, interval: 20 }).toBeUndefined();
  });

  it('returns nothing for an invalid report and logs it once, until a valid one comes', async () => {
    const s = setup(0);
    const key = edgeKey(s.centerId);
    const bad = { ...report(s.wall.now), trunks: [{ name: 'carrier', up: 'yes', rttMs: 1 }] };
    await s.redis.set(key, JSON.stringify(bad), 'PX', EDGE_REPORT_TTL_MS);
    expect(await s.reader.read()).toBeUndefined();
    expect(await s.reader.read()).toBeUndefined();
    await s.redis.set(key, '{not json', 'PX', EDGE_REPORT_TTL_MS);
    expect(await s.reader.read()).toBeUndefined();
    expect(s.warnings()).toEqual(['the SIP edge report does not match its schema: ignored']);

    await s.redis.set(key, JSON.stringify(report(s.wall.now)), 'PX', EDGE_REPORT_TTL_MS);
    expect(await s.reader.read()).toBeDefined();
    await s.redis.set(key, '{not json', 'PX', EDGE_REPORT_TTL_MS);
    expect(await s.reader.read()).toBeUndefined();
    expect(s.warnings()).toEqual([
      'the SIP edge report does not match its schema: ignored',
      'the SIP edge report is not JSON: ignored',
    ]);
  });

  it('returns nothing at once while Redis does not answer, logs it once, and keeps one GET waiting', async () => {
    // The engine's connection queues commands while Redis is away (maxRetriesPerRequest: null).
    const port = await freePort();
    const away = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: null, lazyConnect: true });
    away.on('error', () => undefined); // connection refused, again and again: expected here
    conns.push(away);
    let sent = 0;
    const counted = new Proxy(away, {
      get(target, prop, receiver) {
        if (prop === 'get') {
          return (key: string) => {
            sent++;
            return target.get(key);
          };
        }
        return Reflect.get(target, prop, receiver);
      },
    });
    const lines: string[] = [];
    const logger = createLogger({ level: 'info', destination: { write: (l: string) => void lines.push(l) } });
    const reader = new EdgeReportReader({
      redis: counted,
      centerId: 'away',
      logger,
      cacheMs: 0,
      timeoutMs: 100,
    });
    expect(await reader.read()).toBeUndefined();
    expect(await reader.read()).toBeUndefined();
    expect(sent).toBe(1);
    expect(lines.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual([
      'could not read the SIP edge report from Redis',
    ]);
  });
});
