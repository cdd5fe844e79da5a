import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AdminRig, startAdminRig } from '../admin/admin-rig.ts';
import { launchChromium, listenOnLoopback, shots, until } from '../support/chromium.ts';
import { readyAgents } from '../support/engine-harness.ts';

const SUP = 'PJSIP/sup9001';

let a: AdminRig;
let browser: Browser;
let base: string;

beforeAll(async () => {
  a = await startAdminRig({ promptMs: 1000 });
  base = await listenOnLoopback(a.api);
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await a?.close();
});

describe('the monitoring buttons (src/web/monitor.js) in headless Chromium', () => {
  it('listen, whisper, barge and stop a talking call from a call row, asking for the phone once', async () => {
    await readyAgents(a.rig, [{ id: 'a1001', endpoint: 'PJSIP/agent1001', answerAfterMs: 500 }]);
    a.rig.sim.setEndpoint(SUP, { behaviour: 'answer', answerAfterMs: 800, online: true });
    const { channelId } = a.rig.sim.injectCall({
      app: 'hotline',
      dialed: '12345',
      callerNumber: '13800138000',
    });
    await a.rig.runUntil('talking', () => a.rig.hotline.engine.call(channelId)?.stage === 'talking');

    const page = await browser.newPage({ viewport: { width: 1280, height: 400 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const asked: string[] = [];
    page.on('dialog', (d) => {
      asked.push(d.message());
      void d.accept(SUP);
    });
    await page.goto(`${base}/web/wallboard.html#token=${a.tokens.supervisor}`);
    // A call row as the wallboard would have it, with the buttons the module adds.
    // (A string, so that the test runner leaves the browser's own import() alone.)
    await page.evaluate(`(async () => {
      const { addMonitorButtons } = await import('/web/monitor.js');
      const table = document.createElement('table');
      table.id = 'monitor-test';
      const row = document.createElement('tr');
      row.append(Object.assign(document.createElement('td'), { textContent: ${JSON.stringify(channelId)} }));
      table.append(row);
      document.body.prepend(table);
      addMonitorButtons(row, ${JSON.stringify(channelId)});
    })()`);
    const row = '#monitor-test tr';
    expect(await page.$$eval(`${row} button`, (bs) => bs.map((b) => b.textContent))).toEqual([
      '监听',
      '耳语',
      '强插',
      '结束',
    ]);
    expect(await page.isDisabled(`${row} [data-monitor-stop]`)).toBe(true);

    const snoop = () => a.rig.sim.channels().find((c) => c.kind === 'snoop' && c.bridgeId !== undefined);
    const supLeg = () => a.rig.sim.channels().find((c) => c.endpoint === SUP);
    await page.click(`${row} [data-mode=listen]`);
    await until(() => supLeg() !== undefined).toBe(true); // the page's request has arrived
    await a.rig.runUntil(
      'listening',
      () => snoop()?.snoop?.whisper === 'none' && supLeg()?.bridgeId === snoop()?.bridgeId,
    );
    expect(asked).toEqual(['请输入您的话机（如 PJSIP/sup9001）']);
    await until(() => page.textContent(`${row} [data-monitor-state]`)).toMatch(/^监听·/);

    await page.click(`${row} [data-mode=whisper]`);
    await until(() => a.rig.sim.channels().some((c) => c.snoop?.whisper === 'out')).toBe(true);
    await a.rig.runUntil(
      'whispering',
      () =>
        snoop()?.snoop?.whisper === 'out' &&
        a.rig.sim.channels().filter((c) => c.kind === 'snoop').length === 1,
    );
    await until(() => page.textContent(`${row} [data-monitor-state]`)).toMatch(/^耳语·/);

    await page.click(`${row} [data-mode=barge]`);
    const callBridge = a.rig.hotline.engine.call(channelId)!.bridgeId!;
    await a.rig.runUntil('barged', () => supLeg()?.bridgeId === callBridge);
    await until(() => page.textContent(`${row} [data-monitor-state]`)).toMatch(/^强插·/);
    expect(await page.getAttribute(`${row} [data-mode=barge]`, 'class')).toContain('active');
    await page.screenshot({ path: join(shots, 'monitor-buttons.png') });

    await page.click(`${row} [data-monitor-stop]`);
    await until(() => page.textContent(`${row} [data-monitor-state]`)).toBe('');
    await a.rig.runUntil('only the call left', () => a.rig.sim.channels().length === 2);
    expect(a.rig.hotline.engine.call(channelId)?.stage).toBe('talking');
    // Asked once: the phone is kept for the next session.
    await page.click(`${row} [data-mode=listen]`);
    await until(() => supLeg() !== undefined).toBe(true);
    expect(asked).toHaveLength(1);
    expect(errors).toEqual([]);
    const audit = (await a.audit.latest(20)).map((e) => e.action).filter((x) => x.startsWith('monitor-'));
    expect(audit.reverse()).toEqual([
      'monitor-start',
      'monitor-mode',
      'monitor-mode',
      'monitor-end',
      'monitor-start',
    ]);
    a.rig.sim.hangup(channelId);
    await a.rig.runUntil('all gone', () => a.rig.sim.stats().liveChannels === 0);
  });

  it("puts the buttons on the wallboard's tile of an agent on a call, kept across the board's refreshes", async () => {
    await readyAgents(a.rig, [{ id: 'a1002', endpoint: 'PJSIP/agent1002', answerAfterMs: 500 }]);
    a.rig.sim.setEndpoint(SUP, { behaviour: 'answer', answerAfterMs: 800, online: true });
    const { channelId } = a.rig.sim.injectCall({
      app: 'hotline',
      dialed: '12345',
      callerNumber: '13800138001',
    });
    await a.rig.runUntil('talking', () => a.rig.hotline.engine.call(channelId)?.stage === 'talking');
    const agentId = a.rig.hotline.engine.call(channelId)!.agent!.agentId;

    const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('dialog', (d) => void d.accept(SUP));
    const monitorReads: string[] = [];
    let statsReads = 0;
    page.on('request', (r) => {
      const path = new URL(r.url()).pathname;
      if (r.method() === 'GET' && path.endsWith('/monitor')) monitorReads.push(path);
      if (path === '/stats') statsReads++;
    });
    await page.goto(`${base}/web/wallboard.html#token=${a.tokens.supervisor}`);
    const tile = `[data-agent="${agentId}"]`;
    await until(() => page.$$eval(`${tile} button`, (bs) => bs.map((b) => b.textContent))).toEqual([
      '监听',
      '耳语',
      '强插',
      '结束',
    ]);
    // the buttons stay inside the tile (a narrow one: a floor of agents on one wall screen)
    const box = await page.locator(tile).boundingBox();
    for (const b of await page.locator(`${tile} button`).all()) {
      const r = (await b.boundingBox())!;
      expect(r.x + r.width).toBeLessThanOrEqual(box!.x + box!.width);
    }
    await page.click(`${tile} [data-mode=listen]`);
    await until(() => page.textContent(`${tile} [data-monitor-state]`)).toMatch(/^监听·/);
    // two more refreshes of the board: the same buttons (marked here), their state kept
    await page.evaluate(`document.querySelector('${tile} .agent-monitor').dataset.mark = 'kept'`);
    const seen = statsReads;
    await until(() => statsReads, 20_000).toBeGreaterThanOrEqual(seen + 2);
    expect(await page.getAttribute(`${tile} .agent-monitor`, 'data-mark')).toBe('kept');
    expect(await page.textContent(`${tile} [data-monitor-state]`)).toMatch(/^监听·/);
    expect(await page.getAttribute(`${tile} [data-mode=listen]`, 'class')).toContain('active');
    // the board asks nothing of the monitoring API but what the supervisor pressed
    expect(monitorReads).toEqual([]);
    expect(errors).toEqual([]);
    a.rig.sim.hangup(channelId);
    await a.rig.runUntil('all gone', () => a.rig.sim.stats().liveChannels === 0);
    // the call over, its tile has no buttons any more
    await until(() => page.$$(`${tile} button`).then((b) => b.length)).toBe(0);
  });
});
