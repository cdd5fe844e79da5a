import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AdminRig, startAdminRig } from '../admin/admin-rig.ts';
import { launchChromium, listenOnLoopback, shots, until } from '../support/chromium.ts';

let a: AdminRig;
let browser: Browser;
let base: string;

/** The API requests a page sends (method and path; its HTML, scripts and styles left out). */
function apiRequests(page: Page): string[] {
  const seen: string[] = [];
  page.on('request', (r) => {
    const path = new URL(r.url()).pathname;
    if (!path.startsWith('/web/') && path !== '/favicon.ico') seen.push(`${r.method()} ${path}`);
  });
  return seen;
}

const changes = (seen: string[]) =>
  seen.filter((r) => r === 'POST /rules/publish' || /^POST \/rules\/versions\/\d+\/rollback$/.test(r));

/** The rows of the confirmation's diff: `place | before | after`, by section. */
const diffRows = (page: Page, section: string) =>
  page
    .locator(`#confirm-diff [data-section="${section}"] tbody tr`)
    .evaluateAll((rows) =>
      rows.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent?.trim()).join(' | ')),
    );

async function openAsAdmin(): Promise<{ page: Page; seen: string[]; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const seen = apiRequests(page);
  await page.goto(`${base}/web/rules.html#token=${a.tokens.admin}`);
  await until(() => page.textContent('#live')).toContain(`线上版本 v${a.rules.version.version}`);
  return { page, seen, errors };
}

async function edit(page: Page, file: string, from: string, to: string): Promise<void> {
  await page.click(`[data-file="${file}"]`);
  const text = await page.inputValue('#editor');
  expect(text).toContain(from);
  await page.fill('#editor', text.replace(from, to));
}

beforeAll(async () => {
  a = await startAdminRig({ promptMs: 1000 });
  base = await listenOnLoopback(a.api);
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await a?.close();
});

describe('publishing and rolling back rules on the rules page', () => {
  it('shows what a publication changes, in Chinese, and publishes only when confirmed', async () => {
    const { page, seen, errors } = await openAsAdmin();
    await edit(page, 'lines.yaml', 'name: 12345政务服务便民热线', 'name: 12345热线');
    await edit(
      page,
      'groups.yaml',
      'route: { prompts: [transition-whole-merge], goto: "pool:general" }',
      'route: { prompts: [], goto: "pool:general" }',
    );
    await page.click('#publish');
    await until(() => page.isVisible('#confirm')).toBe(true);
    expect(await page.textContent('#confirm-title')).toBe('确认发布为新版本');
    expect(await page.textContent('#confirm-summary')).toBe('与线上版本 v1 相比，草稿：修改 2 项');
    expect(await page.textContent('#confirm-diff [data-section="lines"] h3')).toBe('热线号码（1）');
    expect(await diffRows(page, 'lines')).toEqual(['名称 | 12345政务服务便民热线 | 12345热线']);
    expect(await page.textContent('#confirm-diff [data-section="groups"] h3')).toBe('号码分组与阶段（1）');
    expect(await diffRows(page, 'groups')).toEqual([
      '阶段 › transition › 去向设置 › 提示音 | [transition-whole-merge] | []',
    ]);
    expect(await page.textContent('#confirm-diff [data-id="national-whole-merge"]')).toContain(
      '分组内号码：12396、12300',
    );
    expect(await page.textContent('#confirm-files')).toContain('lines.yaml 修改 +1/-1');
    await page.screenshot({ path: join(shots, 'rules-publish-confirm.png') });

    // Cancelled: nothing is sent, the live rules stay.
    await page.click('#confirm-cancel');
    await until(() => page.isVisible('#confirm')).toBe(false);
    await until(() => page.textContent('#status')).toBe('已取消发布，线上规则没有改动');
    // Esc cancels too.
    await page.click('#publish');
    await until(() => page.isVisible('#confirm')).toBe(true);
    await page.keyboard.press('Escape');
    await until(() => page.isVisible('#confirm')).toBe(false);
    expect(seen.filter((r) => r === 'POST /rules/publish/preview')).toHaveLength(2);
    expect(changes(seen)).toEqual([]);
    expect(a.rules.version.version).toBe(1);
    expect(a.audit.entries.filter((e) => e.action === 'publish')).toEqual([]);

    // Confirmed: published against the version the preview was made against.
    await page.fill('#message', '12345 改名');
    await page.click('#publish');
    await until(() => page.isVisible('#confirm')).toBe(true);
    const sent = page.waitForRequest((r) => new URL(r.url()).pathname === '/rules/publish');
    await page.click('#confirm-ok');
    expect((await sent).postDataJSON()).toMatchObject({ baseVersion: 1, message: '12345 改名' });
    await until(() => page.textContent('#live')).toContain('线上版本 v2');
    expect(a.rig.hotline.plan.lines.get('hotline-12345')!.name).toBe('12345热线');
    expect(changes(seen)).toEqual(['POST /rules/publish']);
    expect(errors).toEqual([]);
    await page.close();
  }, 90_000);

  it('shows what a rollback changes against the live version, and rolls back only when confirmed', async () => {
    const { page, seen, errors } = await openAsAdmin();
    const live = a.rules.version.version;
    await page.click('[data-version="1"] button');
    await until(() => page.isVisible('#confirm')).toBe(true);
    expect(await page.textContent('#confirm-title')).toBe('确认回滚到 v1');
    expect(await page.textContent('#confirm-summary')).toBe(`与线上版本 v${live} 相比，v1：修改 2 项`);
    expect(await diffRows(page, 'lines')).toEqual(['名称 | 12345热线 | 12345政务服务便民热线']);
    expect(await page.locator('#confirm-diff [data-section="lines"] thead th').allTextContents()).toEqual([
      '项目',
      `线上 v${live}`,
      'v1',
    ]);
    await page.click('#confirm-cancel');
    await until(() => page.textContent('#status')).toBe('已取消回滚，线上规则没有改动');
    expect(seen).toContain('GET /rules/versions/1/rollback/preview');
    expect(changes(seen)).toEqual([]);
    expect(a.rules.version.version).toBe(live);

    await page.click('[data-version="1"] button');
    await until(() => page.isVisible('#confirm')).toBe(true);
    await page.click('#confirm-ok');
    await until(() => page.textContent('#live')).toContain(`线上版本 v${live + 1}`);
    expect(a.rig.hotline.plan.lines.get('hotline-12345')!.name).toBe('12345政务服务便民热线');
    expect(changes(seen)).toEqual(['POST /rules/versions/1/rollback']);
    expect(errors).toEqual([]);
    await page.close();
  }, 90_000);

  it('publishes nothing when someone published after the preview, and says to look again', async () => {
    const { page, seen } = await openAsAdmin();
    const live = a.rules.version;
    await edit(page, 'lines.yaml', 'name: 12345政务服务便民热线', 'name: 12345便民热线');
    await page.click('#publish');
    await until(() => page.isVisible('#confirm')).toBe(true);
    // Another administrator publishes meanwhile.
    await a.rules.publish(live.files, 'other-admin', { message: 'meanwhile' });
    await page.click('#confirm-ok');
    await until(() => page.textContent('#status')).toContain(`预览之后线上规则已更新为 v${live.version + 1}`);
    expect(a.rules.version.version).toBe(live.version + 1);
    expect(a.rules.version.author).toBe('other-admin');
    expect(changes(seen)).toEqual(['POST /rules/publish']);
    await page.close();
  }, 90_000);

  it("shows the draft's warnings with their file and path after a check that passes", async () => {
    const { page } = await openAsAdmin();
    // A provisional year whose State Council notice is out: a warning, not a problem.
    await edit(
      page,
      'center.yaml',
      '      - year: 2027',
      '      - year: 2025\n        note: 已发布\n      - year: 2027',
    );
    await page.click('#validate');
    await until(() => page.textContent('#status')).toBe('校验通过（1条提醒，见草稿下方）');
    expect(await page.isVisible('#warnings')).toBe(true);
    const shown = await page.locator('#warnings li').allTextContents();
    expect(shown).toHaveLength(1);
    expect(shown[0]).toMatch(
      /^提醒：center\.yaml:calendars\[0\]\.provisionalYears\[0\]: the State Council notice of 2025 is in the holiday data now/,
    );
    // A click on it goes to its place in the draft.
    await page.click('[data-file="lines.yaml"]');
    await page.click('#warnings li');
    expect(await page.getAttribute('[data-file="center.yaml"]', 'class')).toContain('current');
    const caret = await page.$eval(
      '#editor',
      (e) => (e as unknown as { selectionStart: number }).selectionStart,
    );
    expect((await page.inputValue('#editor')).slice(caret)).toMatch(/^provisionalYears:/);
    // The preview of its publication shows it too.
    await page.click('#publish');
    await until(() => page.isVisible('#confirm')).toBe(true);
    expect(await page.locator('#confirm-warnings li').allTextContents()).toEqual(shown);
    await page.click('#confirm-cancel');
    // Back to the live rules: no warning left showing.
    await page.click('#reset');
    expect(await page.isVisible('#warnings')).toBe(false);
    await page.close();
  }, 90_000);
});

describe('the preview API', () => {
  it('lets supervisors and administrators preview, not agents, and checks what it is sent', async () => {
    const live = await a.rules.get(a.rules.version.version);
    const rollback = await a.as('supervisor', { method: 'GET', url: '/rules/versions/1/rollback/preview' });
    expect(rollback.statusCode).toBe(200);
    expect(rollback.json()).toMatchObject({
      baseVersion: live.version,
      from: { version: live.version },
      to: { version: 1 },
    });
    const agent = await a.as('a1001', { method: 'GET', url: '/rules/versions/1/rollback/preview' });
    expect(agent.statusCode).toBe(403);
    const missing = await a.as('admin', { method: 'GET', url: '/rules/versions/999/rollback/preview' });
    expect(missing.statusCode).toBe(404);

    const same = await a.as('admin', {
      method: 'POST',
      url: '/rules/publish/preview',
      payload: { files: live.files },
    });
    expect(same.statusCode).toBe(200);
    expect(same.json()).toMatchObject({
      baseVersion: live.version,
      to: { draft: true },
      diff: { changes: [], counts: { added: 0, removed: 0, changed: 0, moved: 0 } },
      files: [],
      warnings: [],
    });
    const noFiles = await a.as('admin', { method: 'POST', url: '/rules/publish/preview', payload: {} });
    expect(noFiles.statusCode).toBe(400);
    const broken = await a.as('admin', {
      method: 'POST',
      url: '/rules/publish/preview',
      payload: {
        files: {
          ...live.files,
          'lines.yaml': live.files['lines.yaml']!.replace('pool:general', 'pool:nowhere'),
        },
      },
    });
    expect(broken.statusCode).toBe(422);
    expect(broken.json().problems[0]).toMatchObject({ file: 'lines.yaml' });
    const otherCenter = await a.as('admin', {
      method: 'POST',
      url: '/rules/publish/preview',
      payload: {
        files: {
          ...live.files,
          'center.yaml': live.files['center.yaml']!.replace('id: sichuan', 'id: chengdu'),
        },
      },
    });
    expect(otherCenter.statusCode).toBe(422);
    expect(otherCenter.json().problems).toEqual([expect.objectContaining({ path: 'center.id' })]);
    // Previews change nothing.
    expect(a.rules.version.version).toBe(live.version);
  }, 60_000);
});
