import { afterEach, describe, expect, it } from 'vitest';
import { HotlineMetrics } from '../../src/admin/hotline-metrics.ts';
import { createLogger } from '../../src/log.ts';
import { generalAgent, type Rig, readyAgents, startRig } from '../support/engine-harness.ts';

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

const noLeaks = (r: Rig) => r.sim.stats().liveChannels === 0 && r.sim.stats().liveBridges === 0;

describe('an agent whose phone answers busy', () => {
  it('is skipped for the call and held unavailable for a while, not made not-ready as RONA; the record says busy', async () => {
    rig = await startRig({ roster: [generalAgent('a1001'), generalAgent('a1002')] });
    await readyAgents(rig, [
      { id: 'a1001', endpoint: 'PJSIP/agent1001', behaviour: 'busy', answerAfterMs: 300 },
      { id: 'a1002', endpoint: 'PJSIP/agent1002', answerAfterMs: 1000, hangupAfterMs: 5000 },
    ]);
    // a1001 became ready first: longest-idle offers it first.
    rig.sim.injectCall({ app: 'hotline', dialed: '12345', callerNumber: '13900000040' });
    await rig.runUntil('talking with a1002', () =>
      rig!.hotline.engine.liveCalls().some((c) => c.stage === 'talking' && c.agent?.agentId === 'a1002'),
    );
    const busy = await rig.hotline.store.getAgent('a1001');
    expect(busy?.status).toMatchObject({ state: 'ready', deviceAvailable: false });
    expect(busy?.status.notReadyReason).toBeUndefined();
    await rig.runUntil('the record', () => rig!.records.records.length === 1);
    expect(rig.records.records[0]).toMatchObject({
      agentId: 'a1002',
      offers: [{ agentId: 'a1001', outcome: 'busy' }],
    });
    // The hold ends (30 s): offered again.
    await rig.advance(31_000);
    expect((await rig.hotline.store.getAgent('a1001'))?.status).toMatchObject({
      state: 'ready',
      deviceAvailable: true,
    });
  });
});

describe('the periodic reconciliation with the PBX', () => {
  it('hangs up an agent leg left behind when its hang-up failed, and counts it', async () => {
    const lines: string[] = [];
    rig = await startRig({
      roster: [generalAgent('a1001')],
      logger: createLogger({
        level: 'warn',
        destination: { write: (l: string) => void lines.push(l) } as unknown as NodeJS.WritableStream,
      }),
    });
    await readyAgents(rig, [{ id: 'a1001', endpoint: 'PJSIP/agent1001', answerAfterMs: 500 }]);
    const { channelId } = rig.sim.injectCall({
      app: 'hotline',
      dialed: '12345',
      callerNumber: '13900000041',
    });
    await rig.runUntil('talking', () => rig!.hotline.engine.call(channelId)?.stage === 'talking');
    const agentLeg = rig.hotline.engine.call(channelId)!.agent!.channelId;
    // The hang-up of the agent's leg fails (as a half-closed socket did on the real PBX).
    rig.sim.failNextRest({ method: 'DELETE', pathPrefix: `/channels/${agentLeg}`, status: 500, count: 1 });
    rig.sim.hangup(channelId);
    await rig.runUntil('the record', () => rig!.records.records.length === 1);
    await rig.settle();
    expect(rig.sim.channels().map((c) => c.id)).toEqual([agentLeg]);
    const metrics = await HotlineMetrics.start(rig.hotline, rig.clock);
    try {
      // Two reconciliations in a row must find it (30 s apart by default).
      await rig.runUntil('the orphan ended', () => noLeaks(rig!), { maxVirtualMs: 120_000 });
      expect(rig.hotline.engine.stats.reconcile).toMatchObject({ orphanChannels: 1, lostChannels: 0 });
      const text = await metrics.registry.metrics();
      expect(text).toMatch(/hotline_reconcile_found_total\{kind="orphan-channel"\} 1/);
      expect(text).toMatch(/hotline_reconcile_found_total\{kind="lost-channel"\} 0/);
      expect(text).toMatch(/hotline_pbx_command_failures_total\{kind="refused"\} 1/);
      expect(lines.some((l) => l.includes('reconciliation: hanging up an orphaned leg'))).toBe(true);
    } finally {
      metrics.stop?.();
    }
  });

  it('finds nothing to end in a healthy run, and leaves live calls alone', async () => {
    rig = await startRig({ roster: [generalAgent('a1001')] });
    await readyAgents(rig, [
      { id: 'a1001', endpoint: 'PJSIP/agent1001', answerAfterMs: 500, hangupAfterMs: 200_000 },
    ]);
    const { channelId } = rig.sim.injectCall({
      app: 'hotline',
      dialed: '12345',
      callerNumber: '13900000042',
    });
    await rig.runUntil('talking', () => rig!.hotline.engine.call(channelId)?.stage === 'talking');
    await rig.advance(130_000);
    expect(rig.hotline.engine.call(channelId)?.stage).toBe('talking');
    expect(rig.hotline.engine.stats.reconcile.runs).toBeGreaterThanOrEqual(4);
    expect(rig.hotline.engine.stats.reconcile).toMatchObject({
      orphanChannels: 0,
      orphanBridges: 0,
      lostChannels: 0,
      endedCalls: 0,
    });
    rig.sim.hangup(channelId);
    await rig.runUntil('no leaks', () => noLeaks(rig!));
  });
});

describe('a caller who hangs up just as the agent answers', () => {
  for (const offset of [-1, 0, 1]) {
    it(`leaves no agent leg behind (caller gone ${offset} ms from the answer)`, async () => {
      rig = await startRig({ roster: [generalAgent('a1001')] });
      await readyAgents(rig, [
        { id: 'a1001', endpoint: 'PJSIP/agent1001', answerAfterMs: 3000, hangupAfterMs: 60_000 },
      ]);
      const { channelId } = rig.sim.injectCall({
        app: 'hotline',
        dialed: '12345',
        callerNumber: '13900000043',
      });
      await rig.runUntil('ringing', () => rig!.hotline.engine.call(channelId)?.stage === 'ringing');
      rig.time!.after(3000 + offset, () => rig!.sim.hangup(channelId));
      await rig.runUntil('the record', () => rig!.records.records.length === 1);
      await rig.runUntil('no leaks', () => noLeaks(rig!), { maxVirtualMs: 5_000 });
      const a = await rig.hotline.store.getAgent('a1001');
      expect(['ready', 'wrap-up']).toContain(a?.status.state);
    });
  }
});
