import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RosterAuditEntry } from '../../src/admin/ledgers.ts';
import { type RosterRig, startRosterRig } from '../api/roster-rig.ts';
import { launchChromium, listenOnLoopback, shots, until } from '../support/chromium.ts';

let r: RosterRig;
let browser: Browser;
let base: string;

beforeAll(async () => {
  r = await startRosterRig();
  base = await listenOnLoopback(r.api);
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await r?.close();
});

describe('the roster page (坐席管理) in headless Chromium', () => {
  it('adds an agent through the page, who then takes a call, and disables it again', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('dialog', (d) => void d.accept());
    await page.goto(`${base}/web/roster.html#token=${r.tokens.admin}`);
    await until(() => page.locator('#agents tbody tr').count()).toBe(2);
    expect(await page.textContent('#who')).toBe('管理员 ops-admin');
    expect(await page.textContent('[data-agent="a1001"]')).toContain('12345综合受理座席');

    // A phone another agent has: refused, the field marked, nothing added.
    await page.fill('#f-id', 'a2001');
    await page.fill('#f-name', '张华');
    await page.fill('#f-endpoints', 'PJSIP/agent1001');
    await page.fill('#f-skills', 'general:5, tax:3');
    await page.check('#f-pools input[value="general"]');
    await page.click('#save');
    await until(() => page.textContent('#status')).toContain('already assigned to agent "a1001"');
    expect(await page.getAttribute('#f-endpoints', 'aria-invalid')).toBe('true');
    expect(r.roster.agent('a2001')).toBeUndefined();

    await page.fill('#f-endpoints', 'PJSIP/agent2001');
    await page.click('#save');
    await until(() => page.textContent('#status')).toBe('已添加坐席 a2001，立即生效');
    await until(() => page.locator('[data-agent="a2001"]').count()).toBe(1);
    expect(await page.getAttribute('#f-endpoints', 'aria-invalid')).toBeNull();
    const row = await page.textContent('[data-agent="a2001"]');
    expect(row).toContain('张华');
    expect(row).toContain('PJSIP/agent2001');
    expect(row).toContain('general:5, tax:3');
    expect(r.roster.agent('a2001')).toMatchObject({ skills: { general: 5, tax: 3 }, pools: ['general'] });
    await page.screenshot({ path: join(shots, 'roster.png'), fullPage: true });

    // Effective without a restart: logged in on its phone, the new agent takes the next call.
    r.rig.sim.setEndpoint('PJSIP/agent2001', { behaviour: 'answer', answerAfterMs: 500, online: true });
    await r.rig.hotline.store.login('a2001', 'PJSIP/agent2001');
    if ((await r.rig.hotline.store.getAgent('a2001'))?.status.state !== 'ready')
      await r.rig.hotline.store.ready('a2001');
    const { channelId } = r.rig.sim.injectCall({
      app: 'hotline',
      dialed: '12345',
      callerNumber: '13800138000',
    });
    const call = () => r.rig.hotline.engine.call(channelId);
    await r.rig.runUntil(
      'the call talking to the agent added on the page',
      () => call()?.stage === 'talking',
    );
    expect(call()!.agent?.agentId).toBe('a2001');
    await until(() => page.textContent('[data-agent="a2001"] .state-cell')).toBe('通话中');

    // Changed on the page: the form is filled with the agent, the id cannot change.
    await page.click('[data-agent="a2001"] button.edit');
    expect(await page.inputValue('#f-name')).toBe('张华');
    expect(await page.isDisabled('#f-id')).toBe(true);
    await page.fill('#f-skills', 'general:8');
    await page.fill('#f-department', '人力资源社会保障厅');
    await page.click('#save');
    await until(() => page.textContent('#status')).toBe('已保存坐席 a2001，立即生效');
    expect(r.roster.agent('a2001')).toMatchObject({
      skills: { general: 8 },
      department: '人力资源社会保障厅',
    });
    await until(() => page.textContent('[data-agent="a2001"]')).toContain('人力资源社会保障厅');

    // A field emptied on the page is removed, not kept: the form is the agent's whole definition.
    await page.click('[data-agent="a2001"] button.edit');
    expect(await page.inputValue('#f-department')).toBe('人力资源社会保障厅');
    await page.fill('#f-department', '');
    await page.click('#save');
    await until(() => r.roster.agent('a2001')?.department ?? '(none)').toBe('(none)');
    await until(() => page.textContent('[data-agent="a2001"]')).not.toContain('人力资源社会保障厅');
    expect(r.roster.agent('a2001')?.skills).toEqual({ general: 8 });

    await page.click('[data-agent="a2001"] button.disable');
    await until(() => page.textContent('[data-agent="a2001"] .enabled')).toBe('已停用');
    expect(r.roster.agent('a2001')?.disabled).toBe(true);
    // On a call when disabled: it finishes the call first.
    expect(call()!.stage).toBe('talking');
    const lines = r.auditLines() as RosterAuditEntry[];
    expect(lines.map((l) => [l.action, l.agent, l.tokenId])).toEqual([
      ['roster-add', 'a2001', 'ops-admin'],
      ['roster-change', 'a2001', 'ops-admin'],
      ['roster-change', 'a2001', 'ops-admin'],
      ['roster-disable', 'a2001', 'ops-admin'],
    ]);
    expect(errors).toEqual([]);
    await page.close();
  }, 90_000);

  it('shows a supervisor the roster read-only', async () => {
    const page = await browser.newPage();
    await page.goto(`${base}/web/roster.html#token=${r.tokens.supervisor}`);
    await until(() => page.locator('#agents tbody tr').count()).toBeGreaterThanOrEqual(2);
    expect(await page.textContent('#who')).toBe('值班长 duty-supervisor（只读）');
    expect(await page.isVisible('#editor')).toBe(false);
    expect(await page.locator('#agents button').count()).toBe(0);
    await page.close();
  }, 60_000);
});
