import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueToken } from '../../src/admin/tokens.ts';
import { type AdminRig, startAdminRig } from '../admin/admin-rig.ts';
import { launchChromium, listenOnLoopback, shots, until } from '../support/chromium.ts';

let a: AdminRig;
let browser: Browser;
let base: string;

/** The API requests a page sends (its HTML, scripts, styles and icon left out), by path. */
function apiRequests(page: Page): string[] {
  const paths: string[] = [];
  page.on('request', (r) => {
    const path = new URL(r.url()).pathname;
    if (!path.startsWith('/web/') && path !== '/favicon.ico') paths.push(path);
  });
  return paths;
}

/**
 * Runs the page's timers `ms` ahead (its clock is Playwright's fake one), then makes one more
 * request and waits until it is seen: any request those timers sent was seen before it.
 */
async function runTimers(page: Page, ms: number): Promise<void> {
  await page.clock.runFor(ms);
  const seen = page.waitForRequest((r) => new URL(r.url()).pathname === '/web/style.css');
  await page.evaluate(() => fetch('/web/style.css').then((r) => r.status));
  await seen;
}

/** A token the service does not know: one from an earlier run (same id, another secret). */
const staleToken = (id: string, role: 'admin' | 'supervisor' | 'agent', agentId?: string) =>
  issueToken(id, role, agentId).token;

beforeAll(async () => {
  // Stepped virtual time: the engine's timers (prompts, ringing, wrap-up) move only when a test
  // drives them, once the system is quiescent; the pages' own timers run in the browser.
  a = await startAdminRig({ promptMs: 1000 });
  base = await listenOnLoopback(a.api);
  browser = await launchChromium();
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
    await until(() => page.textContent('#who')).toBe('坐席 a1001');
    // The token left the address bar (kept in sessionStorage only).
    expect(page.url()).not.toContain('token=');

    a.rig.sim.setEndpoint('PJSIP/agent1001', { behaviour: 'answer', answerAfterMs: 500, online: true });
    await until(() =>
      page.$$eval('#endpoint option', (os) => os.map((o) => o.getAttribute('value'))),
    ).toEqual(['PJSIP/agent1001']);
    await page.selectOption('#endpoint', 'PJSIP/agent1001');
    await page.click('#login');
    await until(() => page.textContent('#state')).toBe('未就绪');
    await page.click('#ready');
    await until(() => page.textContent('#state')).toBe('就绪');
    await page.click('#not-ready');
    await until(() => page.textContent('#state')).toBe('未就绪');
    await page.click('#ready');
    await until(() => page.textContent('#state')).toBe('就绪');
    await until(() => page.textContent('#stream')).toBe('事件流已连接');

    const { channelId } = a.rig.sim.injectCall({
      app: 'hotline',
      dialed: '12345',
      callerNumber: '13800138000',
    });
    const call = () => a.rig.hotline.engine.call(channelId);
    await a.rig.runUntil('the call talking to a1001', () => call()?.stage === 'talking');
    await until(() => page.textContent('#call-stage')).toBe('通话中');
    expect(await page.textContent('#call-caller')).toBe('138******00');
    expect(await page.textContent('#call-line')).toBe('12345政务服务便民热线（12345）');
    expect(await page.textContent('#call-topic')).toBe('综合'); // 诉求类别 in Chinese, not the id 'general'

    a.rig.sim.setEndpoint('PJSIP/12366@sc-tax', { behaviour: 'answer', answerAfterMs: 1000, online: true });
    await page.selectOption('#target', 'subcenter:tax');
    await page.click('#three-way');
    await until(() => call()?.transfer !== undefined).toBe(true); // the page's request has arrived
    await a.rig.runUntil('the sub-center answering', () => call()?.transfer?.answeredAt !== undefined);
    await until(() => page.textContent('#log')).toContain('转接目标已应答');
    await until(() => page.isEnabled('#leave')).toBe(true);
    await page.click('#leave');
    await until(() => page.textContent('#status')).toBe('已离开通话');
    await a.rig.runUntil('the caller with the sub-center', () => call()?.stage === 'transferred');
    expect(call()!.target).toMatchObject({ kind: 'subcenter', id: 'tax' });
    // Time stands still: the agent is in wrap-up until the button ends it.
    await until(() => page.textContent('#state')).toBe('话后处理');
    await page.click('#end-wrap-up');
    await until(() => page.textContent('#state')).toBe('就绪');
    a.rig.sim.hangup(channelId);
    await a.rig.runUntil('the record', () => a.rig.records.records.some((r) => r.callId === channelId));
    expect(errors).toEqual([]);
    await page.close();
  }, 90_000);

  it("shows the wallboard with the day's figures, queues and agents (screenshot in test-results/)", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${base}/web/wallboard.html#token=${a.tokens.supervisor}`);
    await until(() => page.locator('[data-kpi]').count()).toBe(7);
    await until(() => page.textContent('[data-kpi="接通率"] .value')).toBe('100.0%');
    // The 15-second service level, measured from queue entry and from the call's arrival.
    expect(await page.locator('[data-kpi="15秒接通率（入队起算）"]').count()).toBe(1);
    expect(await page.locator('[data-kpi="15秒接通率（来电起算）"]').count()).toBe(1);
    await until(() => page.locator('#agents [data-agent="a1001"]').count()).toBe(1);
    expect(await page.locator('#queues [data-queue="pool:general"]').count()).toBe(1);
    await page.screenshot({ path: join(shots, 'wallboard.png'), fullPage: true });
    expect(existsSync(join(shots, 'wallboard.png'))).toBe(true);
    await page.close();
  }, 60_000);

  it('shows rule problems at their file and publishes nothing until they are fixed', async () => {
    const page = await browser.newPage();
    await page.goto(`${base}/web/rules.html#token=${a.tokens.admin}`);
    await until(() => page.textContent('#live')).toContain('线上版本 v1');
    await page.click('[data-file="lines.yaml"]');
    const text = await page.inputValue('#editor');
    await page.fill('#editor', text.replace('goto: "pool:general"', 'goto: "pool:nowhere"'));
    await page.click('#publish');
    await until(() => page.textContent('[data-file="lines.yaml"]')).toBe('lines.yaml（1个问题）');
    expect(await page.textContent('#file-problems')).toContain('lines[0].route.goto');
    expect(a.rules.version.version).toBe(1);
    await page.fill('#editor', text.replace('name: 12345政务服务便民热线', 'name: 12345热线'));
    await page.fill('#message', '改名');
    await page.click('#publish');
    await page.click('#confirm-ok'); // after the preview of what changes (test/web/rules-publish.test.ts)
    await until(() => page.textContent('#live')).toContain('线上版本 v2');
    expect(a.rig.hotline.plan.lines.get('hotline-12345')!.name).toBe('12345热线');
    await page.click('[data-version="1"] button');
    await page.click('#confirm-ok');
    await until(() => page.textContent('#live')).toContain('线上版本 v3');
    expect(a.rig.hotline.plan.lines.get('hotline-12345')!.name).toBe('12345政务服务便民热线');
    await page.close();
  }, 60_000);

  it('shows, for an explained call, what the caller hears, the time before a person and what each decision rests on', async () => {
    const page = await browser.newPage();
    await page.goto(`${base}/web/rules.html#token=${a.tokens.admin}`);
    await until(() => page.textContent('#live')).toContain('线上版本');
    await page.fill('#x-number', '12345');
    await page.click('#explain');
    await until(() => page.textContent('#time-to-target')).toMatch(/^接通前提示音与菜单等待：\d+\.\d 秒/);
    expect(await page.textContent('#spoken-text')).toMatch(/^来电听到：您好，欢迎致电12345/);
    expect(await page.isVisible('#provenance')).toBe(true);
    const rows = await page.locator('#provenance tbody tr').allTextContents();
    expect(rows.some((r) => r.startsWith('去向') && r.includes('pool:general'))).toBe(true);
    expect(rows.every((r) => /文件|本地设置|规则未标注来源/.test(r))).toBe(true);
    await page.close();
  }, 60_000);

  it('explains a merged number at the time typed: the transition prompt in the transition, the notice once it is cancelled', async () => {
    const page = await browser.newPage();
    await page.goto(`${base}/web/rules.html#token=${a.tokens.admin}`);
    await until(() => page.textContent('#live')).toContain('线上版本');
    await page.fill('#x-number', '12396');
    await page.fill('#x-at', '2021-07-15T10:00');
    await page.click('#explain');
    await until(() => page.textContent('#spoken-text')).toContain('热线已并入12345热线，本号码将于');
    expect(await page.textContent('#explanation')).toContain('"kind": "transition"');

    await page.fill('#x-at', '2021-10-08T10:00');
    await page.click('#explain');
    await until(() => page.textContent('#explanation')).toContain('"kind": "deregistered"');
    expect(await page.textContent('#spoken-text')).not.toContain('本号码将于');
    await page.close();
  }, 60_000);

  it('refreshes the wallboard every 2 s while its token is good', async () => {
    // The control for the next case: the same count, on the page's fake clock, sees the polling.
    const page = await browser.newPage();
    await page.clock.install();
    const sent = apiRequests(page);
    await page.goto(`${base}/web/wallboard.html#token=${a.tokens.supervisor}`);
    await until(() => page.locator('[data-kpi]').count()).toBe(7);
    expect(sent).toEqual(['/stats']);
    await page.clock.runFor(2_000);
    await until(() => sent.length).toBe(2);
    await page.clock.runFor(2_000);
    await until(() => sent.length).toBe(3);
    expect(sent.every((p) => p === '/stats')).toBe(true);
    await page.close();
  }, 60_000);

  it('stops the wallboard after a 401 for a token of an earlier run, and says why and what to do', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.clock.install();
    const sent = apiRequests(page);
    await page.goto(`${base}/web/wallboard.html#token=${staleToken('duty-supervisor', 'supervisor')}`);
    await until(() => page.textContent('#status')).toContain('令牌无效');
    const message = (await page.textContent('#status')) ?? '';
    expect(message).toContain('已停止自动刷新');
    expect(message).toContain('上一次运行');
    expect(message).toContain('#token=');
    expect(await page.getAttribute('#status', 'class')).toBe('status error');
    expect(await page.textContent('#updated')).toBe('已停止刷新');
    expect(sent).toEqual(['/stats']);
    // A minute of the page's timers (thirty refreshes, had it kept polling): nothing more is sent.
    await runTimers(page, 60_000);
    expect(sent).toEqual(['/stats']);
    expect(await page.textContent('#status')).toBe(message);
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  it('sends nothing from a page opened without its token, and says how to open it', async () => {
    const page = await browser.newPage();
    await page.clock.install();
    const sent = apiRequests(page);
    await page.goto(`${base}/web/wallboard.html`);
    await until(() => page.textContent('#status')).toContain('本页没有令牌');
    await runTimers(page, 60_000);
    expect(sent).toEqual([]);
    await page.close();
  }, 60_000);

  it('stops the agent toolbar after a 401, and its buttons show why instead of doing nothing', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.clock.install();
    const sent = apiRequests(page);
    await page.goto(`${base}/web/agent.html#token=${staleToken('a1001', 'agent', 'a1001')}`);
    await until(() => page.textContent('#status')).toContain('令牌无效');
    expect(await page.textContent('#stream')).toBe('事件流已停止');
    expect(sent).toEqual(['/me']);
    for (const button of ['#login', '#ready', '#not-ready', '#logout', '#three-way', '#leave']) {
      await page.evaluate("document.querySelector('#status').textContent = ''");
      await page.click(button);
      await until(() => page.textContent('#status'), 5_000).toContain('令牌无效');
    }
    await runTimers(page, 60_000);
    expect(sent).toEqual(['/me']); // the buttons sent nothing with the token known bad
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  it('serves the icon the browser asks for, with no token', async () => {
    const res = await fetch(`${base}/favicon.ico`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/x-icon');
    const page = await browser.newPage();
    await page.goto(`${base}/favicon.ico`);
    // Chromium decodes it as an image: the 32×32 entry of the icon.
    const size = (await page.evaluate(
      "(async () => { const i = new Image(); i.src = '/favicon.ico'; await i.decode(); return [i.naturalWidth, i.naturalHeight]; })()",
    )) as [number, number];
    expect(size[0]).toBeGreaterThanOrEqual(16);
    expect(size[0]).toBe(size[1]);
    await page.close();
  }, 60_000);
});
