import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { issueToken, TokenSet } from '../../src/admin/tokens.ts';
import { buildApi } from '../../src/api/server.ts';
import type { Clock } from '../../src/clock.ts';
import { EDGE_REPORT_TTL_MS, edgeKey } from '../../src/edge/redis-report.ts';
import type { Hotline } from '../../src/hotline.ts';
import { createLogger } from '../../src/log.ts';
import type { EdgeReportReader } from '../../src/redis/edge-report.ts';
import { launchChromium, shots, until } from '../support/chromium.ts';
import { startRig } from '../support/engine-harness.ts';
import { edgeReport, nodesOf, testRedis, twoNodes } from '../support/two-nodes.ts';

const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const supervisor = issueToken('duty-supervisor', 'supervisor');

let browser: Browser;
const closers: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  browser = await launchChromium();
}, 60_000);

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close().catch(() => undefined);
});

afterAll(async () => {
  await browser?.close();
});

/** The API on a port of its own; the wallboard's address with the supervisor's token. */
async function wallboard(hotline: Hotline, clock: Clock, reader?: EdgeReportReader): Promise<string> {
  const app: FastifyInstance = await buildApi({
    hotline,
    roster: [],
    clock,
    logger,
    tokens: new TokenSet([supervisor.entry]),
    ...(reader ? { edgeReport: reader } : {}),
  });
  closers.push(() => app.close());
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as { port: number }).port;
  return `http://127.0.0.1:${port}/web/wallboard.html#token=${supervisor.token}`;
}

describe('the wallboard in headless Chromium', () => {
  it('shows the voice nodes with their calls and the trunks, the down ones in the warning colour (screenshot in test-results/)', async () => {
    const { h, time } = await twoNodes(closers, logger);
    await time.runUntil('both nodes connected', () => nodesOf(h).every((n) => n.connected));
    const r = testRedis(closers, logger);
    await r.redis.set(edgeKey(r.centerId), JSON.stringify(edgeReport(Date.now())), 'PX', EDGE_REPORT_TTL_MS);
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    closers.push(() => page.close());
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(await wallboard(h, time.clock, r.reader));

    await until(() => page.isVisible('#telephony')).toBe(true);
    expect(await page.textContent('#telephony-nodes')).toBe('语音节点 a 正常（12通） · b 故障');
    expect(await page.textContent('#telephony-trunks')).toBe(
      '中继 carrier 正常 · sc-tax 正常 · emergency 故障',
    );
    // The colour the page gives an item (in the browser: the tests compile without the DOM types).
    const colourOf = (selector: string) =>
      page.$$eval(selector, (xs) =>
        xs.map((x) => {
          const view = globalThis as unknown as { getComputedStyle(e: unknown): { color: string } };
          return { text: x.textContent, colour: view.getComputedStyle(x).color };
        }),
      );
    const down = await colourOf('#telephony [data-down="true"]');
    const [up] = await colourOf('[data-node="a"]');
    expect(down.map((d) => d.text)).toEqual(['b 故障', 'emergency 故障']);
    for (const d of down) expect(d.colour).not.toBe(up!.colour);
    await page.screenshot({ path: join(shots, 'wallboard-telephony.png'), fullPage: true });
    expect(errors).toEqual([]);
  }, 60_000);

  it('hides the line with one Asterisk and no edge', async () => {
    const rig = await startRig({});
    closers.push(() => rig.close());
    const page = await browser.newPage();
    closers.push(() => page.close());
    await page.goto(await wallboard(rig.hotline, rig.clock));
    await until(() => page.textContent('#updated')).toMatch(/^更新于/);
    expect(await page.isHidden('#telephony')).toBe(true);
  }, 60_000);
});
