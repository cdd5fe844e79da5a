import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ScreenPopSources } from '../../src/api/screen-pop.ts';
import type { AdminRig } from '../admin/admin-rig.ts';
import { launchChromium, shots, until } from '../support/chromium.ts';
import { expectNoCall, loginReady, openToolbar as openPage } from './toolbar-page.ts';

/**
 * The agent toolbar in headless Chromium against the engine on the simulator (stepped virtual
 * time: the engine moves only when a test drives it; the page's own timers run in the browser).
 */
const TAX = 'PJSIP/12366@sc-tax';

let a: AdminRig | undefined;
let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
}, 60_000);

afterEach(async () => {
  await a?.close();
  a = undefined;
});

afterAll(async () => {
  await browser?.close();
});

/** The toolbar opened on a fresh engine (closed after each test). */
async function openToolbar(screenPop?: ScreenPopSources) {
  const opened = await openPage(browser, screenPop);
  a = opened.a;
  return opened;
}

describe('the agent toolbar', () => {
  it('logs in not-ready (登录) and offers only the center’s not-ready reasons', async () => {
    const { page, errors } = await openToolbar();
    await until(() => page.$$eval('#reason option', (os) => os.map((o) => o.textContent))).toEqual([
      '小休',
      '用餐',
      '培训',
      '会议',
      '事后处理',
    ]);
    await page.click('#login');
    await until(() => page.textContent('#state')).toBe('未就绪');
    expect(await page.textContent('#state-reason')).toBe('（登录）');
    expect(await a!.rig.hotline.store.getAgent('a1001')).toMatchObject({
      status: { state: 'not-ready', notReadyReason: '登录' },
    });
    await page.selectOption('#reason', '用餐');
    await page.click('#not-ready');
    await until(() => page.textContent('#state-reason')).toBe('（用餐）');
    await page.click('#ready');
    await until(() => page.textContent('#state')).toBe('就绪');
    expect(await page.textContent('#state-reason')).toBe('');
    await expectNoCall(page);
    expect(errors).toEqual([]);
    await page.close();
  }, 90_000);

  it('keeps the agent on a three-way call until the target answers, then clears the panel when it leaves (screenshot)', async () => {
    const { a, page, errors } = await openToolbar();
    await loginReady(page);
    const { channelId } = a.rig.sim.injectCall({
      app: 'hotline',
      dialed: '12345',
      callerNumber: '13800138000',
    });
    const call = () => a.rig.hotline.engine.call(channelId);
    await a.rig.runUntil('the call talking to a1001', () => call()?.stage === 'talking');
    await until(() => page.textContent('#call-stage')).toBe('通话中');
    expect(await page.isVisible('#call')).toBe(true);
    expect(await page.isVisible('#no-call')).toBe(false);
    expect(await page.textContent('#call-caller')).toBe('138******00');

    // The sub-center rings for 5 s of engine time: nothing moves until the test advances it.
    a.rig.sim.setEndpoint(TAX, { behaviour: 'answer', answerAfterMs: 5000, online: true });
    await page.selectOption('#target', 'subcenter:tax');
    await page.click('#three-way');
    await until(() => call()?.transfer !== undefined).toBe(true);
    await until(() => page.textContent('#call-transfer')).toMatch(/^分中心 · .+（三方转接，呼叫中）$/);
    await until(() => page.isDisabled('#leave')).toBe(true);
    expect(await page.isVisible('#leave-hint')).toBe(true);
    expect(await page.textContent('#leave-hint')).toBe('转接目标应答后才能离开通话');
    await page.fill('#ticket-reason', '个税汇算退税进度查询');
    await page.screenshot({ path: join(shots, 'toolbar-on-call.png'), fullPage: true });
    expect(existsSync(join(shots, 'toolbar-on-call.png'))).toBe(true);

    await a.rig.runUntil('the sub-center answering', () => call()?.transfer?.answeredAt !== undefined);
    await until(() => page.textContent('#call-transfer')).toMatch(/（三方转接，已应答）$/);
    await until(() => page.isEnabled('#leave')).toBe(true);
    expect(await page.isVisible('#leave-hint')).toBe(false);
    await page.click('#leave');
    await until(() => page.textContent('#status')).toBe('已离开通话');
    await a.rig.runUntil('the caller with the sub-center', () => call()?.stage === 'transferred');
    // The call goes on without the agent: the panel shows no call, only 暂无通话.
    await expectNoCall(page);
    await until(() => page.textContent('#state')).toBe('话后处理');
    await page.click('#end-wrap-up');
    await until(() => page.textContent('#state')).toBe('就绪');
    await page.click('#logout');
    await until(() => page.textContent('#state')).toBe('未登录');
    await expectNoCall(page);
    a.rig.sim.hangup(channelId);
    expect(errors).toEqual([]);
    await page.close();
  }, 90_000);

  it('dispatches a work order (派发工单) for the call, and shows no call once the caller hung up and after logout', async () => {
    const { a, page, errors } = await openToolbar();
    await loginReady(page);
    const { channelId } = a.rig.sim.injectCall({
      app: 'hotline',
      dialed: '12345',
      callerNumber: '13800138000',
    });
    const call = () => a.rig.hotline.engine.call(channelId);
    await a.rig.runUntil('the call talking to a1001', () => call()?.stage === 'talking');
    await until(() => page.isEnabled('#dispatch')).toBe(true);
    await page.click('#dispatch');
    await until(() => page.textContent('#status')).toBe('请先填写工单的诉求摘要');
    expect(call()?.transfers ?? []).toEqual([]);

    await page.selectOption('#ticket-target', 'subcenter:tax');
    await page.fill('#ticket-reason', '小区供暖不热，需住建部门上门查看');
    await page.click('#dispatch');
    await until(() => page.textContent('#status')).toMatch(/^已派发工单 \S+ → 分中心 · /);
    await until(() => page.textContent('#log')).toContain('已派发工单');
    expect(await page.inputValue('#ticket-reason')).toBe('');
    expect(call()?.transfers).toMatchObject([
      {
        mode: 'ticket',
        target: { kind: 'subcenter', id: 'tax' },
        reason: '小区供暖不热，需住建部门上门查看',
      },
    ]);

    a.rig.sim.hangup(channelId);
    await a.rig.runUntil('the record', () => a.rig.records.records.some((r) => r.callId === channelId));
    await until(() => page.textContent('#log')).toContain('通话结束');
    await expectNoCall(page);
    await until(() => page.isDisabled('#dispatch')).toBe(true);
    await until(() => page.textContent('#state')).toBe('话后处理');
    await page.click('#logout');
    await until(() => page.textContent('#state')).toBe('未登录');
    await expectNoCall(page);
    const record = a.rig.records.records.find((r) => r.callId === channelId)!;
    expect(record.transfers).toMatchObject([{ mode: 'ticket', target: { kind: 'subcenter', id: 'tax' } }]);
    expect(errors).toEqual([]);
    await page.close();
  }, 90_000);
});
