import { describe, expect, it } from 'vitest';
import type { Command } from '../../../src/calls/core/types.ts';
import { Harness, puyangMenu, sichuan } from './harness.ts';

describe('a call to 12345 in Sichuan', () => {
  it('answers, welcomes the caller, then queues for the 12345 agents with music on hold', () => {
    const h = new Harness();
    expect(h.log[0]).toEqual({ kind: 'answer', channel: 'c1' });
    expect(h.state.playback?.prompt).toBe('welcome-12345');
    const out = h.finishPrompt();
    expect(h.kinds(out)).toEqual(['create-bridge', 'enqueue', 'start-timer', 'start-timer']);
    expect(out[1]).toMatchObject({
      kind: 'enqueue',
      queue: { kind: 'pool', id: 'general', skill: 'general', priority: 5 },
    });
    expect(h.state.stage).toBe('queued');
  });

  it('rings the reserved agent, then bridges caller and agent when the agent answers', () => {
    const h = new Harness();
    h.playAll();
    const offer = h.send({ kind: 'agent-reserved', agentId: 'a1001', endpoint: 'PJSIP/agent1001' }, 2000);
    const originate = offer.find((c) => c.kind === 'originate');
    expect(originate).toMatchObject({ role: 'agent', endpoint: 'PJSIP/agent1001', timeoutSeconds: 15 });
    const channel = (originate as { channelId: string }).channelId;
    const connect = h.send({ kind: 'channel-answered', channel }, 3000);
    expect(h.kinds(connect)).toContain('add-to-bridge');
    expect(connect).toContainEqual({ kind: 'agent-answered', agentId: 'a1001' });
    expect(h.state.stage).toBe('talking');
    expect(h.state.timers).toEqual({});
  });

  it('releases a ringing agent that does not answer (RONA) and waits for the next', () => {
    const h = new Harness();
    h.playAll();
    const offer = h.send({ kind: 'agent-reserved', agentId: 'a1001', endpoint: 'PJSIP/agent1001' });
    const channel = (offer.find((c) => c.kind === 'originate') as { channelId: string }).channelId;
    const out = h.send({ kind: 'channel-ended', channel, cause: 19 }, 15_000);
    expect(out).toContainEqual({ kind: 'agent-release', agentId: 'a1001', outcome: 'rona' });
    expect(h.state.stage).toBe('queued');
    const second = h.send({ kind: 'agent-reserved', agentId: 'a1002', endpoint: 'PJSIP/agent1002' });
    expect(second.find((c) => c.kind === 'originate')).toMatchObject({ endpoint: 'PJSIP/agent1002' });
  });

  it('turns a call that waits too long into a ticket, then hangs up', () => {
    const h = new Harness();
    h.playAll();
    const out = h.fire('max-wait', 300_000);
    expect(h.kinds(out)).toContain('dequeue');
    expect(h.state.playback?.prompt).toBe('ticket-created');
    const end = h.finishPrompt();
    expect(end).toContainEqual({ kind: 'hangup', channel: 'c1', reason: 'normal' });
    h.send({ kind: 'channel-ended', channel: 'c1', cause: 16 });
    expect(h.state.disposition).toBe('ticketed');
    expect(h.state.ticketReason).toBe('max-wait');
  });

  it('counts a caller who hangs up in the queue as abandoned there and cleans up', () => {
    const h = new Harness();
    h.playAll();
    const out = h.send({ kind: 'channel-ended', channel: 'c1', cause: 16 }, 5000);
    expect(h.kinds(out)).toEqual(expect.arrayContaining(['dequeue', 'destroy-bridge', 'ended']));
    expect(h.state.disposition).toBe('abandoned-queue');
    expect(h.state.timers).toEqual({});
  });

  it('cancels the agent offer when the caller hangs up while the agent rings', () => {
    const h = new Harness();
    h.playAll();
    const offer = h.send({ kind: 'agent-reserved', agentId: 'a1001', endpoint: 'PJSIP/agent1001' });
    const channel = (offer.find((c) => c.kind === 'originate') as { channelId: string }).channelId;
    const out = h.send({ kind: 'channel-ended', channel: 'c1', cause: 16 });
    expect(out).toContainEqual({ kind: 'hangup', channel, reason: 'normal' });
    expect(out).toContainEqual({ kind: 'agent-release', agentId: 'a1001', outcome: 'cancelled' });
    expect(h.state.disposition).toBe('abandoned-ringing');
  });

  it('offers the satisfaction survey when the agent hangs up and keeps the score', () => {
    const h = new Harness();
    h.playAll();
    const offer = h.send({ kind: 'agent-reserved', agentId: 'a1001', endpoint: 'PJSIP/agent1001' });
    const channel = (offer.find((c) => c.kind === 'originate') as { channelId: string }).channelId;
    h.send({ kind: 'channel-answered', channel });
    const left = h.send({ kind: 'channel-ended', channel, cause: 16 }, 60_000);
    expect(left).toContainEqual({ kind: 'agent-complete', agentId: 'a1001', talkSeconds: 60 });
    expect(h.state.playback?.prompt).toBe('survey-ask');
    h.send({ kind: 'dtmf', channel: 'c1', digit: '5' });
    expect(h.state.surveyScore).toBe(5);
    expect(h.state.playback?.prompt).toBe('survey-thanks');
    h.finishPrompt();
    h.send({ kind: 'channel-ended', channel: 'c1', cause: 16 });
    expect(h.state.disposition).toBe('answered');
  });

  it('plays the deregistered notice for an old number and still serves the caller', () => {
    const h = new Harness(sichuan, '12300', '2021-10-02T09:00:00');
    expect(h.state.phase.kind).toBe('deregistered');
    h.playAll();
    // 您拨打的 + 12300 digit by digit + the rest of the notice, then the 12345 line's welcome
    expect(h.played()).toEqual([
      'you-dialed',
      'num-yao',
      'num-2',
      'num-3',
      'num-0',
      'num-0',
      'deregistered-notice-a',
      'welcome-12345',
    ]);
    expect(h.state.prompts).toEqual(['deregistered-notice', 'welcome-12345']);
    expect(h.state.queue).toMatchObject({ id: 'general', skill: 'telecom' });
  });

  it('serves a number no line answers as 12345 instead of dropping it', () => {
    const h = new Harness(sichuan, '99999');
    expect(h.state.line.id).toBe('hotline-12345');
    expect(h.state.events[0]?.detail?.unknownNumber).toBe(true);
  });

  it('overflows from an expert seat to the 12345 agents after the overflow wait', () => {
    const h = new Harness(sichuan, '12348', '2021-11-01T10:00:00');
    h.playAll();
    expect(h.state.queue).toMatchObject({ kind: 'expert', id: 'legal' });
    const firstEnqueued = h.state.queue!.enqueuedAt;
    const out = h.fire('overflow', 60_000);
    expect(h.kinds(out)).toContain('dequeue');
    expect(out.find((c) => c.kind === 'enqueue')).toMatchObject({
      queue: { kind: 'pool', id: 'general', skill: 'legal', enqueuedAt: firstEnqueued },
    });
  });
});

describe('menus in the Puyang plan, its first-level 12345 menu switched on', () => {
  it('stops the menu prompt at the first key (barge-in) and follows the option', () => {
    const h = new Harness(puyangMenu);
    h.finishPrompt(); // welcome
    const menuPrompt = h.state.playback!;
    expect(menuPrompt.prompt).toBe('puyang-main-menu');
    const out = h.send({ kind: 'dtmf', channel: 'c1', digit: '0' });
    expect(out[0]).toEqual({ kind: 'stop-playback', playbackId: menuPrompt.id });
    expect(h.state.playback?.prompt).toBe('puyang-emergency-menu');
    h.send({ kind: 'playback-finished', playbackId: menuPrompt.id, failed: false }); // the stopped prompt
    expect(h.state.playback?.prompt).toBe('puyang-emergency-menu');
  });

  it('applies the default action after invalid keys use up the tries', () => {
    const h = new Harness(puyangMenu);
    h.playAll();
    h.send({ kind: 'dtmf', channel: 'c1', digit: '0' });
    h.send({ kind: 'dtmf', channel: 'c1', digit: '9' });
    h.send({ kind: 'dtmf', channel: 'c1', digit: '9' });
    h.playAll();
    expect(h.state.ivrPath.map((p) => p.outcome)).toEqual(['紧急热线联动', 'invalid', 'invalid']);
    expect(h.state.queue).toMatchObject({ id: 'general', priority: 9 });
  });

  it('sends a caller who presses nothing to an agent when the menu times out', () => {
    const h = new Harness(puyangMenu);
    h.playAll();
    h.fire('menu-input', 3000);
    h.playAll();
    expect(h.state.stage).toBe('queued');
  });

  it('dials the emergency line chosen and bridges it with the caller', () => {
    const h = new Harness(puyangMenu);
    h.playAll();
    h.send({ kind: 'dtmf', channel: 'c1', digit: '0' });
    h.send({ kind: 'dtmf', channel: 'c1', digit: '1' });
    h.playAll();
    const originate = h.log.find((c) => c.kind === 'originate') as Extract<Command, { kind: 'originate' }>;
    expect(originate).toMatchObject({ role: 'target', endpoint: 'PJSIP/110@emergency' });
    h.send({ kind: 'channel-answered', channel: originate.channelId });
    expect(h.state.stage).toBe('transferred');
    expect(h.log.at(-1)).toMatchObject({ kind: 'add-to-bridge', channel: originate.channelId });
  });

  it('falls back to an agent with an apology when the emergency line does not answer', () => {
    const h = new Harness(puyangMenu);
    h.playAll();
    h.send({ kind: 'dtmf', channel: 'c1', digit: '0' });
    h.send({ kind: 'dtmf', channel: 'c1', digit: '3' });
    h.playAll();
    const originate = h.log.find((c) => c.kind === 'originate') as Extract<Command, { kind: 'originate' }>;
    h.send({ kind: 'channel-ended', channel: originate.channelId, cause: 17 }, 2000);
    expect(h.state.playback?.prompt).toBe('transfer-failed');
    h.playAll();
    expect(h.state.stage).toBe('queued');
  });

  it('looks up a ticket keyed by the caller and offers an agent after the status', () => {
    const h = new Harness(puyangMenu);
    h.playAll();
    h.send({ kind: 'dtmf', channel: 'c1', digit: '1' });
    h.playAll();
    for (const d of '2021001') h.send({ kind: 'dtmf', channel: 'c1', digit: d });
    const out = h.send({ kind: 'dtmf', channel: 'c1', digit: '#' });
    expect(out).toContainEqual({ kind: 'lookup-ticket', ticketNumber: '2021001' });
    h.send({ kind: 'ticket-status', prompts: null });
    expect(h.state.playback?.prompt).toBe('progress-query-failed');
    h.playAll();
    expect(h.state.stage).toBe('queued');
  });
});
