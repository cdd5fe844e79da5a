import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { STASIS_RETRY } from '../../src/deploy/extensions.ts';
import type { AriSimulator, CallOutcome } from '../../src/sim/index.ts';
import {
  type Connected,
  channelOf,
  connectAri,
  connectAriWith,
  framesDelivered,
  startSim,
} from './helpers/ari.ts';

let sim: AriSimulator;
const conns: Connected[] = [];

afterEach(async () => {
  for (const c of conns.splice(0)) c.stop();
  await sim?.stop();
});

async function connect(apps: string | string[] = 'hotline'): Promise<Connected> {
  const c = await connectAri(sim, apps);
  conns.push(c);
  return c;
}

async function answeredCall(conn: Connected): Promise<string> {
  const { channelId } = sim.injectCall({ app: 'hotline', dialed: '12345', callerNumber: '13800138000' });
  await conn.waitFor((e) => e.type === 'StasisStart' && channelOf(e)?.id === channelId);
  await conn.client.channels.answer({ channelId });
  return channelId;
}

interface AppDetails {
  channel_ids: string[];
  bridge_ids: string[];
  events_disallowed: Array<{ type: string }>;
}

describe('Stasis applications', () => {
  it('stops sending the event types an eventFilter disallows', async () => {
    sim = await startSim();
    const conn = await connect();
    const first = await answeredCall(conn);
    await conn.client.channels.hangup({ channelId: first });
    await conn.waitFor((e) => e.type === 'StasisEnd');
    expect(conn.ofType('ChannelVarset').length).toBeGreaterThan(0);

    const app = (await conn.client.applications.filter({
      applicationName: 'hotline',
      filter: { disallowed: [{ type: 'ChannelVarset' }, { type: 'ChannelStateChange' }] },
    })) as AppDetails;
    expect(app.events_disallowed).toEqual([{ type: 'ChannelVarset' }, { type: 'ChannelStateChange' }]);
    const seen = conn.events.length;
    const second = await answeredCall(conn);
    await conn.client.channels.hangup({ channelId: second });
    await conn.waitFor((e) => e.type === 'StasisEnd' && channelOf(e)?.id === second);
    const after = conn.events.slice(seen).map((e) => e.type);
    expect(after).not.toContain('ChannelVarset');
    expect(after).not.toContain('ChannelStateChange');
    expect(after).toContain('StasisEnd');
  });

  it('delivers only allowed types when an allowed list is set', async () => {
    sim = await startSim();
    const conn = await connect();
    await conn.client.applications.filter({
      applicationName: 'hotline',
      filter: { allowed: [{ type: 'StasisStart' }, { type: 'StasisEnd' }, { type: 'ChannelDestroyed' }] },
    });
    const id = await answeredCall(conn);
    await conn.client.channels.hangup({ channelId: id });
    await conn.waitFor((e) => e.type === 'StasisEnd');
    // As on Asterisk 22.10.1: the caller's channel is the app's only while in Stasis, so its
    // ChannelDestroyed (allowed) never comes.
    await framesDelivered(sim, [conn]);
    expect(conn.events.map((e) => e.type)).toEqual(['StasisStart', 'StasisEnd']);
  });

  it('tells the old WebSocket ApplicationReplaced when a second one takes the app', async () => {
    sim = await startSim();
    const old = await connect();
    const fresh = await connect();
    await old.waitFor((e) => e.type === 'ApplicationReplaced');
    sim.injectCall({ app: 'hotline', dialed: '12345', callerNumber: '13800138000' });
    await fresh.waitFor((e) => e.type === 'StasisStart');
    // Every frame sent so far has arrived: a StasisStart the old WebSocket lacks was never sent.
    await framesDelivered(sim, [old, fresh]);
    expect(old.ofType('StasisStart')).toHaveLength(0);
  });

  it('keeps calls in Stasis while the WebSocket is down and lists them after the reconnect', async () => {
    sim = await startSim();
    const conn = await connect();
    const kept = await answeredCall(conn);
    const gone = await answeredCall(conn);
    await conn.client.bridges.create({ bridgeId: 'b-kept', type: 'mixing' });
    await conn.client.bridges.addChannel({ bridgeId: 'b-kept', channel: kept });
    expect(sim.dropWebSockets('hotline')).toBe(1);
    sim.hangup(gone);
    const during = conn.events.length;
    await new Promise<void>((resolve) => conn.client.once('WebSocketConnected', () => resolve()));
    expect(conn.events.slice(during).some((e) => channelOf(e)?.id === gone)).toBe(false);
    expect(sim.stats().eventsDropped).toBeGreaterThan(0);
    const app = (await conn.client.applications.get({ applicationName: 'hotline' })) as AppDetails;
    expect(app.channel_ids).toEqual([kept]);
    expect(app.bridge_ids).toEqual(['b-kept']);
    const channels = (await conn.client.channels.list()) as Array<{ id: string; state: string }>;
    expect(channels.map((c) => [c.id, c.state])).toEqual([[kept, 'Up']]);
    sim.hangup(kept);
    await conn.waitFor((e) => e.type === 'StasisEnd' && channelOf(e)?.id === kept);
  });

  it('sends BridgeDestroyed only to apps subscribed to the bridge', async () => {
    sim = await startSim();
    const conn = await connect();
    await conn.client.bridges.create({ bridgeId: 'quiet', type: 'mixing' });
    await conn.client.bridges.create({ bridgeId: 'watched', type: 'mixing' });
    await conn.client.applications.subscribe({ applicationName: 'hotline', eventSource: 'bridge:watched' });
    await conn.client.bridges.destroy({ bridgeId: 'quiet' });
    await conn.client.bridges.destroy({ bridgeId: 'watched' });
    const destroyed = await conn.waitFor((e) => e.type === 'BridgeDestroyed');
    expect((destroyed.bridge as { id: string }).id).toBe('watched');
    expect(conn.ofType('BridgeDestroyed')).toHaveLength(1);
  });

  it('serves several apps on one WebSocket, each call to its own app', async () => {
    sim = await startSim();
    const conn = await connect(['hotline', 'hotline-b']);
    sim.injectCall({ app: 'hotline-b', dialed: '12366', callerNumber: '13900139000' });
    const start = await conn.waitFor((e) => e.type === 'StasisStart');
    expect(start.application).toBe('hotline-b');
    expect(start.args).toEqual(['12366']);
  });

  it('counts a call to an app without a WebSocket as a dialplan fallback, never losing it', async () => {
    sim = await startSim();
    const ended: CallOutcome[] = [];
    sim.onCallEnded((o) => ended.push(o));
    const call = sim.injectCall({ app: 'nobody', dialed: '12345', callerNumber: '13800138000' });
    expect(call.fallback).toBe(true);
    expect(sim.stats()).toMatchObject({ callsInjected: 1, callsFallback: 1, liveChannels: 0 });
    expect(ended.map((o) => [o.channelId, o.fallback])).toEqual([[call.channelId, true]]);
    expect(sim.callOutcome(call.channelId)?.hangupBy).toBe('dialplan');
  });

  it('rings and retries like the shipped dialplan, so an engine back on its WebSocket gets the call', async () => {
    // The dialplan's time moves only when the test moves it: ari-client connects, however long that
    // takes, while the dialplan waits between two rounds.
    const clock = new ManualClock();
    sim = await startSim({ clock, timeScale: 1 });
    const ended: CallOutcome[] = [];
    sim.onCallEnded((o) => ended.push(o));
    const dialplan = { apps: ['hotline-b'], ...STASIS_RETRY };
    const call = sim.injectCall({ app: 'hotline', dialed: '12345', callerNumber: '13800138000', dialplan });
    expect(call.fallback).toBe(false);
    expect(sim.stats()).toMatchObject({ liveChannels: 0, callsFallback: 0 });
    const conn = await connect('hotline-b');
    clock.advance(STASIS_RETRY.waitMs); // the second round finds the app
    const start = await conn.waitFor((e) => e.type === 'StasisStart');
    expect(channelOf(start)?.id).toBe(call.channelId);
    expect(start.application).toBe('hotline-b');
    expect(sim.callOutcome(call.channelId)?.app).toBe('hotline-b');

    const lost = sim.injectCall({
      app: 'nobody',
      dialed: '12345',
      callerNumber: '13800138000',
      dialplan: STASIS_RETRY,
    });
    const allRounds = (STASIS_RETRY.rounds - 1) * STASIS_RETRY.waitMs;
    clock.advance(allRounds - 1);
    expect(ended).toEqual([]); // still ringing through the rounds
    clock.advance(1);
    expect(ended.map((o) => [o.channelId, o.fallback, o.hangupBy])).toEqual([
      [lost.channelId, true, 'dialplan'],
    ]);
    expect(ended[0]!.durationMs).toBeGreaterThanOrEqual(allRounds);
  });

  it('shows an app subscribed to everything the dialplan steps before StasisStart', async () => {
    sim = await startSim();
    const all = await connectAriAll();
    sim.injectCall({ app: 'hotline', dialed: '12345', callerNumber: '13800138000' });
    await all.waitFor((e) => e.type === 'StasisStart');
    expect(all.events.map((e) => e.type)).toEqual([
      'ChannelCreated',
      'ChannelDialplan',
      'ChannelDialplan',
      'ChannelVarset',
      'StasisStart',
    ]);
  });

  it('ends its interest in a caller at StasisEnd, and in an originated leg at ChannelDestroyed (Asterisk 22.10.1)', async () => {
    // test/fixtures/ari-traces/asterisk-22.10.1/12345-agent-answers-then-hangs-up.jsonl
    sim = await startSim();
    sim.setEndpoint('PJSIP/agent1001', { behaviour: 'answer' });
    const conn = await connect();
    const caller = await answeredCall(conn);
    const subscribed = await answeredCall(conn);
    await conn.client.applications.subscribe({
      applicationName: 'hotline',
      eventSource: `channel:${subscribed}`,
    });
    await conn.client.channels.originate({ endpoint: 'PJSIP/agent1001', app: 'hotline', channelId: 'ag' });
    await conn.waitFor((e) => e.type === 'StasisStart' && channelOf(e)?.id === 'ag');
    sim.hangup('ag');
    await conn.client.channels.hangup({ channelId: caller });
    await conn.client.channels.hangup({ channelId: subscribed });
    await conn.waitFor((e) => e.type === 'ChannelDestroyed' && channelOf(e)?.id === 'ag');
    await conn.waitFor((e) => e.type === 'ChannelDestroyed' && channelOf(e)?.id === subscribed);
    await framesDelivered(sim, [conn]);
    const last = (id: string) =>
      conn.events
        .filter((e) => channelOf(e)?.id === id && e.type !== 'ChannelVarset')
        .map((e) => e.type)
        .slice(-2);
    expect(last(caller)).toEqual(['ChannelHangupRequest', 'StasisEnd']);
    expect(last('ag')).toEqual(['StasisEnd', 'ChannelDestroyed']);
    expect(last(subscribed)).toEqual(['ChannelHangupRequest', 'ChannelDestroyed']);
    const app = (await conn.client.applications.get({ applicationName: 'hotline' })) as AppDetails;
    expect(app.channel_ids).toEqual([]);
  });

  it('cancels an outbound leg the app hangs up while it rings', async () => {
    sim = await startSim();
    sim.setEndpoint('PJSIP/agent1001', { behaviour: 'no-answer' });
    const conn = await connect();
    await conn.client.channels.originate({
      endpoint: 'PJSIP/agent1001',
      app: 'hotline',
      channelId: 'ring-1',
    });
    await conn.waitFor((e) => e.type === 'Dial' && e.dialstatus === 'RINGING');
    await conn.client.channels.hangup({ channelId: 'ring-1' });
    const destroyed = await conn.waitFor((e) => e.type === 'ChannelDestroyed');
    expect(destroyed.cause).toBe(16);
    expect(conn.ofType('Dial').map((e) => e.dialstatus)).toEqual(['', 'RINGING', 'CANCEL']);
    expect(conn.ofType('StasisStart')).toHaveLength(0);
  });
});

async function connectAriAll(): Promise<Connected> {
  const c = await connectAriWith(sim, 'hotline', true);
  conns.push(c);
  return c;
}
