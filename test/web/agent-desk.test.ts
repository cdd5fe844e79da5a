import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ScreenPopSources } from '../../src/api/screen-pop.ts';
import { knowledgeFileOf, loadKnowledgeBase } from '../../src/knowledge/load.ts';
import { CallerCipher, parseRecordsKey } from '../../src/records/caller-crypto.ts';
import { JsonlCallerHistory } from '../../src/records/caller-history.ts';
import { CallRecord } from '../../src/records/schema.ts';
import { type AdminRig, rulesDir } from '../admin/admin-rig.ts';
import { launchChromium, shots, until } from '../support/chromium.ts';
import { expectNoCall, loginReady, openToolbar as openPage } from './toolbar-page.ts';

/**
 * The agent's desk on the toolbar: 保持/恢复 and 静音/取消静音 (the screen pop beside them). The
 * agent toolbar in headless Chromium against the engine on the simulator (stepped virtual
 * time: the engine moves only when a test drives it; the page's own timers run in the browser).
 */

let a: AdminRig | undefined;
let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
}, 60_000);

let dir: string | undefined;
afterEach(async () => {
  await a?.close();
  a = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
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

describe('the agent desk', () => {
  it('puts the citizen on hold and back, mutes and unmutes, the state shown (screenshot)', async () => {
    const { a, page, errors } = await openToolbar();
    await loginReady(page);
    const { channelId } = a.rig.sim.injectCall({
      app: 'hotline',
      dialed: '12345',
      callerNumber: '13800138000',
    });
    const call = () => a.rig.hotline.engine.call(channelId);
    const channel = (id: string) => a.rig.sim.channels().find((c) => c.id === id);
    await a.rig.runUntil('the call talking to a1001', () => call()?.stage === 'talking');
    await until(() => page.textContent('#call-stage')).toBe('通话中');
    await until(() => page.isEnabled('#hold')).toBe(true);
    expect(await page.textContent('#hold')).toBe('保持');
    expect(await page.textContent('#call-hold')).toBe('未保持');
    expect(await page.isVisible('#hold-state')).toBe(false);

    await page.click('#hold');
    await until(() => page.textContent('#status')).toBe('已保持，市民正在听等待音乐');
    await until(() => page.textContent('#hold')).toBe('恢复');
    expect(await page.getAttribute('#hold', 'aria-pressed')).toBe('true');
    expect(await page.isVisible('#hold-state')).toBe(true);
    expect(await page.textContent('#call-hold')).toMatch(/^保持中（自 .+，第 1 次）$/);
    await a.rig.runUntil('music on the citizen', () => channel(channelId)?.moh === 'default');

    await page.click('#mute');
    await until(() => page.textContent('#mute')).toBe('取消静音');
    expect(await page.textContent('#call-mute')).toBe('已静音');
    expect(await page.isVisible('#mute-state')).toBe(true);
    const agentChannel = call()!.agent!.channelId;
    await a.rig.runUntil('the agent muted', () => channel(agentChannel)?.muted?.join() === 'in');
    await page.screenshot({ path: join(shots, 'toolbar-hold.png'), fullPage: true });

    await a.rig.advance(30_000);
    await page.click('#hold');
    await until(() => page.textContent('#hold')).toBe('保持');
    await until(() => page.textContent('#call-hold')).toBe('未保持（共 1 次，累计 30秒）');
    await a.rig.runUntil('music stopped', () => channel(channelId)?.moh === undefined);
    await page.click('#mute');
    await until(() => page.textContent('#mute')).toBe('静音');
    expect(await page.textContent('#call-mute')).toBe('正常');
    await a.rig.runUntil('the agent unmuted', () => channel(agentChannel)?.muted === undefined);

    a.rig.sim.hangup(channelId);
    await a.rig.runUntil('the record', () => a.rig.records.records.some((r) => r.callId === channelId));
    await expectNoCall(page);
    await until(() => page.isDisabled('#hold')).toBe(true);
    expect(await page.isDisabled('#mute')).toBe(true);
    expect(a.rig.records.records.find((r) => r.callId === channelId)).toMatchObject({
      holdCount: 1,
      holdSeconds: 30,
    });
    expect(errors).toEqual([]);
    await page.close();
  }, 90_000);

  it("pops up the caller's earlier calls and the line's standard answers when a call comes (screenshot)", async () => {
    // The records file as the embedded sink keeps it with RECORDS_KEY: two earlier calls of the
    // citizen (one with a work order), one of somebody else.
    const cipher = new CallerCipher(parseRecordsKey('k1', randomBytes(32).toString('base64')));
    dir = mkdtempSync(join(tmpdir(), 'hotline-desk-'));
    const recordsPath = join(dir, 'records.jsonl');
    const earlier = (callId: string, caller: string, day: string, o: Partial<CallRecord> = {}) =>
      CallRecord.parse({
        type: 'call-record',
        version: 2,
        callId,
        idempotencyKey: `${callId}:record`,
        dialed: '12319',
        line: { id: 'l12319', name: '全国住房和城乡建设服务电话', mode: 'dual-number', topic: 'housing' },
        phase: { id: 'transfer', kind: 'merged' },
        callerMasked: `${caller.slice(0, 3)}******${caller.slice(-2)}`,
        callerEncrypted: cipher.encrypt(caller, callId),
        times: { arrivedAt: `${day}T09:00:00.000Z`, endedAt: `${day}T09:05:00.000Z` },
        durationSeconds: 300,
        ivrPath: [],
        prompts: [],
        overflows: [],
        offers: [],
        transfers: [],
        disposition: 'answered',
        agentId: 'a1002',
        ...o,
      });
    const records = [
      earlier('old-1', '13800138000', '2026-11-20', {
        dialed: '12345',
        line: { id: 'hotline-12345', name: '12345政务服务便民热线', mode: 'main', topic: 'general' },
        disposition: 'abandoned-queue',
      }),
      earlier('old-2', '13800138000', '2026-11-23', {
        transfers: [
          {
            target: { kind: 'subcenter', id: 'tax' },
            mode: 'ticket',
            startedAt: '2026-11-23T09:03:00.000Z',
            result: 'ticket',
            reason: '小区供暖不热，需住建部门上门查看',
          },
        ],
      }),
      earlier('other-1', '13900139000', '2026-11-22'),
    ];
    writeFileSync(recordsPath, records.map((r) => `${JSON.stringify(r)}\n`).join(''));
    const { a, page, errors } = await openToolbar({
      history: new JsonlCallerHistory(recordsPath, cipher),
      knowledge: loadKnowledgeBase(knowledgeFileOf(rulesDir)),
    });
    await loginReady(page);
    expect(await page.isVisible('#screen-pop')).toBe(false);
    const { channelId } = a.rig.sim.injectCall({
      app: 'hotline',
      dialed: '12319',
      callerNumber: '13800138000',
    });
    const call = () => a.rig.hotline.engine.call(channelId);
    await a.rig.runUntil('the call talking to a1001', () => call()?.stage === 'talking');
    await until(() => page.isVisible('#screen-pop')).toBe(true);
    expect(await page.textContent('#pop-caller')).toBe(
      '138******00 · 全国住房和城乡建设服务电话 · 住房城乡建设厅',
    );
    expect(await page.textContent('#pop-note')).toBe('该号码最近 2 次来电');
    const rows = await page.$$eval('#pop-history tr', (trs) =>
      trs.map((tr) => [...tr.querySelectorAll('td')].slice(1).map((td) => td.textContent)),
    );
    expect(rows).toEqual([
      [
        '全国住房和城乡建设服务电话（12319）',
        '住房城乡建设厅',
        '已接听',
        '分中心 · 四川税务12366分中心：小区供暖不热，需住建部门上门查看',
      ],
      ['12345政务服务便民热线（12345）', '综合', '排队中挂断', '—'],
    ]);
    const titles = await page.$$eval('#pop-answers strong', (ss) => ss.map((x) => x.textContent));
    expect(titles[0]).toBe('双号并行：保留号码，座席并入12345统一管理');
    expect(await page.textContent('#pop-answers')).toContain('10月16日起');
    // The read of the citizen's calls is in the access ledger.
    expect((await a.ledger.latest(10)).find((e) => e.route === '/calls/:id/screen-pop')).toMatchObject({
      tokenId: 'a1001',
      callIds: [channelId, 'old-2', 'old-1'],
    });

    await page.click('#hold');
    await until(() => page.textContent('#hold')).toBe('恢复');
    await page.screenshot({ path: join(shots, 'toolbar-screen-pop.png'), fullPage: true });
    expect(existsSync(join(shots, 'toolbar-screen-pop.png'))).toBe(true);

    a.rig.sim.hangup(channelId);
    await expectNoCall(page);
    await until(() => page.isVisible('#screen-pop')).toBe(false);
    expect(errors).toEqual([]);
    await page.close();
  }, 90_000);
});
