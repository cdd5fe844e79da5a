import { describe, expect, it } from 'vitest';
import { parseRecordingName } from '../../../src/calls/core/recording-name.ts';
import type { Command } from '../../../src/calls/core/types.ts';
import { Harness } from './harness.ts';

/** A call on 12345 queued in the general pool, recording on or off; agent a1001 is offered it. */
function offered(record: boolean): Harness {
  const h = new Harness();
  h.state.record = record || undefined;
  h.playAll();
  expect(h.state.stage).toBe('queued');
  h.send({ kind: 'agent-reserved', agentId: 'a1001', endpoint: 'PJSIP/agent1001' });
  expect(h.state.stage).toBe('ringing');
  return h;
}

const records = (cmds: Command[]) => cmds.filter((c) => c.kind === 'record-bridge');

describe('the recording decision', () => {
  it("records the call's bridge when the agent answers, after the agent joins it", () => {
    const h = offered(true);
    expect(records(h.log)).toEqual([]);
    const out = h.send({ kind: 'channel-answered', channel: h.state.offer!.channelId }, 3000);
    const bridgeId = h.state.bridgeId!;
    const join = out.findIndex((c) => c.kind === 'add-to-bridge' || c.kind === 'create-bridge');
    const rec = out.findIndex((c) => c.kind === 'record-bridge');
    expect(join).toBeGreaterThanOrEqual(0);
    expect(rec).toBeGreaterThan(join);
    expect(out[rec]).toEqual({ kind: 'record-bridge', bridgeId, name: h.state.recordings![0]!.name });
    expect(h.state.recordings).toEqual([{ name: expect.any(String), bridgeId, startedAt: h.now }]);
    expect(parseRecordingName(h.state.recordings![0]!.name)).toEqual({
      startedAt: Math.floor(h.now / 1000) * 1000,
      callId: 'c1',
    });
  });

  it('records each bridge once, however many turns follow', () => {
    const h = offered(true);
    h.send({ kind: 'channel-answered', channel: h.state.offer!.channelId });
    h.send({ kind: 'dtmf', channel: 'c1', digit: '5' });
    h.send({ kind: 'transfer-request', target: 'subcenter:tax', mode: 'three-way' });
    expect(records(h.log)).toHaveLength(1);
  });

  it('records nothing when recording is off', () => {
    const h = offered(false);
    h.send({ kind: 'channel-answered', channel: h.state.offer!.channelId });
    expect(records(h.log)).toEqual([]);
    expect(h.state.recordings).toBeUndefined();
  });

  it('marks a recording the PBX refused as failed and does not ask again', () => {
    const h = offered(true);
    const out = h.send({ kind: 'channel-answered', channel: h.state.offer!.channelId });
    const command = records(out)[0]!;
    h.send({ kind: 'command-failed', command, status: 409 });
    expect(h.state.recordings).toEqual([expect.objectContaining({ failed: true })]);
    h.send({ kind: 'dtmf', channel: 'c1', digit: '5' });
    expect(records(h.log)).toHaveLength(1);
    expect(h.state.events.filter((e) => e.what === 'recording').at(-1)?.detail).toMatchObject({
      failed: true,
      status: 409,
    });
  });
});
