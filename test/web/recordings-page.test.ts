import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryAppendLog } from '../../src/admin/append-log.ts';
import type { AccessEntry } from '../../src/admin/ledgers.ts';
import { issueToken, TokenSet } from '../../src/admin/tokens.ts';
import { buildApi } from '../../src/api/server.ts';
import { rosterToAgents } from '../../src/app.ts';
import type { CallState } from '../../src/calls/core/types.ts';
import { createLogger } from '../../src/log.ts';
import type { RosterEntry } from '../../src/roster.ts';
import { launchChromium, listenOnLoopback, shots, until } from '../support/chromium.ts';
import { type Rig, readyAgents, startRig } from '../support/engine-harness.ts';

const roster: RosterEntry[] = [
  { id: 'a1001', name: '王敏', endpoint: 'PJSIP/agent1001', pools: ['general'], skills: { general: 5 } },
];
const issued = {
  supervisor: issueToken('duty-supervisor', 'supervisor'),
  a1001: issueToken('a1001', 'agent', 'a1001'),
};

let rig: Rig;
let api: FastifyInstance;
let browser: Browser;
let base: string;
const ledger = new MemoryAppendLog<AccessEntry>();
const calls: { callId: string; name: string; caller: string }[] = [];

/** A call answered by a1001, `talkMs` of talk, then the caller hangs up: one stored recording. */
async function recordedCall(callerNumber: string, talkMs: number): Promise<void> {
  const ended: CallState[] = [];
  rig.hotline.engine.onEnded((s) => ended.push(s));
  const { channelId } = rig.sim.injectCall({ app: 'hotline', dialed: '12345', callerNumber });
  await rig.runUntil('talking', () => rig.hotline.engine.call(channelId)?.stage === 'talking');
  await rig.advance(talkMs);
  rig.sim.hangup(channelId);
  await rig.runUntil('ended', () => ended.length === 1);
  await rig.advance(60_000); // wrap-up over: the agent takes the next call
  calls.push({ callId: channelId, name: ended[0]!.recordings![0]!.name, caller: callerNumber });
}

beforeAll(async () => {
  rig = await startRig({
    roster,
    at: '2026-11-24T10:00:00+08:00',
    recording: { retentionDays: 180, sweepEveryMs: 365 * 86_400_000 },
  });
  await readyAgents(rig, [{ id: 'a1001', endpoint: 'PJSIP/agent1001', answerAfterMs: 500 }]);
  await recordedCall('13800138000', 30_000);
  await recordedCall('13911112222', 12_000);
  api = await buildApi({
    hotline: rig.hotline,
    roster: rosterToAgents(roster, 'sichuan'),
    clock: rig.clock,
    logger: createLogger({ level: 'silent' }),
    tokens: new TokenSet(Object.values(issued).map((i) => i.entry)),
    authFailures: { max: 1000, windowMs: 60_000 },
    ledger,
  });
  base = await listenOnLoopback(api);
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await api?.close();
  await rig?.close();
});

describe('the recordings page (通话录音) in headless Chromium', () => {
  it('lists the recorded calls with masked callers and plays one through the API, ledgered', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await page.goto(`${base}/web/recordings.html#token=${issued.supervisor.token}`);
    await until(() => page.locator('#rows tr').count()).toBe(2);
    // Newest first; callers masked as everywhere else, the full numbers nowhere on the page.
    expect(await page.locator('#rows tr td.caller').allTextContents()).toEqual([
      '139******22',
      '138******00',
    ]);
    const text = (await page.locator('body').textContent()) ?? '';
    for (const c of calls) expect(text).not.toContain(c.caller);
    expect(text).toContain('共 2 通');
    expect(text).toContain('已接听');

    const first = calls[0]!;
    await page.locator(`#rows tr[data-call="${first.callId}"] button.play`).click();
    await until(() => page.locator('#now-playing').textContent()).toContain('正在播放');
    // The browser decoded the WAV it fetched through the API: about the 30 s of talk.
    await until(() =>
      page.locator('#player').evaluate((p) => (p as unknown as { duration: number }).duration),
    ).toBeGreaterThan(29);
    expect(await page.locator('#player').getAttribute('src')).toMatch(/^blob:/);
    expect(await page.locator('#player').getAttribute('data-recording')).toBe(first.name);
    const played = (await ledger.latest(100)).filter((e) => e.route === '/recordings/:id');
    expect(played).toEqual([
      expect.objectContaining({
        tokenId: 'duty-supervisor',
        route: '/recordings/:id',
        callIds: [first.callId],
        recording: first.name,
      }),
    ]);
    await page.screenshot({ path: join(shots, 'playback-page.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('tells an agent it may not open the recordings', async () => {
    const page = await browser.newPage();
    await page.goto(`${base}/web/recordings.html#token=${issued.a1001.token}`);
    await until(() => page.locator('#status').textContent()).toContain('无权限');
    expect(await page.locator('#rows tr').count()).toBe(0);
    await page.close();
  });
});
