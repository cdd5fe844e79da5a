import { afterEach, describe, expect, it } from 'vitest';
import { ariFetch } from '../sim/helpers/http.ts';
import { generalAgent, type Rig, readyAgents, startRig } from '../support/engine-harness.ts';

/**
 * On Asterisk 22.10.1 the app's interest in the caller's channel ends with its StasisEnd: no
 * ChannelDestroyed follows (test/fixtures/ari-traces/asterisk-22.10.1/). The engine takes a leg's
 * StasisEnd as its end, and a ChannelDestroyed that still comes (a leg it originated, or any
 * channel once the app is subscribed to its endpoint or to everything) changes nothing more.
 */

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

const noLeaks = (r: Rig) => r.sim.stats().liveChannels === 0 && r.sim.stats().liveBridges === 0;

async function agentState(r: Rig, id: string): Promise<string | undefined> {
  return (await r.hotline.store.getAgent(id))?.status.state;
}

/** Three calls: the agent hangs up; the caller hangs up while it rings; the caller hangs up in the IVR. */
async function threeCalls(r: Rig): Promise<void> {
  await readyAgents(r, [{ id: 'a1001', endpoint: 'PJSIP/agent1001', hangupAfterMs: 3000 }]);
  r.sim.injectCall({ app: 'hotline', dialed: '12345', callerNumber: '13900000031' });
  await r.runUntil('the first record', () => r.records.records.length === 1);
  await r.runUntil('the agent ready again', async () => (await agentState(r, 'a1001')) === 'ready');
  r.sim.setEndpoint('PJSIP/agent1001', { behaviour: 'answer', answerAfterMs: 10_000, online: true });
  r.sim.injectCall({
    app: 'hotline',
    dialed: '12345',
    callerNumber: '13900000032',
    script: [{ wait: 4000 }, { hangup: true }],
  });
  await r.runUntil('the second record', () => r.records.records.length === 2);
  r.sim.injectCall({
    app: 'hotline',
    dialed: '12345',
    callerNumber: '13900000033',
    script: [{ wait: 1000 }, { hangup: true }],
  });
  await r.runUntil('the third record', () => r.records.records.length === 3);
  await r.runUntil('no leaks', () => noLeaks(r));
  await r.runUntil('the agent ready', async () => (await agentState(r, 'a1001')) === 'ready');
  // Time for anything late (a second end of a leg) to arrive and be acted on.
  await r.advance(60_000);
}

describe('the end of a leg is its StasisEnd', () => {
  it('ends calls on StasisEnd alone, as Asterisk 22.10.1 sends it: records at once, the agent freed', async () => {
    rig = await startRig({ roster: [generalAgent('a1001')] });
    await threeCalls(rig);
    const records = rig.records.records;
    expect(records.map((r) => r.disposition)).toEqual(['answered', 'abandoned-ringing', 'abandoned-ivr']);
    // The engine hung the first caller up (the agent left); the others sent BYE: Normal Clearing.
    expect(records.map((r) => r.hangupCause)).toEqual([16, 16, 16]);
    expect(rig.hotline.engine.liveCalls()).toHaveLength(0);
  });

  it('counts each leg once when ChannelDestroyed follows StasisEnd for every channel (endpoint subscription)', async () => {
    rig = await startRig({ roster: [generalAgent('a1001')] });
    // As an earlier version left it: every event of every PJSIP channel comes again, and the
    // caller's hangup request and ChannelDestroyed come after its StasisEnd.
    const sub = await ariFetch(
      rig.sim.url,
      'POST',
      '/applications/hotline/subscription?eventSource=endpoint:PJSIP',
    );
    expect(sub.status).toBe(200);
    await threeCalls(rig);
    expect(rig.sim.eventsByEndpointSubscription).toBeGreaterThan(0);
    const records = rig.records.records;
    expect(records.map((r) => r.disposition)).toEqual(['answered', 'abandoned-ringing', 'abandoned-ivr']);
    expect(records.map((r) => r.hangupCause)).toEqual([16, 16, 16]);
    expect(new Set(records.map((r) => r.callId)).size).toBe(3);
    expect(rig.hotline.engine.liveCalls()).toHaveLength(0);
  });
});
