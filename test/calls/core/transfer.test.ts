import { describe, expect, it } from 'vitest';
import type { Command, TransferMode } from '../../../src/calls/core/types.ts';
import { Harness } from './harness.ts';

const TAX = 'PJSIP/12366@sc-tax';

type Originate = Extract<Command, { kind: 'originate' }>;

/** A caller on 12345 talking with agent a1001 in the call's bridge. */
function talking() {
  const h = new Harness();
  h.playAll();
  const offer = h.send({ kind: 'agent-reserved', agentId: 'a1001', endpoint: 'PJSIP/agent1001' }, 2000);
  const agent = (offer.find((c) => c.kind === 'originate') as Originate).channelId;
  h.send({ kind: 'channel-answered', channel: agent }, 3000);
  expect(h.state.stage).toBe('talking');
  return { h, agent, bridge: h.state.bridgeId! };
}

/** The agent asks for a transfer to the tax sub-center; returns the target's channel. */
function transfer(h: Harness, mode: TransferMode, target = 'subcenter:tax') {
  const out = h.send({ kind: 'transfer-request', target, mode }, 10_000);
  const originate = out.find((c) => c.kind === 'originate') as Originate | undefined;
  return { out, channel: originate?.channelId ?? '' };
}

const notices = (out: Command[]) =>
  out.filter((c) => c.kind === 'notify').map((c) => (c as { event: string }).event);

describe('three-way transfer', () => {
  it('dials the target, joins it to the bridge, and leaves caller and target when the agent drops out', () => {
    const { h, agent, bridge } = talking();
    const start = transfer(h, 'three-way');
    expect(start.out.find((c) => c.kind === 'originate')).toMatchObject({
      role: 'target',
      endpoint: TAX,
      variables: { HOTLINE_CALL_ID: 'c1', HOTLINE_TRANSFER: 'three-way' },
    });
    expect(notices(start.out)).toEqual(['transfer-dialing']);
    expect(h.state.timers['transfer-ring']).toBeDefined();
    expect(h.state.transfers).toMatchObject([
      { mode: 'three-way', target: { kind: 'subcenter', id: 'tax' }, result: 'dialing' },
    ]);

    const answered = h.send({ kind: 'channel-answered', channel: start.channel }, 2000);
    expect(answered).toContainEqual({
      kind: 'add-to-bridge',
      bridgeId: bridge,
      channel: start.channel,
      stopMoh: true,
    });
    expect(notices(answered)).toEqual(['transfer-connected']);
    expect(h.state.stage).toBe('talking');
    expect(h.state.transfers?.[0]?.result).toBe('connected');

    const left = h.send({ kind: 'agent-leave' }, 30_000);
    expect(left).toContainEqual({ kind: 'hangup', channel: agent, reason: 'normal' });
    expect(left).toContainEqual({ kind: 'agent-complete', agentId: 'a1001', talkSeconds: 42 });
    expect(h.state.stage).toBe('transferred');
    expect(h.state.disposition).toBe('transferred');
    expect(h.state.agent).toBeUndefined();
    expect(h.state.target).toMatchObject({ kind: 'subcenter', id: 'tax', channelId: start.channel });
    expect(h.state.transfers?.[0]?.result).toBe('completed');
    expect(h.state.timers).toEqual({});

    const end = h.send({ kind: 'channel-ended', channel: 'c1', cause: 16 }, 60_000);
    expect(end).toContainEqual({ kind: 'hangup', channel: start.channel, reason: 'normal' });
    expect(end).toContainEqual({ kind: 'destroy-bridge', bridgeId: bridge });
    expect(h.state.disposition).toBe('transferred');
    expect(h.state.transfers?.[0]).toMatchObject({ result: 'completed', endedAt: h.now });
  });

  it('keeps the caller with the agent when the target is busy, and tells the agent why', () => {
    const { h } = talking();
    const { channel } = transfer(h, 'three-way');
    const out = h.send({ kind: 'channel-ended', channel, cause: 17 }, 1000);
    expect(h.state.stage).toBe('talking');
    expect(h.state.transfer).toBeUndefined();
    expect(h.state.transfers?.[0]).toMatchObject({ result: 'busy', cause: 17 });
    expect(out.find((c) => c.kind === 'notify')).toMatchObject({
      event: 'transfer-failed',
      detail: { result: 'busy', cause: 17 },
    });
    expect(h.state.events.at(-1)?.what).toBe('transfer-failed');
  });

  it('keeps the caller for the target when the agent leaves before it answers', () => {
    const { h, agent, bridge } = talking();
    const { channel } = transfer(h, 'three-way');
    const left = h.send({ kind: 'channel-ended', channel: agent, cause: 16 }, 3000);
    expect(left).toContainEqual({ kind: 'agent-complete', agentId: 'a1001', talkSeconds: 13 });
    expect(left).toContainEqual({ kind: 'bridge-moh', bridgeId: bridge, on: true });
    expect(h.state.stage).toBe('dialing');
    expect(h.state.timers).toHaveProperty('dial');
    expect(h.state.timers).not.toHaveProperty('transfer-ring');
    h.send({ kind: 'channel-answered', channel }, 2000);
    expect(h.state.stage).toBe('transferred');
    expect(h.log.at(-1)).toEqual({ kind: 'add-to-bridge', bridgeId: bridge, channel, stopMoh: true });
    expect(h.state.transfers?.[0]?.result).toBe('completed');
  });
});

describe('consult transfer', () => {
  it('holds the caller with music while agent and target talk, then completes', () => {
    const { h, agent, bridge } = talking();
    const start = transfer(h, 'consult');
    expect(start.out).toContainEqual({ kind: 'remove-from-bridge', bridgeId: bridge, channel: agent });
    expect(start.out).toContainEqual({ kind: 'bridge-moh', bridgeId: bridge, on: true });
    const consult = h.state.transfer!.consultBridgeId!;
    expect(start.out).toContainEqual({
      kind: 'create-bridge',
      bridgeId: consult,
      channels: [agent],
      moh: false,
    });

    // Completing before the target answers does nothing.
    expect(h.send({ kind: 'transfer-complete' })).toEqual([]);

    const answered = h.send({ kind: 'channel-answered', channel: start.channel }, 2000);
    expect(answered).toContainEqual({ kind: 'add-to-bridge', bridgeId: consult, channel: start.channel });

    const done = h.send({ kind: 'transfer-complete' }, 20_000);
    expect(done).toContainEqual({ kind: 'remove-from-bridge', bridgeId: consult, channel: start.channel });
    expect(done).toContainEqual({
      kind: 'add-to-bridge',
      bridgeId: bridge,
      channel: start.channel,
      stopMoh: true,
    });
    expect(done).toContainEqual({ kind: 'destroy-bridge', bridgeId: consult });
    expect(done).toContainEqual({ kind: 'hangup', channel: agent, reason: 'normal' });
    expect(done.filter((c) => c.kind === 'agent-complete')).toHaveLength(1);
    expect(notices(done)).toEqual(['transfer-completed']);
    expect(h.state.stage).toBe('transferred');
    expect(h.state.agent).toBeUndefined();
    expect(h.state.transfer).toBeUndefined();
    expect(h.state.transfers?.[0]).toMatchObject({ mode: 'consult', result: 'completed' });
  });

  it('hangs up the target on cancel and puts the agent back with the caller', () => {
    const { h, agent, bridge } = talking();
    const { channel } = transfer(h, 'consult');
    const consult = h.state.transfer!.consultBridgeId!;
    h.send({ kind: 'channel-answered', channel }, 2000);
    const out = h.send({ kind: 'transfer-cancel' }, 5000);
    expect(h.kinds(out)).toEqual([
      'hangup',
      'remove-from-bridge',
      'add-to-bridge',
      'destroy-bridge',
      'notify',
    ]);
    expect(out[0]).toEqual({ kind: 'hangup', channel, reason: 'normal' });
    expect(out[2]).toEqual({ kind: 'add-to-bridge', bridgeId: bridge, channel: agent, stopMoh: true });
    expect(out[3]).toEqual({ kind: 'destroy-bridge', bridgeId: consult });
    expect(notices(out)).toEqual(['transfer-cancelled']);
    expect(h.state.stage).toBe('talking');
    expect(h.state.agent?.agentId).toBe('a1001');
    expect(h.state.transfers?.[0]?.result).toBe('cancelled');
    // The target's leg ending afterwards changes nothing.
    expect(h.send({ kind: 'channel-ended', channel, cause: 16 })).toEqual([]);
  });
});

describe('blind transfer', () => {
  it('frees the agent at once and bridges the caller with the target when it answers', () => {
    const { h, agent, bridge } = talking();
    const start = transfer(h, 'blind');
    expect(start.out).toContainEqual({ kind: 'remove-from-bridge', bridgeId: bridge, channel: agent });
    expect(start.out).toContainEqual({ kind: 'hangup', channel: agent, reason: 'normal' });
    expect(start.out).toContainEqual({ kind: 'agent-complete', agentId: 'a1001', talkSeconds: 10 });
    expect(h.state.agent).toBeUndefined();
    expect(h.state.stage).toBe('dialing');
    h.send({ kind: 'channel-answered', channel: start.channel }, 4000);
    expect(h.state.stage).toBe('transferred');
    expect(h.state.disposition).toBe('transferred');
    expect(h.state.transfers).toMatchObject([{ mode: 'blind', result: 'completed', answeredAt: h.now }]);
  });

  it.each([
    ['busy', 17],
    ['no-answer', 19],
  ])('returns the caller to the queue, first in line, when the target is %s', (result, cause) => {
    const { h } = talking();
    const enqueuedAt = h.state.queue!.enqueuedAt;
    const { channel } = transfer(h, 'blind');
    h.send({ kind: 'channel-ended', channel, cause }, 20_000);
    expect(h.state.transfers?.[0]).toMatchObject({ mode: 'blind', result, cause });
    expect(h.state.playback?.prompt).toBe('transfer-failed');
    const back = h.finishPrompt();
    expect(back.find((c) => c.kind === 'enqueue')).toEqual({
      kind: 'enqueue',
      queue: { kind: 'pool', id: 'general', skill: 'general', priority: 9, enqueuedAt },
    });
    expect(h.state.stage).toBe('queued');
    expect(h.state.target).toBeUndefined();
  });

  it('hangs up a target that rings past its timeout', () => {
    const { h } = talking();
    const { channel } = transfer(h, 'blind');
    const out = h.fire('dial', 40_000);
    expect(out).toEqual([{ kind: 'hangup', channel, reason: 'no_answer' }]);
  });
});

describe('transfer to an expert seat', () => {
  it('frees the agent and queues the caller there with top priority', () => {
    const { h, agent } = talking();
    const enqueuedAt = h.state.queue!.enqueuedAt;
    const { out } = transfer(h, 'blind', 'expert:legal');
    expect(out.find((c) => c.kind === 'originate')).toBeUndefined();
    expect(out).toContainEqual({ kind: 'hangup', channel: agent, reason: 'normal' });
    expect(notices(out)).toEqual(['transfer-completed']);
    expect(out.find((c) => c.kind === 'enqueue')).toEqual({
      kind: 'enqueue',
      queue: { kind: 'expert', id: 'legal', skill: 'legal', priority: 9, enqueuedAt },
    });
    expect(h.state.stage).toBe('queued');
    expect(h.state.agent).toBeUndefined();
    expect(h.state.transfers).toMatchObject([
      { mode: 'blind', target: { kind: 'expert', id: 'legal' }, result: 'queued' },
    ]);
  });
});

describe('refused and ticketed', () => {
  it('ignores a transfer to a target the plan does not have, and one while another is under way', () => {
    const { h } = talking();
    expect(h.send({ kind: 'transfer-request', target: 'subcenter:nope', mode: 'blind' })).toEqual([]);
    transfer(h, 'three-way');
    expect(h.send({ kind: 'transfer-request', target: 'subcenter:tax', mode: 'blind' })).toEqual([]);
    expect(h.state.transfers).toHaveLength(1);
  });

  it('records a ticket dispatched to a sub-center and tells the agent', () => {
    const { h } = talking();
    const out = h.send({ kind: 'ticket-dispatch', target: 'subcenter:tax', reason: '派发工单' });
    expect(notices(out)).toEqual(['ticket-dispatched']);
    expect(h.state.transfers).toMatchObject([{ mode: 'ticket', result: 'ticket', reason: '派发工单' }]);
    expect(h.state.stage).toBe('talking');
  });

  it('hangs up the target and the consult bridge when the caller hangs up mid-consult', () => {
    const { h } = talking();
    const { channel } = transfer(h, 'consult');
    const consult = h.state.transfer!.consultBridgeId!;
    const out = h.send({ kind: 'channel-ended', channel: 'c1', cause: 16 }, 5000);
    expect(out).toContainEqual({ kind: 'hangup', channel, reason: 'normal' });
    expect(out).toContainEqual({ kind: 'destroy-bridge', bridgeId: consult });
    expect(h.state.transfers?.[0]?.result).toBe('cancelled');
    expect(h.state.disposition).toBe('answered');
  });
});

describe('consult with an expert seat', () => {
  /** The agent asks to consult the legal expert seat; the ACD reserves e2001 for it. */
  function consulting() {
    const { h, agent, bridge } = talking();
    const enqueuedAt = h.state.queue!.enqueuedAt;
    const start = h.send({ kind: 'transfer-request', target: 'expert:legal', mode: 'consult' }, 10_000);
    const consult = h.state.transfer!.consultBridgeId!;
    const xid = h.state.transfer!.id;
    const reserved = h.send({ kind: 'agent-reserved', agentId: 'e2001', endpoint: 'PJSIP/e2001' }, 2000);
    const expert = (reserved.find((c) => c.kind === 'originate') as Originate).channelId;
    return { h, agent, bridge, consult, expert, start, reserved, enqueuedAt, xid };
  }

  it('keeps the agent on the call, holds the caller and offers the consult at the expert seat', () => {
    const { h, agent, bridge, consult, expert, start, reserved, enqueuedAt, xid } = consulting();
    expect(start).toContainEqual({ kind: 'remove-from-bridge', bridgeId: bridge, channel: agent });
    expect(start).toContainEqual({ kind: 'bridge-moh', bridgeId: bridge, on: true });
    expect(start).toContainEqual({ kind: 'create-bridge', bridgeId: consult, channels: [agent], moh: false });
    expect(start.find((c) => c.kind === 'enqueue')).toEqual({
      kind: 'enqueue',
      entry: xid,
      queue: { kind: 'expert', id: 'legal', skill: 'legal', priority: 9, enqueuedAt },
    });
    expect(h.kinds(start)).not.toContain('agent-complete');
    expect(h.kinds(start)).not.toContain('hangup');
    expect(notices(start)).toEqual(['transfer-dialing']);
    expect(reserved.find((c) => c.kind === 'originate')).toMatchObject({
      role: 'agent',
      endpoint: 'PJSIP/e2001',
      timeoutSeconds: 15,
      variables: { HOTLINE_CALL_ID: 'c1', HOTLINE_TRANSFER: 'consult', HOTLINE_TOPIC: 'legal' },
    });
    expect(reserved).toContainEqual(
      expect.objectContaining({ kind: 'notify', agentId: 'e2001', event: 'offered' }),
    );
    expect(h.state.stage).toBe('talking');
    expect(h.state.agent?.agentId).toBe('a1001');
    expect(h.state.transfer).toMatchObject({
      mode: 'consult',
      target: { kind: 'expert', id: 'legal' },
      channelId: expert,
    });
    expect(h.state.queue).toMatchObject({ kind: 'pool', id: 'general' });
    // Completing before the expert answers does nothing.
    expect(h.send({ kind: 'transfer-complete' })).toEqual([]);
  });

  it('completes: the expert takes the caller and the agent leaves to wrap-up', () => {
    const { h, agent, bridge, consult, expert, xid } = consulting();
    const answered = h.send({ kind: 'channel-answered', channel: expert }, 3000);
    expect(answered).toContainEqual({ kind: 'add-to-bridge', bridgeId: consult, channel: expert });
    expect(answered).toContainEqual({ kind: 'agent-answered', agentId: 'e2001', entry: xid });
    expect(notices(answered)).toEqual(['connected', 'transfer-connected']);
    expect(h.state.transfers?.[0]).toMatchObject({ result: 'connected', answeredAt: h.now });

    const done = h.send({ kind: 'transfer-complete' }, 20_000);
    expect(done).toContainEqual({ kind: 'add-to-bridge', bridgeId: bridge, channel: expert, stopMoh: true });
    expect(done).toContainEqual({ kind: 'hangup', channel: agent, reason: 'normal' });
    expect(done).toContainEqual({ kind: 'destroy-bridge', bridgeId: consult });
    // The first agent answered 3 s in and talked until the hand-over, 35 s later.
    expect(done.filter((c) => c.kind === 'agent-complete')).toEqual([
      { kind: 'agent-complete', agentId: 'a1001', talkSeconds: 35 },
    ]);
    expect(h.state.stage).toBe('talking');
    expect(h.state.agent).toMatchObject({ agentId: 'e2001', channelId: expert });
    expect(h.state.transfer).toBeUndefined();
    expect(h.state.transfers).toMatchObject([
      { mode: 'consult', target: { kind: 'expert', id: 'legal' }, result: 'completed', endedAt: h.now },
    ]);
    expect(h.state.timers).toEqual({});

    // The caller and the expert talk on; the expert's talk time counts from their answer.
    const end = h.send({ kind: 'channel-ended', channel: 'c1', cause: 16 }, 60_000);
    expect(end).toContainEqual({ kind: 'agent-complete', agentId: 'e2001', talkSeconds: 80, entry: xid });
    expect(h.state.disposition).toBe('answered');
    expect(h.state.events.filter((e) => e.what === 'connected')).toMatchObject([
      { detail: { agent: 'a1001' } },
    ]);
  });

  it('cancels: the expert is let go and the agent is back with the caller', () => {
    const { h, agent, bridge, consult, expert, xid } = consulting();
    h.send({ kind: 'channel-answered', channel: expert }, 3000);
    const out = h.send({ kind: 'transfer-cancel' }, 5000);
    expect(out).toContainEqual({ kind: 'hangup', channel: expert, reason: 'normal' });
    expect(out).toContainEqual({ kind: 'agent-complete', agentId: 'e2001', talkSeconds: 5, entry: xid });
    expect(out).toContainEqual({ kind: 'add-to-bridge', bridgeId: bridge, channel: agent, stopMoh: true });
    expect(out).toContainEqual({ kind: 'destroy-bridge', bridgeId: consult });
    expect(h.kinds(out)).not.toContain('dequeue');
    expect(notices(out)).toEqual(['transfer-cancelled', 'ended']);
    expect(h.state.stage).toBe('talking');
    expect(h.state.agent?.agentId).toBe('a1001');
    expect(h.state.transfer).toBeUndefined();
    expect(h.state.transfers?.[0]).toMatchObject({ mode: 'consult', result: 'cancelled' });
    // The expert's leg ending afterwards changes nothing.
    expect(h.send({ kind: 'channel-ended', channel: expert, cause: 16 })).toEqual([]);
  });

  it('cancels while the expert rings: the offer is released, the call leaves the seat', () => {
    const { h, expert, xid } = consulting();
    const out = h.send({ kind: 'transfer-cancel' }, 2000);
    expect(out).toContainEqual({ kind: 'hangup', channel: expert, reason: 'normal' });
    expect(out).toContainEqual({ kind: 'agent-release', agentId: 'e2001', outcome: 'cancelled', entry: xid });
    expect(h.state.transfers?.[0]?.result).toBe('cancelled');
    expect(h.state.timers).toEqual({});
  });

  it('returns the caller to the agent when the expert does not answer', () => {
    const { h, agent, bridge, consult, expert, xid } = consulting();
    expect(h.fire('transfer-ring', 18_000)).toEqual([
      { kind: 'hangup', channel: expert, reason: 'no_answer' },
    ]);
    const out = h.send({ kind: 'channel-ended', channel: expert, cause: 19 });
    expect(out).toContainEqual({ kind: 'agent-release', agentId: 'e2001', outcome: 'rona', entry: xid });
    expect(out).toContainEqual({ kind: 'dequeue', entry: xid });
    expect(out).toContainEqual({ kind: 'add-to-bridge', bridgeId: bridge, channel: agent, stopMoh: true });
    expect(out).toContainEqual({ kind: 'destroy-bridge', bridgeId: consult });
    expect(out.find((c) => c.kind === 'notify')).toMatchObject({
      agentId: 'a1001',
      event: 'transfer-failed',
      detail: { result: 'no-answer', cause: 19 },
    });
    expect(h.state.stage).toBe('talking');
    expect(h.state.agent?.agentId).toBe('a1001');
    expect(h.state.transfers?.[0]).toMatchObject({ mode: 'consult', result: 'no-answer', cause: 19 });
    // A reservation arriving late is refused.
    expect(h.send({ kind: 'agent-reserved', agentId: 'e2002', endpoint: 'PJSIP/e2002' })).toEqual([
      { kind: 'agent-release', agentId: 'e2002', outcome: 'cancelled' },
    ]);
  });

  it("returns the caller to the agent when the expert's leg cannot be made", () => {
    const { h, agent, bridge, reserved, xid } = consulting();
    const originate = reserved.find((c) => c.kind === 'originate')!;
    const out = h.send({ kind: 'command-failed', command: originate, status: 500 });
    expect(out).toContainEqual({ kind: 'agent-release', agentId: 'e2001', outcome: 'failed', entry: xid });
    expect(out).toContainEqual({ kind: 'dequeue', entry: xid });
    expect(out).toContainEqual({ kind: 'add-to-bridge', bridgeId: bridge, channel: agent, stopMoh: true });
    expect(h.state.transfers?.[0]).toMatchObject({ result: 'failed', cause: 500 });
    expect(h.state.agent?.agentId).toBe('a1001');
  });

  it('returns the caller to the agent when nobody at the seat is free within its longest wait', () => {
    const { h, agent, bridge } = talking();
    h.send({ kind: 'transfer-request', target: 'expert:legal', mode: 'consult' }, 10_000);
    expect(h.state.transfer?.channelId).toBe('');
    const xid = h.state.transfer!.id;
    const out = h.fire('expert-wait', 300_000);
    expect(out).toContainEqual({ kind: 'dequeue', entry: xid });
    expect(out).toContainEqual({ kind: 'add-to-bridge', bridgeId: bridge, channel: agent, stopMoh: true });
    expect(h.state.transfers?.[0]).toMatchObject({ result: 'no-answer' });
    expect(h.state.stage).toBe('talking');
  });

  it('lets the expert go when the caller hangs up mid-consult', () => {
    const { h, agent, consult, expert, xid } = consulting();
    h.send({ kind: 'channel-answered', channel: expert }, 3000);
    const out = h.send({ kind: 'channel-ended', channel: 'c1', cause: 16 }, 5000);
    expect(out).toContainEqual({ kind: 'hangup', channel: expert, reason: 'normal' });
    expect(out).toContainEqual({ kind: 'agent-complete', agentId: 'e2001', talkSeconds: 5, entry: xid });
    expect(out).toContainEqual({ kind: 'hangup', channel: agent, reason: 'normal' });
    expect(out).toContainEqual({ kind: 'agent-complete', agentId: 'a1001', talkSeconds: 20 });
    expect(out).toContainEqual({ kind: 'destroy-bridge', bridgeId: consult });
    expect(h.state.transfers?.[0]?.result).toBe('cancelled');
    expect(h.state.stage).toBe('ended');
  });

  it('hands the caller to an expert who answered when the agent leaves', () => {
    const { h, agent, bridge, expert } = consulting();
    h.send({ kind: 'channel-answered', channel: expert }, 3000);
    const out = h.send({ kind: 'agent-leave' }, 5000);
    expect(out).toContainEqual({ kind: 'hangup', channel: agent, reason: 'normal' });
    expect(out).toContainEqual({ kind: 'add-to-bridge', bridgeId: bridge, channel: expert, stopMoh: true });
    expect(h.state.agent?.agentId).toBe('e2001');
    expect(h.state.transfers?.[0]?.result).toBe('completed');
  });

  it('queues the caller at the seat, first in line, when the agent leaves before an expert answers', () => {
    const { h, enqueuedAt, xid } = consulting();
    const out = h.send({ kind: 'agent-leave' }, 2000);
    expect(out).toContainEqual({ kind: 'agent-release', agentId: 'e2001', outcome: 'cancelled', entry: xid });
    expect(out.find((c) => c.kind === 'enqueue')).toEqual({
      kind: 'enqueue',
      queue: { kind: 'expert', id: 'legal', skill: 'legal', priority: 9, enqueuedAt },
    });
    expect(h.state.stage).toBe('queued');
    expect(h.state.agent).toBeUndefined();
    expect(h.state.transfers?.[0]?.result).toBe('queued');
  });
});
