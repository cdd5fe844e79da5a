import { describe, expect, it } from 'vitest';
import type { Command } from '../../../src/calls/core/types.ts';
import { buildCallRecord } from '../../../src/records/record.ts';
import { CallRecord } from '../../../src/records/schema.ts';
import { sichuanWithCallbacks } from '../../support/callback-plan.ts';
import { Harness } from './harness.ts';

const plan = sichuanWithCallbacks();
const CITIZEN = 'PJSIP/13800138000@citizen-trunk';

const find = <K extends Command['kind']>(out: Command[], kind: K) =>
  out.find((c) => c.kind === kind) as Extract<Command, { kind: K }> | undefined;

/** A caller in the general queue (Sichuan 12345) who has heard the call-back offer. */
function offered(caller = '13800138000'): Harness {
  const h = new Harness(plan, '12345', '2026-11-24T10:00:00', caller);
  h.playAll();
  h.fire('callback-offer', 60_000);
  return h;
}

/** A caller who asked for the call-back, heard the confirmation and was hung up. */
function pending(): Harness {
  const h = offered();
  h.send({ kind: 'dtmf', channel: 'c1', digit: '1' }, 2000);
  h.playAll();
  h.send({ kind: 'channel-ended', channel: 'c1', cause: 16 });
  return h;
}

/** A pending call-back whose agent answered: the caller's number rings. */
function dialing(): { h: Harness; agentLeg: string; citizenLeg: string } {
  const h = pending();
  const offer = h.send({ kind: 'agent-reserved', agentId: 'a1001', endpoint: 'PJSIP/agent1001' }, 30_000);
  const agentLeg = find(offer, 'originate')!.channelId;
  const answered = h.send({ kind: 'channel-answered', channel: agentLeg }, 3000);
  const citizenLeg = find(answered, 'originate')!.channelId;
  return { h, agentLeg, citizenLeg };
}

describe('the call-back offer', () => {
  it('comes once the caller has waited the threshold, with the key read out', () => {
    const h = new Harness(plan);
    h.playAll();
    const queue = h.state.queue!;
    expect(h.state.timerDue?.['callback-offer']).toBe(queue.enqueuedAt + 60_000);
    h.fire('callback-offer', 60_000);
    h.playAll();
    expect(h.played().slice(-3)).toEqual(['callback-offer-a', 'num-1', 'callback-offer-b']);
    expect(h.state.callback).toMatchObject({ status: 'offered', key: '1', number: '13800138000' });
    expect(h.state.stage).toBe('queued');
  });

  it('waits for an announcement playing when it falls due', () => {
    const h = new Harness(plan);
    h.playAll();
    h.send({ kind: 'position', ahead: 3, expectedWaitSeconds: 120 }, 45_000);
    expect(h.state.playback).toBeDefined();
    h.fire('callback-offer', 15_000);
    expect(h.state.callback).toBeUndefined();
    h.playAll();
    h.fire('callback-offer', 3000);
    expect(h.state.playback?.prompt).toBe('callback-offer-a');
  });

  it('is not made to a caller whose number cannot be dialled back, nor in a queue without call-backs', () => {
    const withheld = new Harness(plan, '12345', '2026-11-24T10:00:00', 'anonymous');
    withheld.playAll();
    expect(withheld.state.timers['callback-offer']).toBeUndefined();
    const shipped = new Harness();
    shipped.playAll();
    expect(shipped.state.timers['callback-offer']).toBeUndefined();
  });
});

describe('asking for a call-back', () => {
  it('keeps the place in the queue, confirms, then hangs up the caller', () => {
    const h = offered();
    const queue = { ...h.state.queue! };
    expect(h.send({ kind: 'dtmf', channel: 'c1', digit: '2' })).toEqual([]);
    const out = h.send({ kind: 'dtmf', channel: 'c1', digit: '1' }, 2000);
    expect(out).toContainEqual({ kind: 'mark-callback', requestedAt: h.now });
    expect(h.kinds(out)).not.toContain('dequeue');
    expect(h.state.playback?.prompt).toBe('callback-confirm');
    expect(Object.keys(h.state.timers)).toEqual([]);
    const end = h.finishPrompt();
    expect(end).toContainEqual({ kind: 'hangup', channel: 'c1', reason: 'normal' });
    const gone = h.send({ kind: 'channel-ended', channel: 'c1', cause: 16 });
    expect(h.kinds(gone)).toEqual(['destroy-bridge']);
    expect(h.state.stage).toBe('queued');
    expect(h.state.queue).toEqual(queue);
    expect(h.state.callerChannel).toBe('');
    expect(h.state.callback).toMatchObject({ status: 'pending', firstChannel: 'c1' });
  });

  it('plays nothing to the absent caller and releases an agent who does not answer', () => {
    const h = pending();
    const offer = h.send({ kind: 'agent-reserved', agentId: 'a1001', endpoint: 'PJSIP/agent1001' });
    const leg = find(offer, 'originate')!.channelId;
    const out = h.send({ kind: 'channel-ended', channel: leg, cause: 19 }, 15_000);
    expect(out).toContainEqual({ kind: 'agent-release', agentId: 'a1001', outcome: 'rona' });
    expect(h.state.stage).toBe('queued');
    expect(h.send({ kind: 'position', ahead: 1, expectedWaitSeconds: 30 })).toEqual([]);
    expect(h.kinds(h.log)).not.toContain('ask-position');
    expect(h.state.callback?.status).toBe('pending');
  });

  it('serves the caller at once when an agent is free before the confirmation is over', () => {
    const h = offered();
    h.send({ kind: 'dtmf', channel: 'c1', digit: '1' });
    const offer = h.send({ kind: 'agent-reserved', agentId: 'a1001', endpoint: 'PJSIP/agent1001' });
    const leg = find(offer, 'originate')!.channelId;
    expect(h.state.callback?.status).toBe('cancelled');
    h.send({ kind: 'channel-answered', channel: leg }, 3000);
    expect(h.state.stage).toBe('talking');
    expect(h.state.callerChannel).toBe('c1');
  });
});

describe('calling back', () => {
  it('rings the agent first, then the caller on the outbound trunk, and bridges them', () => {
    const h = pending();
    const offer = h.send({ kind: 'agent-reserved', agentId: 'a1001', endpoint: 'PJSIP/agent1001' }, 30_000);
    expect(find(offer, 'originate')).toMatchObject({ role: 'agent', endpoint: 'PJSIP/agent1001' });
    const agentLeg = find(offer, 'originate')!.channelId;
    const answered = h.send({ kind: 'channel-answered', channel: agentLeg }, 3000);
    expect(find(answered, 'create-bridge')).toMatchObject({ channels: [agentLeg], moh: true });
    expect(answered).toContainEqual({ kind: 'agent-answered', agentId: 'a1001' });
    expect(find(answered, 'originate')).toMatchObject({
      role: 'target',
      endpoint: CITIZEN,
      callerId: { number: '12345' },
      timeoutSeconds: 20,
    });
    expect(h.state.stage).toBe('dialing');
    const citizenLeg = find(answered, 'originate')!.channelId;
    const connect = h.send({ kind: 'channel-answered', channel: citizenLeg }, 8000);
    expect(connect).toContainEqual({
      kind: 'add-to-bridge',
      bridgeId: h.state.bridgeId,
      channel: citizenLeg,
      stopMoh: true,
    });
    expect(h.state).toMatchObject({ stage: 'talking', callerChannel: citizenLeg, disposition: 'answered' });
    const end = h.send({ kind: 'channel-ended', channel: citizenLeg, cause: 16 }, 120_000);
    expect(find(end, 'agent-complete')).toMatchObject({ agentId: 'a1001', talkSeconds: 120 });
    const record = CallRecord.parse(buildCallRecord(h.state));
    expect(record).toMatchObject({
      disposition: 'answered',
      agentId: 'a1001',
      talkSeconds: 120,
      callback: { outcome: 'connected', attempts: [{ result: 'answered' }] },
    });
    expect(Date.parse(record.callback!.requestedAt!)).toBe(h.state.arrivedAt + 1000 + 60_000 + 2000);
  });

  it('tries the caller again after the interval, then gives up, releases the agent and ends the call', () => {
    const { h, agentLeg, citizenLeg } = dialing();
    const first = h.send({ kind: 'channel-ended', channel: citizenLeg, cause: 19 }, 20_000);
    expect(h.kinds(first)).not.toContain('hangup');
    expect(h.state.callback?.status).toBe('retry-wait');
    expect(h.state.timerDue?.['callback-retry']).toBe(h.now + 20_000);
    const retry = h.fire('callback-retry', 20_000);
    expect(find(retry, 'originate')).toMatchObject({ role: 'target', endpoint: CITIZEN });
    const second = find(retry, 'originate')!.channelId;
    expect(h.fire('callback-ring', 23_000)).toContainEqual({
      kind: 'hangup',
      channel: second,
      reason: 'no_answer',
    });
    const end = h.send({ kind: 'channel-ended', channel: second, cause: 16 });
    expect(end).toContainEqual({ kind: 'hangup', channel: agentLeg, reason: 'normal' });
    expect(end).toContainEqual({ kind: 'agent-complete', agentId: 'a1001', talkSeconds: 0 });
    expect(h.kinds(end)).toEqual(expect.arrayContaining(['destroy-bridge', 'notify', 'ended']));
    expect(h.state).toMatchObject({ stage: 'ended', disposition: 'callback-unanswered' });
    const record = CallRecord.parse(buildCallRecord(h.state));
    expect(record.callback).toMatchObject({
      outcome: 'unanswered',
      attempts: [
        { result: 'no-answer', cause: 19 },
        { result: 'no-answer', cause: 16 },
      ],
    });
    expect(record.agentId).toBeUndefined();
  });

  it('puts the call-back back in its place when the agent hangs up while the caller rings', () => {
    const { h, citizenLeg } = dialing();
    const enqueuedAt = h.state.queue!.enqueuedAt;
    expect(h.state.agent).toBeUndefined();
    const out = h.send(
      { kind: 'channel-ended', channel: h.state.callback!.agent!.channelId, cause: 16 },
      5000,
    );
    expect(out).toContainEqual({ kind: 'hangup', channel: citizenLeg, reason: 'normal' });
    expect(find(out, 'agent-complete')).toMatchObject({ agentId: 'a1001' });
    expect(find(out, 'enqueue')?.queue.enqueuedAt).toBe(enqueuedAt);
    expect(h.state).toMatchObject({ stage: 'queued', callback: { status: 'pending' } });
    expect(h.state.callback?.agent).toBeUndefined();
  });

  it('treats a refused dial of the caller as a failed attempt', () => {
    const { h, citizenLeg } = dialing();
    const originate = h.log.find((c) => c.kind === 'originate' && c.channelId === citizenLeg)!;
    h.send({ kind: 'command-failed', command: originate, status: 500 });
    expect(h.state.callback?.attempts[0]).toMatchObject({ result: 'failed' });
    expect(h.state.callback?.status).toBe('retry-wait');
  });

  it('keeps old records valid: a call without a call-back has none', () => {
    const h = new Harness(plan);
    h.playAll();
    h.send({ kind: 'channel-ended', channel: 'c1', cause: 16 }, 5000);
    expect(CallRecord.parse(buildCallRecord(h.state)).callback).toBeUndefined();
  });
});
