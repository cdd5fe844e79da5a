import { afterEach, describe, expect, it } from 'vitest';
import { startHotline } from '../../src/app.ts';
import { SteppedClock } from '../../src/clock.ts';
import type { Hotline } from '../../src/hotline.ts';
import { createLogger } from '../../src/log.ts';
import { type AriSimulator, startAriSimulator } from '../../src/sim/index.ts';
import { MemoryRecords, plans, VirtualTime } from '../support/engine-harness.ts';

const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const sims: AriSimulator[] = [];
const engines: Hotline[] = [];
afterEach(async () => {
  for (const e of engines.splice(0)) await e.close().catch(() => undefined);
  for (const s of sims.splice(0)) await s.stop();
});

/** Two simulated Asterisk nodes (`systemname` a and b) and one engine connected to both. */
async function twoNodes(
  roster: { id: string; name: string; pools: string[]; skills: Record<string, number> }[],
) {
  const clock = new SteppedClock(Date.now());
  const a = await startAriSimulator({ clock, logger, systemName: 'a', defaultPlaybackMs: 2000 });
  const b = await startAriSimulator({ clock, logger, systemName: 'b', defaultPlaybackMs: 2000 });
  sims.push(a, b);
  const both = {
    eventWire: () => {
      const [wa, wb] = [a.eventWire(), b.eventWire()];
      return {
        sockets: wa.sockets + wb.sockets,
        framesSent: wa.framesSent + wb.framesSent,
        refusing: wa.refusing || wb.refusing,
      };
    },
  } as unknown as AriSimulator;
  const time = new VirtualTime(clock, { sim: both, engines: () => engines });
  return { clock, a, b, time, roster };
}

async function engineOn(w: Awaited<ReturnType<typeof twoNodes>>, records: MemoryRecords): Promise<Hotline> {
  const h = await startHotline({
    plan: plans.sichuan(),
    ari: {
      url: w.a.url,
      user: 'hotline',
      password: 'hotline',
      apps: ['hotline'],
      maxConnections: 8,
      nodes: [
        { name: 'a', url: w.a.url },
        { name: 'b', url: w.b.url },
      ],
      nodeLostMs: 3_000,
    },
    roster: w.roster,
    records,
    engineId: 'engine-one',
    clock: w.clock,
    logger,
    env: {},
    endpointPollMs: 1_000,
  });
  engines.push(h);
  return h;
}

const agent = (id: string) => ({ id, name: id, pools: ['general'], skills: { general: 5 } });

/** Agent a1001's phone registered on node a, a1002's on node b, both logged in. */
async function agentOnEachNode() {
  const w = await twoNodes([agent('a1001'), agent('a1002')]);
  w.a.setEndpoint('PJSIP/a1001', { behaviour: 'answer', answerAfterMs: 300, online: true });
  w.b.setEndpoint('PJSIP/a1002', { behaviour: 'answer', answerAfterMs: 300, online: true });
  const records = new MemoryRecords();
  const h = await engineOn(w, records);
  await w.time.advance(1_500);
  await h.store.login('a1001', 'PJSIP/a1001');
  await h.store.login('a1002', 'PJSIP/a1002');
  return { w, records, h };
}

describe('one engine over two Asterisk nodes', () => {
  it('serves each call on the node it arrived on, with the ids naming the node', async () => {
    const { w, h } = await agentOnEachNode();
    const onA = w.a.injectCall({ app: 'hotline', dialed: '12345', callerNumber: '13800138010' });
    const onB = w.b.injectCall({ app: 'hotline', dialed: '12345', callerNumber: '13800138011' });
    expect(onA.channelId.startsWith('a-')).toBe(true);
    expect(onB.channelId.startsWith('b-')).toBe(true);
    await w.time.runUntil(
      'both calls talking',
      () =>
        h.engine.call(onA.channelId)?.stage === 'talking' &&
        h.engine.call(onB.channelId)?.stage === 'talking',
    );
    // Each node holds its own call's bridge and agent leg: nothing of one call went to the other node.
    for (const [sim, callId] of [
      [w.a, onA.channelId],
      [w.b, onB.channelId],
    ] as const) {
      const bridgeId = h.engine.call(callId)!.bridgeId!;
      expect(bridgeId.startsWith(callId)).toBe(true);
      expect(sim.bridges().map((x) => x.id)).toContain(bridgeId);
      const agentLeg = h.engine.call(callId)!.agent!.channelId;
      expect(sim.channels().map((c) => c.id)).toContain(agentLeg);
    }
  });

  it("reaches an agent registered on the other node through the inter-node trunk from the call's node", async () => {
    const w = await twoNodes([agent('a1002')]);
    w.b.setEndpoint('PJSIP/a1002', { behaviour: 'answer', answerAfterMs: 300, online: true });
    // Node a's trunk to node b: what `PJSIP/a1002@node-b` dials (node b's [from-nodes] rings the phone).
    w.a.setEndpoint('PJSIP/node-b', { behaviour: 'answer', answerAfterMs: 300, online: true });
    const h = await engineOn(w, new MemoryRecords());
    await w.time.advance(1_500);
    await h.store.login('a1002', 'PJSIP/a1002');
    const call = w.a.injectCall({ app: 'hotline', dialed: '12345', callerNumber: '13800138012' });
    await w.time.runUntil('the call is talking', () => h.engine.call(call.channelId)?.stage === 'talking');
    const s = h.engine.call(call.channelId)!;
    expect(s.agent?.agentId).toBe('a1002');
    const leg = w.a.channels().find((c) => c.id === s.agent!.channelId);
    expect(leg?.endpoint).toBe('PJSIP/a1002@node-b');
    expect(w.b.channels().some((c) => c.id === s.agent!.channelId)).toBe(false);
  });

  it("ends a lost node's calls with disposition pbx-lost and its agent free, and leaves the other node's call alone", async () => {
    const { w, records, h } = await agentOnEachNode();
    const onA = w.a.injectCall({ app: 'hotline', dialed: '12345', callerNumber: '13800138013' });
    const onB = w.b.injectCall({ app: 'hotline', dialed: '12345', callerNumber: '13800138014' });
    await w.time.runUntil(
      'both calls talking',
      () =>
        h.engine.call(onA.channelId)?.stage === 'talking' &&
        h.engine.call(onB.channelId)?.stage === 'talking',
    );
    const agentOnB = h.engine.call(onB.channelId)!.agent!.agentId;

    // Node b goes away: its event connection drops and stays refused.
    w.b.refuseWebSockets(600_000);
    w.b.dropWebSockets();
    await w.time.runUntil('the lost node’s call ended', () => h.engine.call(onB.channelId) === undefined, {
      maxVirtualMs: 10_000,
    });
    await w.time.settle('the record written');
    const lost = records.records.filter((r) => r.callId === onB.channelId);
    expect(lost).toHaveLength(1);
    expect(lost[0]!.disposition).toBe('pbx-lost');
    expect(h.engine.call(onA.channelId)?.stage).toBe('talking');
    expect(records.records.some((r) => r.callId === onA.channelId)).toBe(false);
    // The agent of the lost call is not left reserved or talking.
    const status = (await h.store.listAgents()).find((x) => x.id === agentOnB)?.status;
    // The agent of the lost call is in wrap-up (or ready), never left on the call or reserved.
    expect(['wrap-up', 'ready']).toContain(status?.state);
  });
});
