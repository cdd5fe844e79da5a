import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { readRulesFolder } from '../../src/admin/draft.ts';
import { RedisVersionStore } from '../../src/admin/redis-versions.ts';
import { PlanSource } from '../../src/edge/plan-source.ts';
import { until } from '../records/delivery-support.ts';

// The edge compiles published versions in its worker thread only: on this (the main) thread the
// compiler fails, so a version compiled here would never be taken.
vi.mock('../../src/admin/draft.ts', async (original) => ({
  ...(await original<typeof import('../../src/admin/draft.ts')>()),
  compileFiles: () => {
    throw new Error('a rules version was compiled on the edge’s event loop');
  },
}));

const rulesDir = join(import.meta.dirname, '../../routing-rules');
const folder = readRulesFolder(rulesDir);
/** The shipped rules with line l12396 moved to 12397. */
const moved = {
  ...folder,
  'lines.yaml': folder['lines.yaml']!.replace('number: "12396"', 'number: "12397"'),
};
/** The shipped rules with line l12300 moved to 12301 as well: now two lines share 12301. */
const clashing = {
  ...moved,
  'lines.yaml': moved['lines.yaml']!.replace('number: "12300"', 'number: "12301"'),
};

const url = process.env.REDIS_URL;
if (!url)
  throw new Error('REDIS_URL is not set: run the tests with `npx vitest`, which starts a private Redis');

let redis: Redis;
beforeAll(() => {
  redis = new Redis(url, { maxRetriesPerRequest: 2 });
});
afterAll(async () => {
  await redis?.quit();
});

describe('the numbers the edge answers', () => {
  let prefix: string;
  let versions: RedisVersionStore;
  const lines: { msg: string }[] = [];
  const logger = pino(
    { level: 'info' },
    new Writable({
      write(chunk, _encoding, done) {
        lines.push(JSON.parse(String(chunk)));
        done();
      },
    }),
  );
  const sources: PlanSource[] = [];
  const open = async (folderWins = false) => {
    const s = await PlanSource.open({ rulesDir, folderWins, redis, keyPrefix: prefix, logger });
    sources.push(s);
    return s;
  };
  const publish = (expectedLatest: number, files: Record<string, string>) =>
    versions.append(expectedLatest, { author: 'duty-admin', at: new Date().toISOString(), rulesDir, files });

  beforeAll(() => {
    prefix = `test-edge-rules-${randomBytes(4).toString('hex')}`;
    versions = new RedisVersionStore(redis, 'sichuan', prefix);
  });
  afterEach(async () => {
    for (const s of sources.splice(0)) await s.close();
    lines.splice(0);
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
  });

  it('takes a version published while it runs, compiled in its worker', async () => {
    const source = await open();
    expect(source.from).toBe(`the rules folder ${rulesDir}`);
    expect(source.numbers.answers('12396')).toBe(true);
    expect(source.numbers.answers('12397')).toBe(false);

    await publish(0, moved);
    await until('version 1 taken', () => source.from === 'published rules version 1');
    expect(source.numbers.answers('12397')).toBe(true);
    expect(source.numbers.answers('12396')).toBe(false);
    expect(source.centerId).toBe('sichuan');
  }, 60_000);

  it('keeps the numbers it has when a published version does not load here', async () => {
    await publish(0, moved);
    const source = await open();
    expect(source.from).toBe('published rules version 1');
    const before = source.numbers;

    await publish(1, clashing);
    await until('version 2 refused', () =>
      lines.some((l) => l.msg.startsWith('published rules version 2 is not used: it does not load here')),
    );
    expect(source.numbers).toBe(before);
    expect(source.from).toBe('published rules version 1');
    expect(source.numbers.answers('12397')).toBe(true);
    expect(source.numbers.answers('12300')).toBe(true);

    // The next version that loads is taken: a refused one leaves the worker fit.
    await publish(2, folder);
    await until('version 3 taken', () => source.from === 'published rules version 3');
    expect(source.numbers.answers('12396')).toBe(true);
    expect(source.numbers.answers('12397')).toBe(false);
  }, 60_000);

  it('starts from the folder when the latest published version does not load here, saying so', async () => {
    await publish(0, clashing);
    const source = await open();
    expect(source.from).toBe(`the rules folder ${rulesDir}`);
    expect(source.numbers.answers('12396')).toBe(true);
    expect(
      lines.some(
        (l) =>
          l.msg.startsWith('published rules version 1 is not used') &&
          l.msg.endsWith('numbers from the rules folder'),
      ),
    ).toBe(true);
  }, 60_000);

  it('answers the folder’s numbers with --rules, whatever is published', async () => {
    await publish(0, moved);
    const source = await open(true);
    expect(source.from).toBe(`the rules folder ${rulesDir}`);
    expect(source.numbers.answers('12396')).toBe(true);
  });
});
