import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AdminRig, startAdminRig } from '../admin/admin-rig.ts';
import { launchChromium, listenOnLoopback, shots, until } from '../support/chromium.ts';

let a: AdminRig;
let browser: Browser;
let base: string;

async function open(who: 'admin' | 'supervisor'): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  // A refused inline style or script (the pages' CSP) shows as a console error.
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  await page.goto(`${base}/web/rules.html#token=${a.tokens[who]}`);
  await until(() => page.textContent('#live')).toContain(`线上版本 v${a.rules.version.version}`);
  return { page, errors };
}

/** A small synthetic day: a few hundred calls replay in well under a second. */
async function chooseSmallDay(page: Page): Promise<void> {
  await page.selectOption('#whatif-traffic', 'profile');
  await page.fill('#whatif-date', '2026-11-02');
  await page.fill('#whatif-calls', '300');
}

/** The cells of a side-by-side row: [live, draft] of the figure `key`. */
const pair = (page: Page, table: string, id: string, key: string) =>
  page
    .locator(`${table} tr[data-id="${id}"] td[data-key="${key}"]`)
    .evaluateAll((cells) =>
      cells.map((c) => ({ text: c.textContent?.trim(), mark: c.getAttribute('data-mark') ?? undefined })),
    );

beforeAll(async () => {
  a = await startAdminRig();
  base = await listenOnLoopback(a.api);
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await a?.close();
});

describe('the 试算 button of the rules page', () => {
  it('replays a day through the live rules and the draft and shows both side by side, with charts', async () => {
    const { page, errors } = await open('admin');
    expect(await page.isVisible('#whatif-result')).toBe(false);
    await page.click('[data-file="targets.yaml"]');
    const text = await page.inputValue('#editor');
    expect(text).toContain('wrapUpSeconds: 15');
    await page.fill('#editor', text.replace('wrapUpSeconds: 15', 'wrapUpSeconds: 600'));
    await chooseSmallDay(page);
    const sent = page.waitForRequest((r) => new URL(r.url()).pathname === '/rules/whatif');
    await page.click('#whatif');
    const body = (await sent).postDataJSON();
    expect(body).toMatchObject({ traffic: 'profile', date: '2026-11-02', calls: 300 });
    expect(body.files['targets.yaml']).toContain('wrapUpSeconds: 600');

    await until(() => page.isVisible('#whatif-result')).toBe(true);
    expect(await page.textContent('#status')).toContain('试算完成');
    expect(await page.isVisible('#whatif-progress')).toBe(false);
    expect(await page.textContent('#whatif-summary')).toContain('回放 2026-11-02 一天的 300 通来电');
    // Both columns, for every figure of the pools table.
    const heads = await page.locator('#whatif-pools thead tr').nth(1).locator('th').allTextContents();
    expect(heads.length).toBeGreaterThan(0);
    expect(heads.filter((h) => h === '现行规则')).toHaveLength(heads.length / 2);
    expect(heads.filter((h) => h === '草案')).toHaveLength(heads.length / 2);
    expect(await page.locator('#whatif-pools thead th.group').allTextContents()).toEqual([
      '呼入量',
      '15秒服务水平',
      '平均应答时长',
      '放弃率',
      '占用率',
      '溢出',
      '超时转工单',
    ]);
    // Ten minutes of wrap-up: the general pool's service level is worse under the draft, its abandonment too.
    const sl = await pair(page, '#whatif-pools', 'pool:general', 'serviceLevel');
    expect(sl).toHaveLength(2);
    expect(sl[1]!.mark).toBe('worse');
    expect(sl[0]!.text).not.toBe(sl[1]!.text);
    expect((await pair(page, '#whatif-pools', 'pool:general', 'abandonRate'))[1]!.mark).toBe('worse');
    expect((await pair(page, '#whatif-totals', 'totals', 'serviceLevel'))[1]!.mark).toBe('worse');
    // Per line: time to a person; per target: calls.
    expect(await page.locator('#whatif-lines thead th.group').allTextContents()).toContain(
      '人工接通时长（平均）',
    );
    expect(await page.locator('#whatif-lines tr[data-id="hotline-12345"]').count()).toBe(1);
    expect(await page.textContent('#whatif-targets tr[data-id="pool:general"]')).toContain(
      '12345综合受理座席',
    );
    expect(await page.textContent('#whatif-targets tr[data-id="subcenter:customs"]')).toContain(
      '成都海关12360分中心',
    );
    // The two charts, side by side, with a bar pair per queue that had calls.
    for (const chart of ['#whatif-sl-chart', '#whatif-abandon-chart']) {
      await until(() => page.locator(`${chart} canvas`).count()).toBeGreaterThan(0);
      expect(Number(await page.getAttribute(chart, 'data-bars'))).toBeGreaterThan(0);
    }
    const [left, right] = await Promise.all(
      ['#whatif-sl-chart', '#whatif-abandon-chart'].map((c) => page.locator(c).boundingBox()),
    );
    expect(right!.x).toBeGreaterThan(left!.x + left!.width - 1);
    expect(Math.abs(right!.y - left!.y)).toBeLessThan(2);
    await page.locator('#whatif-result').screenshot({ path: join(shots, 'rules-whatif.png') });
    expect(errors).toEqual([]);
    await page.close();
  }, 90_000);

  it('is offered to supervisors too, on the live rules', async () => {
    const { page, errors } = await open('supervisor');
    expect(await page.isDisabled('#whatif')).toBe(false);
    await chooseSmallDay(page);
    await page.click('#whatif');
    await until(() => page.isVisible('#whatif-result')).toBe(true);
    // Unchanged rules: no figure of the draft is marked.
    expect(await page.locator('#whatif-result td[data-mark]').count()).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  }, 90_000);

  it('marks the files of a draft with a mistake instead of showing a result', async () => {
    const { page, errors } = await open('admin');
    await page.click('[data-file="targets.yaml"]');
    const text = await page.inputValue('#editor');
    await page.fill('#editor', text.replace('wrapUpSeconds: 15', 'wrapUpSeconds: soon'));
    await chooseSmallDay(page);
    await page.click('#whatif');
    await until(() => page.textContent('#status')).toMatch(/草案有 \d+ 个问题，无法试算/);
    expect(await page.textContent('[data-file="targets.yaml"]')).toMatch(/个问题/);
    expect(await page.textContent('#file-problems')).toContain('pools[0].queue.wrapUpSeconds');
    expect(await page.isVisible('#whatif-result')).toBe(false);
    // The 422 of the refused draft is the only console error.
    expect(errors.filter((e) => !/422/.test(e))).toEqual([]);
    await page.close();
  }, 90_000);
});
