import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AcdChange, AcdStore } from '../../src/acd/store/port.ts';
import { ManualClock } from '../../src/clock.ts';
import { definition, T0 } from './helpers.ts';

/**
 * The behaviour every AcdStore adapter must have. Run by memory-store.test.ts and
 * redis-store.test.ts, so the Lua scripts and the pure state machine cannot drift apart.
 */
export interface StoreUnderTest {
  store: AcdStore;
  cleanup: () => Promise<void>;
}

export type StoreFactory = (clock: ManualClock) => Promise<StoreUnderTest>;

export async function eventually(check: () => void | Promise<void>, timeoutMs = 15_000): Promise<void> {
  const start = Date.now();
  for (;;) {
    try {
      await check();
      return;
    } catch (err) {
      if (Date.now() - start > timeoutMs) throw err;
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (err) {
    return (err as { code?: string }).code;
  }
}

export function storeContract(name: string, factory: StoreFactory): void {
  describe(`${name} store contract`, () => {
    let clock: ManualClock;
    let sut: StoreUnderTest;
    let store: AcdStore;

    beforeEach(async () => {
      clock = new ManualClock(T0);
      sut = await factory(clock);
      store = sut.store;
      await store.setQueues([
        { id: 'general', kind: 'pool', name: 'General', wrapUpSeconds: 30, maxWaitSeconds: 600 },
        { id: 'nowrap', kind: 'pool', name: 'No wrap-up', wrapUpSeconds: 0, maxWaitSeconds: 600 },
      ]);
      await store.upsertAgents([
        definition('1001'),
        definition('1002'),
        definition('1003', { pools: ['nowrap'] }),
      ]);
    });

    afterEach(async () => {
      await sut.cleanup();
    });

    const enqueue = (callId: string, queueId = 'general') =>
      store.enqueue({ callId, queueId, priority: 0, enqueuedAt: clock.now(), engineId: 'e1' });

    it('starts new agents logged out and keeps live status when the roster is upserted again', async () => {
      expect((await store.getAgent('1001'))?.status.state).toBe('logged-out');
      await store.login('1001', 'PJSIP/agent1001');
      await store.upsertAgents([definition('1001', { name: 'Renamed' })]);
      const a = await store.getAgent('1001');
      expect(a?.name).toBe('Renamed');
      expect(a?.status.state).toBe('ready');
      expect((await store.listAgents()).map((x) => x.id).sort()).toEqual(['1001', '1002', '1003']);
    });

    it('refuses roster entries of another center', async () => {
      expect(await codeOf(store.upsertAgents([definition('9', { centerId: 'other' })]))).toBe(
        'invalid-agent',
      );
    });

    it('applies agent events and rejects invalid ones with a typed error', async () => {
      expect(await codeOf(store.ready('1001'))).toBe('invalid-transition');
      expect((await store.login('1001', 'PJSIP/agent1001')).status.state).toBe('ready');
      expect((await store.notReady('1001', 'meeting')).status).toMatchObject({
        state: 'not-ready',
        notReadyReason: 'meeting',
      });
      expect((await store.ready('1001')).status.state).toBe('ready');
      expect((await store.logout('1001')).status.state).toBe('logged-out');
      expect(await codeOf(store.endWrapUp('1001'))).toBe('invalid-transition');
      expect(await codeOf(store.login('nobody', 'PJSIP/x'))).toBe('no-such-agent');
    });

    it('queues calls once, in known queues only, and removes them', async () => {
      await enqueue('c1');
      expect(await codeOf(enqueue('c1'))).toBe('duplicate-call');
      expect(await codeOf(enqueue('c2', 'nowhere'))).toBe('no-such-queue');
      await enqueue('c3', 'nowrap');
      expect((await store.snapshot(['general'])).calls.map((c) => c.callId)).toEqual(['c1']);
      expect((await store.snapshot()).calls).toHaveLength(2);
      expect((await store.removeCall('c1'))?.callId).toBe('c1');
      expect(await store.removeCall('c1')).toBeUndefined();
      expect(await store.getCall('c1')).toBeUndefined();
    });

    it('marks a waiting call as a call-back in its place, offer and order kept', async () => {
      await enqueue('c1');
      clock.advance(1_000);
      await enqueue('c2');
      await store.login('1001', 'PJSIP/agent1001');
      expect(await store.reserve('1001', 'c1', 'e1', 10_000)).toEqual({ ok: true });
      const enqueuedAt = (await store.getCall('c1'))!.enqueuedAt;
      clock.advance(5_000);
      const marked = await store.markCallback('c1', clock.now());
      expect(marked).toMatchObject({ callId: 'c1', enqueuedAt, callback: { requestedAt: clock.now() } });
      expect((await store.getCall('c1'))?.offer?.agentId).toBe('1001');
      expect(
        (await store.snapshot(['general'])).calls.map((c) => [c.callId, c.callback !== undefined]),
      ).toEqual(
        expect.arrayContaining([
          ['c1', true],
          ['c2', false],
        ]),
      );
      // An unanswered offer puts the call-back back in its place, still marked.
      await store.release('c1', 'failed');
      expect(await store.getCall('c1')).toMatchObject({ enqueuedAt, callback: { requestedAt: clock.now() } });
      expect(await store.markCallback('nowhere', clock.now())).toBeUndefined();
    });

    it('reserves a ready agent for a waiting call once, and says why otherwise', async () => {
      await store.login('1001', 'PJSIP/agent1001');
      await store.login('1002', 'PJSIP/agent1002');
      await enqueue('c1');
      await enqueue('c2');
      expect(await store.reserve('1001', 'c1', 'e1', 5000)).toEqual({ ok: true });
      expect(await store.reserve('1001', 'c2', 'e1', 5000)).toEqual({ ok: false, reason: 'agent-not-ready' });
      expect(await store.reserve('1002', 'c1', 'e2', 5000)).toEqual({
        ok: false,
        reason: 'call-already-offered',
      });
      expect(await store.reserve('1002', 'nope', 'e1', 5000)).toEqual({ ok: false, reason: 'no-such-call' });
      expect(await store.reserve('nobody', 'c2', 'e1', 5000)).toEqual({ ok: false, reason: 'no-such-agent' });
      await store.setDeviceAvailable('1002', false);
      expect(await store.reserve('1002', 'c2', 'e1', 5000)).toEqual({
        ok: false,
        reason: 'device-unavailable',
      });
      const a = await store.getAgent('1001');
      expect(a?.status).toMatchObject({ state: 'reserved', callId: 'c1', engineId: 'e1', until: T0 + 5000 });
      expect((await store.getCall('c1'))?.offer).toEqual({
        agentId: '1001',
        engineId: 'e1',
        until: T0 + 5000,
      });
    });

    it('runs a call through answer, completion, wrap-up and its automatic end', async () => {
      await store.login('1001', 'PJSIP/agent1001');
      await enqueue('c1');
      await store.reserve('1001', 'c1', 'e1', 5000);
      clock.advance(2000);
      const onCall = await store.confirm('c1');
      expect(onCall.status).toMatchObject({ state: 'on-call', callId: 'c1' });
      expect(onCall.status.counters.callsAnswered).toBe(1);
      expect(await store.getCall('c1')).toBeUndefined();
      clock.advance(60_000);
      const wrap = await store.complete('c1', 60);
      expect(wrap.status).toMatchObject({ state: 'wrap-up', until: T0 + 92_000 });
      expect(wrap.status.counters).toMatchObject({ talkSeconds: 60, lastCallEndAt: T0 + 62_000 });
      clock.advance(29_999);
      await store.expireDue();
      expect((await store.getAgent('1001'))?.status.state).toBe('wrap-up');
      clock.advance(1);
      await store.expireDue();
      expect((await store.getAgent('1001'))?.status).toMatchObject({
        state: 'ready',
        readySince: T0 + 92_000,
      });
      expect(await codeOf(store.complete('c1', 1))).toBe('no-such-reservation');
    });

    it('goes back to ready at once after a call in a queue without wrap-up', async () => {
      await store.login('1003', 'PJSIP/agent1003');
      await enqueue('c1', 'nowrap');
      await store.reserve('1003', 'c1', 'e1', 5000);
      await store.confirm('c1');
      clock.advance(10_000);
      expect((await store.complete('c1', 10)).status).toMatchObject({
        state: 'ready',
        readySince: T0 + 10_000,
      });
    });

    it('applies a not-ready asked for during a call when the wrap-up ends', async () => {
      await store.login('1001', 'PJSIP/agent1001');
      await enqueue('c1');
      await store.reserve('1001', 'c1', 'e1', 5000);
      await store.confirm('c1');
      expect((await store.notReady('1001', 'lunch')).status).toMatchObject({
        state: 'on-call',
        pendingNotReady: 'lunch',
      });
      await store.complete('c1', 5);
      clock.advance(30_000);
      await store.expireDue();
      expect((await store.getAgent('1001'))?.status).toMatchObject({
        state: 'not-ready',
        notReadyReason: 'lunch',
      });
    });

    it('makes a ring-no-answer agent not-ready (rona) and puts the call back in the queue', async () => {
      await store.login('1001', 'PJSIP/agent1001');
      await enqueue('c1');
      await store.reserve('1001', 'c1', 'e1', 5000);
      const a = await store.release('c1', 'rona');
      expect(a.status).toMatchObject({ state: 'not-ready', notReadyReason: 'rona' });
      const c = await store.getCall('c1');
      expect(c?.callId).toBe('c1');
      expect(c?.offer).toBeUndefined();
      expect(await codeOf(store.confirm('c1'))).toBe('no-such-reservation');
    });

    it('returns the agent to ready after a failed offer and drops a cancelled call', async () => {
      await store.login('1001', 'PJSIP/agent1001');
      await enqueue('c1');
      await store.reserve('1001', 'c1', 'e1', 5000);
      expect((await store.release('c1', 'failed')).status).toMatchObject({ state: 'ready', readySince: T0 });
      expect((await store.getCall('c1'))?.offer).toBeUndefined();
      await store.reserve('1001', 'c1', 'e1', 5000);
      expect((await store.release('c1', 'cancelled')).status.state).toBe('ready');
      expect(await store.getCall('c1')).toBeUndefined();
    });

    it('keeps an agent whose phone was busy ready, not RONA, with the device unavailable; the call waits again', async () => {
      await store.login('1001', 'PJSIP/agent1001');
      await enqueue('c1');
      await store.reserve('1001', 'c1', 'e1', 5000);
      const a = await store.release('c1', 'busy');
      expect(a.status).toMatchObject({ state: 'ready', deviceAvailable: false });
      expect(a.status.notReadyReason).toBeUndefined();
      expect((await store.getCall('c1'))?.offer).toBeUndefined();
      expect(await store.reserve('1001', 'c1', 'e1', 5000)).toEqual({
        ok: false,
        reason: 'device-unavailable',
      });
      await store.setDeviceAvailable('1001', true);
      expect(await store.reserve('1001', 'c1', 'e1', 5000)).toEqual({ ok: true });
    });

    it('expires a reservation that is not renewed: agent ready again, call waiting again', async () => {
      await store.login('1001', 'PJSIP/agent1001');
      await enqueue('c1');
      await store.reserve('1001', 'c1', 'e1', 5000);
      clock.advance(4000);
      expect(await store.renew('c1', 'e1', 5000)).toBe(true);
      expect(await store.renew('c1', 'other-engine', 5000)).toBe(false);
      clock.advance(4999);
      await store.expireDue();
      expect((await store.getAgent('1001'))?.status.state).toBe('reserved');
      clock.advance(1);
      await store.expireDue();
      expect((await store.getAgent('1001'))?.status).toMatchObject({ state: 'ready', readySince: T0 });
      expect((await store.getCall('c1'))?.offer).toBeUndefined();
      expect(await store.renew('c1', 'e1', 5000)).toBe(false);
      expect(await store.reserve('1001', 'c1', 'e1', 5000)).toEqual({ ok: true });
    });

    it('publishes agent and call changes on the change feed', async () => {
      const seen: AcdChange[] = [];
      const stop = store.onChange((c) => seen.push(c));
      await store.login('1001', 'PJSIP/agent1001');
      await enqueue('c1');
      await store.reserve('1001', 'c1', 'e1', 5000);
      await eventually(() => {
        expect(seen).toContainEqual({
          kind: 'agent',
          agentId: '1001',
          state: 'ready',
          previous: 'logged-out',
          cause: 'login',
          at: T0,
        });
        expect(seen).toContainEqual({
          kind: 'call',
          callId: 'c1',
          queueId: 'general',
          change: 'waiting',
          at: T0,
        });
        expect(seen).toContainEqual({
          kind: 'agent',
          agentId: '1001',
          state: 'reserved',
          previous: 'ready',
          cause: 'reserve',
          callId: 'c1',
          at: T0,
        });
        expect(seen).toContainEqual({
          kind: 'call',
          callId: 'c1',
          queueId: 'general',
          change: 'offered',
          agentId: '1001',
          at: T0,
        });
      });
      clock.advance(5000);
      await store.expireDue();
      await eventually(() =>
        expect(seen).toContainEqual(
          expect.objectContaining({
            kind: 'agent',
            agentId: '1001',
            cause: 'reservation-expired',
            callId: 'c1',
          }),
        ),
      );
      stop();
    });
  });
}
