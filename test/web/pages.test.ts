import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AdminRig, startAdminRig } from '../admin/admin-rig.ts';
import { root } from '../support/engine-harness.ts';

const CHROMIUM = '/usr/bin/chromium';
const shots = join(root, 'test-results');

let a: AdminRig;
let browser: Browser;
let base: string;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `the web page tests need Chromium at ${CHROMIUM}: install it with "apt-get install chromium" (.ci/run does)`,
    );
  }
  a = await startAdminRig({ speed: 10, promptMs: 1000 });
  await a.api.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(a.api.server.address() as { port: number }).port}`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  mkdirSync(shots, { recursive: true });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await a?.close();
});

describe('the web pages in headless Chromium', () => {
  it('lets an agent log in, go ready, take a call, three-way transfer it to a sub-center and leave', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${base}/web/agent.html#token=${a.tokens.a1001}`);
    await expect.poll(() => page.textContent('#who')).toBe('坐席 a1001');
    // The token left the address bar (kept in sessionStorage only).
    expect(page.url()).not.toContain('token=');

    a.rig.sim.setEndpoint('PJSIP/agent1001', { behaviour: 'answer', answerAfterMs: 500, online: true });
    await page.fill('#endpoint', 'PJSIP/agent1001');
    await page.click('#login');
    await expect.poll(() => page.textContent('#state')).toBe('就绪');
    await page.click('#not-ready');
    await expect.poll(() => page.textContent('#state')).toBe('未就绪');
    await page.click('#ready');
    await expect.poll(() => page.textContent('#state')).toBe('就绪');
    await expect.poll(() => page.textContent('#stream')).toBe('事件流已连接');

    const { channelId } = a.rig.sim.injectCall({
      app: 'hotline',
      dialed: '12345',
      callerNumber: '13800138000',
    });
    await expect.poll(() => page.textContent('#call-stage'), { timeout: 10_000 }).toBe('通话中');
    expect(await page.textContent('#call-caller')).toBe('138******00');
    expect(await page.textContent('#call-line')).toBe('12345政务服务便民热线（12345）');
    expect(await page.textContent('#call-topic')).toBe('general');

    a.rig.sim.setEndpoint('PJSIP/12366@sc-tax', { behaviour: 'answer', answerAfterMs: 1000, online: true });
    await page.selectOption('#target', 'subcenter:tax');
    await page.click('#three-way');
    await expect.poll(() => page.textContent('#log'), { timeout: 10_000 }).toContain('转接目标已应答');
    await expect.poll(() => page.isEnabled('#leave')).toBe(true);
    await page.click('#leave');
    await expect.poll(() => page.textContent('#status')).toBe('已离开通话');
    await a.rig.until(
      'caller with the sub-center',
      () => a.rig.hotline.engine.call(channelId)?.stage === 'transferred',
    );
    expect(a.rig.hotline.engine.call(channelId)!.target).toMatchObject({ kind: 'subcenter', id: 'tax' });
    await expect.poll(() => page.textContent('#state')).toMatch(/话后处理|就绪/);
    if ((await page.textContent('#state')) === '话后处理') {
      await page.click('#end-wrap-up');
      await expect.poll(() => page.textContent('#state')).toBe('就绪');
    }
    a.rig.sim.hangup(channelId);
    await a.rig.until('record', () => a.rig.records.records.some((r) => r.callId === channelId));
    expect(errors).toEqual([]);
    await page.close();
  });

  it("shows the wallboard with the day's figures, queues and agents (screenshot in test-results/)", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${base}/web/wallboard.html#token=${a.tokens.supervisor}`);
    await expect.poll(() => page.locator('[data-kpi]').count()).toBe(6);
    await expect.poll(() => page.textContent('[data-kpi="接通率"] .value')).toBe('100.0%');
    await expect.poll(() => page.locator('#agents [data-agent="a1001"]').count()).toBe(1);
    expect(await page.locator('#queues [data-queue="pool:general"]').count()).toBe(1);
    await page.screenshot({ path: join(shots, 'wallboard.png'), fullPage: true });
    expect(existsSync(join(shots, 'wallboard.png'))).toBe(true);
    await page.close();
  });

  it('shows rule problems at their file and publishes nothing until they are fixed', async () => {
    const page = await browser.newPage();
    await page.goto(`${base}/web/rules.html#token=${a.tokens.admin}`);
    await expect.poll(() => page.textContent('#live')).toContain('线上版本 v1');
    await page.click('[data-file="lines.yaml"]');
    const text = await page.inputValue('#editor');
    await page.fill('#editor', text.replace('goto: "pool:general" }', 'goto: "pool:nowhere" }'));
    await page.click('#publish');
    await expect.poll(() => page.textContent('[data-file="lines.yaml"]')).toBe('lines.yaml（1个问题）');
    expect(await page.textContent('#file-problems')).toContain('lines[0].route.goto');
    expect(a.rules.version.version).toBe(1);
    await page.fill('#editor', text.replace('name: 12345政务服务便民热线', 'name: 12345热线'));
    await page.fill('#message', '改名');
    await page.click('#publish');
    await expect.poll(() => page.textContent('#live')).toContain('线上版本 v2');
    expect(a.rig.hotline.plan.lines.get('hotline-12345')!.name).toBe('12345热线');
    await page.click('[data-version="1"] button');
    await expect.poll(() => page.textContent('#live')).toContain('线上版本 v3');
    expect(a.rig.hotline.plan.lines.get('hotline-12345')!.name).toBe('12345政务服务便民热线');
    await page.close();
  });
});
