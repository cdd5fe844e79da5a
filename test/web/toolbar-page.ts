import type { Browser, Page } from 'playwright-core';
import { expect } from 'vitest';
import type { ScreenPopSources } from '../../src/api/screen-pop.ts';
import { type AdminRig, startAdminRig } from '../admin/admin-rig.ts';
import { listenOnLoopback, until } from '../support/chromium.ts';

/** The agent toolbar page as its browser tests drive it (agent-toolbar and agent-desk). */

/** A fresh engine and API; a1001's toolbar open, its phone answering, the agent logged out. */
export async function openToolbar(
  browser: Browser,
  screenPop?: ScreenPopSources,
): Promise<{ a: AdminRig; page: Page; errors: string[] }> {
  const a = await startAdminRig({ promptMs: 1000, ...(screenPop ? { screenPop } : {}) });
  const base = await listenOnLoopback(a.api);
  a.rig.sim.setEndpoint('PJSIP/agent1001', { behaviour: 'answer', answerAfterMs: 500, online: true });
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${base}/web/agent.html#token=${a.tokens.a1001}`);
  await until(() => page.textContent('#who')).toBe('坐席 a1001');
  await until(() => page.textContent('#stream')).toBe('事件流已连接');
  return { a, page, errors };
}

/** Logs in from the page (not-ready 登录) and presses 就绪. */
export async function loginReady(page: Page): Promise<void> {
  await until(() => page.isEnabled('#login')).toBe(true);
  await page.click('#login');
  await until(() => page.textContent('#state')).toBe('未就绪');
  await page.click('#ready');
  await until(() => page.textContent('#state')).toBe('就绪');
}

/** The panel shows no call: 暂无通话 visible, the call's details hidden and empty. */
export async function expectNoCall(page: Page): Promise<void> {
  await until(() => page.isVisible('#no-call')).toBe(true);
  await until(() => page.isVisible('#call')).toBe(false);
  expect(await page.textContent('#call-transfer')).toBe('');
  expect(await page.textContent('#call-stage')).toBe('');
}
