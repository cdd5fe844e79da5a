import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RosterEntry } from '../../src/roster.ts';
import { type AdminRig, startAdminRig } from '../admin/admin-rig.ts';
import { launchChromium, listenOnLoopback, shots, until } from '../support/chromium.ts';
import { readyAgents } from '../support/engine-harness.ts';

// Six agents of the 12345 pool; none has the housing skill (12319's calls prefer it).
const roster: RosterEntry[] = ['王敏', '李强', '张伟', '刘洋', '陈静', '杨帆'].map((name, i) => ({
  id: `a${1001 + i}`,
  name,
  endpoint: `PJSIP/agent${1001 + i}`,
  pools: ['general'],
  skills: { general: 5 },
}));

let a: AdminRig;
let browser: Browser;
let base: string;

const number = async (page: Page, selector: string) => Number(await page.textContent(selector));

beforeAll(async () => {
  a = await startAdminRig({ roster, promptMs: 1000 });
  base = await listenOnLoopback(a.api);
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await a?.close();
});

describe('the wallboard on a 1920×1080 wall screen', () => {
  it('shows figures that reconcile, says why a call waits beside ready agents, in Chinese, with the day’s trend chart (screenshot in test-results/)', async () => {
    const { rig } = a;
    await readyAgents(
      rig,
      roster.slice(0, 4).map((r) => ({ id: r.id, endpoint: r.endpoint!, answerAfterMs: 500 })),
    );
    await rig.hotline.store.login('a1005', 'PJSIP/agent1005');
    await rig.hotline.store.notReady('a1005', '培训');
    // Two calls to 12345, answered; one to 12319 (住房和城乡建设), waiting for an agent with that skill.
    const talking = ['13800000001', '13800000002'].map(
      (caller) => rig.sim.injectCall({ app: 'hotline', dialed: '12345', callerNumber: caller }).channelId,
    );
    const stage = (id: string) => rig.hotline.engine.call(id)?.stage;
    await rig.runUntil('two talking', () => talking.every((id) => stage(id) === 'talking'));
    const { channelId: housing } = rig.sim.injectCall({
      app: 'hotline',
      dialed: '12319',
      callerNumber: '13800000003',
    });
    await rig.runUntil('the 12319 call queued', () => stage(housing) === 'queued');
    await rig.advance(3_000);
    expect(stage(housing)).toBe('queued');

    const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await page.goto(`${base}/web/wallboard.html#token=${a.tokens.supervisor}`);
    await until(() => page.locator('#agents [data-agent]').count()).toBe(6);

    // Talking: one figure everywhere — the agents' totals, 当前通话, the agent tiles, the queue's 通话.
    await until(() => number(page, '[data-total="on-call"] b')).toBe(2);
    expect(await page.locator('#agents [data-state="on-call"]').count()).toBe(2);
    expect(await page.textContent('[data-kpi="当前通话"] .target')).toContain('坐席通话 2');
    expect(await page.textContent('[data-kpi="当前通话"] .value')).toBe('3');
    const generalRow = page.locator('#queues [data-queue="pool:general"] td');
    expect(await generalRow.nth(5).textContent()).toBe('2');

    // Waiting beside ready agents, with the reason: the skill (by its Chinese name) and when it widens.
    expect(await generalRow.nth(1).textContent()).toBe('1');
    expect(Number(await generalRow.nth(4).textContent())).toBe(2);
    expect(await number(page, '[data-total="ready"] b')).toBe(2);
    const note = (await page.textContent('#queues [data-queue="pool:general"] [data-note="skill"]')) ?? '';
    expect(note).toContain('1通等待具备「住房城乡建设厅」技能的坐席');
    expect(note).toMatch(/\d+秒后放宽到本队列全部坐席/);

    // The day: 呼入 ≥ 转人工 ≥ 接通, and the agents' 今日接听 add up to the day's agent answers.
    expect(await page.textContent('[data-kpi="今日呼入"] .value')).toBe('3');
    expect(await page.textContent('[data-kpi="今日呼入"] .target')).toContain(
      '转人工 3 · 接通 2 · 坐席接听 2',
    );
    const answered = await page.$$eval('#agents [data-answered]', (xs) =>
      xs.reduce((n, x) => n + Number(x.getAttribute('data-answered')), 0),
    );
    expect(answered).toBe(2);
    expect(await number(page, '[data-total="answered-today"] b')).toBe(2);
    expect(await page.textContent('#lines')).toContain('全国住房和城乡建设服务电话');

    // No English ids in what the page says (they stay in attributes).
    const text = (await page.evaluate('document.body.innerText')) as string;
    for (const id of [
      'housing',
      'general',
      'pool:',
      'l12319',
      'hotline-12345',
      'on-call',
      'undefined',
      'null',
    ])
      expect(text).not.toContain(id);

    // The trend chart: echarts drew the day's quarter hours on a canvas.
    await until(() => page.locator('#trend canvas').count()).toBeGreaterThan(0);
    expect(Number(await page.getAttribute('#trend', 'data-slots'))).toBeGreaterThan(0);

    // One screen: nothing scrolls on the wall.
    const size = (await page.evaluate(
      '[document.documentElement.scrollWidth, document.documentElement.scrollHeight]',
    )) as [number, number];
    expect(size[0]).toBeLessThanOrEqual(1920);
    expect(size[1]).toBeLessThanOrEqual(1080);
    await page.screenshot({ path: join(shots, 'wallboard-1920.png') });
    expect(existsSync(join(shots, 'wallboard-1920.png'))).toBe(true);

    // The call widens past its skill and rings an agent who does not answer: the reason the
    // engine sets (RONA) is said in Chinese too.
    for (const id of ['a1003', 'a1004'])
      rig.sim.setEndpoint(`PJSIP/agent${id.slice(1)}`, { behaviour: 'no-answer', online: true });
    await rig.runUntil('an agent not ready after ringing unanswered', async () =>
      (await rig.hotline.store.snapshot()).agents.some((x) => x.status.notReadyReason === 'rona'),
    );
    await until(() => page.locator('#agents [data-state="not-ready"] .reason').allTextContents()).toContain(
      ' 振铃未接',
    );
    expect((await page.evaluate('document.body.innerText')) as string).not.toContain('rona');
    expect(errors).toEqual([]);
    await page.close();
    for (const id of [...talking, housing]) rig.sim.hangup(id);
  }, 90_000);
});
