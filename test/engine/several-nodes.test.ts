import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.ts';
import { MemoryRecords } from '../support/engine-harness.ts';
import { type Closers, nodesOf, twoNodes } from '../support/two-nodes.ts';

const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const closers: Closers = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close().catch(() => undefined);
});

const agent = (id: string) => ({ id, name: id, pools: ['general'], skills: { general: 5 } });

/** Two simulated nodes (`systemname` a and b) and one engine over both, with these agents. */
async function nodesWith(ids: string[]) {
  const records = new MemoryRecords();
  const w = await twoNodes(closers, logger, { roster: ids.map(agent), records });
  return { w, records, h: w.h };
}

/** Agent a1001's phone registered on node a, a1002's on node b, both logged in. */
async function agentOnEachNode() {
  const { w, records, h } = await nodesWith(['a1001', 'a1002']);
  w.a.setEndpoint('PJSIP/a1001', { behaviour: 'answer', answerAfterMs: 300, online: true });
  w.b.setEndpoint('PJSIP/a1002', { behaviour: 'answer', answerAfterMs: 300, online: true });
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

  it('offers a call the agent on its own node before a longer-idle agent on the other node', async () => {
    const { w, h } = await nodesWith(['a1001', 'a1002']);
    w.a.setEndpoint('PJSIP/a1001', { behaviour: 'answer', answerAfterMs: 300, online: true });
    w.b.setEndpoint('PJSIP/a1002', { behaviour: 'answer', answerAfterMs: 300, online: true });
    // node a's trunk to node b answers: a1002 could be reached from node a too
    w.a.setEndpoint('PJSIP/node-b', { behaviour: 'answer', answerAfterMs: 300, online: true });
    await w.time.advance(1_500);
    // a1002 (node b) is ready first: longest idle, the strategy's own choice for any call
    await h.store.login('a1002', 'PJSIP/a1002');
    await w.time.advance(5_000);
    await h.store.login('a1001', 'PJSIP/a1001');
    const onA = w.a.injectCall({ app: 'hotline', dialed: '12345', callerNumber: '13800138015' });
    await w.time.runUntil('the call is talking', () => h.engine.call(onA.channelId)?.stage === 'talking');
    const s = h.engine.call(onA.channelId)!;
    expect(s.agent?.agentId).toBe('a1001');
    // no leg over the inter-node trunk: the agent's leg is node a's own
    expect(w.a.channels().find((c) => c.id === s.agent!.channelId)?.endpoint).toBe('PJSIP/a1001');
  });

  it("reaches an agent registered on the other node through the inter-node trunk from the call's node", async () => {
    const { w, h } = await nodesWith(['a1002']);
    w.b.setEndpoint('PJSIP/a1002', { behaviour: 'answer', answerAfterMs: 300, online: true });
    // Node a's trunk to node b: what `PJSIP/a1002@node-b` dials (node b's [from-nodes] rings the phone).
    w.a.setEndpoint('PJSIP/node-b', { behaviour: 'answer', answerAfterMs: 300, online: true });
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
    const status = (await h.store.listAgents()).find((x) => x.id === agentOnB)?.status;
    // The agent of the lost call is in wrap-up (or ready), never left on the call or reserved.
    expect(['wrap-up', 'ready']).toContain(status?.state);
  });

  it('drops a carrier channel listed on a node lost before the resync admits it, and goes on', async () => {
    const { w, h } = await agentOnEachNode();
    const onB = w.b.injectCall({ app: 'hotline', dialed: '12345', callerNumber: '13800138014' });
    w.b.refuseWebSockets(600_000);
    w.b.dropWebSockets();
    await w.time.runUntil('node b lost', () => nodesOf(h).find((n) => n.name === 'b')?.lost === true, {
      maxVirtualMs: 10_000,
    });
    const entered = {
      kind: 'channel-entered' as const,
      app: 'hotline',
      channelId: onB.channelId,
      args: [],
      dialed: '12345',
      callerNumber: '13800138014',
      callerName: '',
      state: 'Ring',
    };
    expect(() => h.telephony.admit?.(entered, 'sip-b@carrier')).not.toThrow();
    expect(h.engine.call(onB.channelId)).toBeUndefined();
  });
});
