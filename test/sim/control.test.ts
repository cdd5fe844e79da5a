import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { createLogger } from '../../src/log.ts';
import { type AriSimulator, startAriSimulator } from '../../src/sim/index.ts';
import { type Connected, channelOf, connectAri, framesDelivered, startSim } from './helpers/ari.ts';
import { ariFetch, simFetch } from './helpers/http.ts';

let sim: AriSimulator;
let conn: Connected | undefined;

afterEach(async () => {
  conn?.stop();
  conn = undefined;
  await sim?.stop();
});

describe('the control API', () => {
  it('injects calls over HTTP and names the bad field with a 400', async () => {
    sim = await startSim();
    conn = await connectAri(sim);
    const bad = await simFetch(sim.url, 'POST', '/calls', { app: 'hotline', dialed: '12345' });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 'sim-invalid-input', field: 'callerNumber' });
    const badStep = await simFetch(sim.url, 'POST', '/calls', {
      app: 'hotline',
      dialed: '12345',
      callerNumber: '13800138000',
      script: [{ dtmf: 'x' }],
    });
    expect(badStep.status).toBe(400);
    const ok = await simFetch(sim.url, 'POST', '/calls', {
      app: 'hotline',
      dialed: '12345',
      callerNumber: '13800138000',
    });
    expect(ok.status).toBe(201);
    const { channelId } = ok.body as { channelId: string };
    await conn.waitFor((e) => e.type === 'StasisStart' && channelOf(e)?.id === channelId);
    expect((await simFetch(sim.url, 'GET', '/stats')).body).toMatchObject({
      callsInjected: 1,
      liveChannels: 1,
    });
    const badEndpoint = await simFetch(sim.url, 'POST', '/endpoints', {
      endpoint: 'PJSIP/a1',
      behaviour: 'sing',
    });
    expect(badEndpoint.body).toMatchObject({ field: 'behaviour' });
    expect((await simFetch(sim.url, 'POST', `/channels/${channelId}/hangup`, {})).status).toBe(204);
    // The caller's channel is the app's only while in Stasis: StasisEnd is the last event it gets.
    await conn.waitFor((e) => e.type === 'StasisEnd');
    expect((await simFetch(sim.url, 'GET', `/calls/${channelId}`)).body).toMatchObject({
      hangupBy: 'caller',
    });
    expect((await simFetch(sim.url, 'POST', `/channels/${channelId}/hangup`, {})).status).toBe(404);
  });

  it('records what the caller heard, pressed and who it talked to', async () => {
    sim = await startSim({ promptDurations: { 'sound:welcome': 2000 } });
    sim.setEndpoint('PJSIP/agent1001', { behaviour: 'answer', answerAfterMs: 300 });
    conn = await connectAri(sim);
    const { client } = conn;
    const { channelId } = sim.injectCall({
      app: 'hotline',
      dialed: '12345',
      callerNumber: '13800138000',
      script: [
        { waitForEvent: 'playback' },
        { dtmf: '12', gapMs: 100 },
        { waitForEvent: 'bridged' },
        { wait: 500 },
        { hangup: true },
      ],
    });
    await conn.waitFor((e) => e.type === 'StasisStart');
    await client.channels.answer({ channelId });
    await client.channels.play({ channelId, media: 'sound:welcome', playbackId: 'pb1' });
    await conn.waitFor((e) => e.type === 'PlaybackFinished');
    await client.bridges.create({ bridgeId: 'br', type: 'mixing' });
    await client.channels.originate({
      endpoint: 'PJSIP/agent1001',
      app: 'hotline',
      appArgs: 'agent',
      channelId: 'ag',
    });
    await conn.waitFor((e) => e.type === 'StasisStart' && channelOf(e)?.id === 'ag');
    await client.bridges.addChannel({ bridgeId: 'br', channel: `${channelId},ag` });
    await conn.waitFor((e) => e.type === 'StasisEnd' && channelOf(e)?.id === channelId);
    const outcome = sim.callOutcome(channelId);
    expect(outcome).toMatchObject({
      answered: true,
      dtmf: '12',
      bridgedWith: ['ag'],
      talkedWithEndpoints: ['PJSIP/agent1001'],
      hangupBy: 'caller',
      hangupCause: 16,
    });
    expect(outcome?.prompts).toEqual([
      { media: 'sound:welcome', playbackId: 'pb1', playedMs: 2000, result: 'done' },
    ]);
    const agent = (await client.channels.get({ channelId: 'ag' })) as { state: string };
    expect(agent.state).toBe('Up');
  });

  it('reports endpoint state changes to subscribed apps and fails dials to offline endpoints', async () => {
    sim = await startSim();
    sim.setEndpoint('PJSIP/agent1001', { behaviour: 'answer' });
    conn = await connectAri(sim);
    await conn.client.applications.subscribe({
      applicationName: 'hotline',
      eventSource: 'endpoint:PJSIP/agent1001',
    });
    sim.setEndpoint('PJSIP/agent1001', { behaviour: 'answer', online: false });
    const change = await conn.waitFor((e) => e.type === 'EndpointStateChange');
    expect(change.endpoint).toMatchObject({ resource: 'agent1001', state: 'offline' });
    await conn.waitFor((e) => e.type === 'ContactStatusChange');
    expect((await ariFetch(sim.url, 'GET', '/endpoints/PJSIP/agent1001')).body).toMatchObject({
      state: 'offline',
    });
    await conn.client.channels.originate({ endpoint: 'PJSIP/agent1001', app: 'hotline', channelId: 'off' });
    const destroyed = await conn.waitFor((e) => e.type === 'ChannelDestroyed');
    expect(destroyed.cause).toBe(20);
    expect(conn.ofType('Dial').map((e) => e.dialstatus)).toEqual(['', 'CHANUNAVAIL']);
  });

  it('runs on an injected clock: a prompt ends only when simulated time has passed', async () => {
    const clock = new ManualClock();
    sim = await startAriSimulator({ clock, logger: createLogger({ level: 'silent' }) });
    conn = await connectAri(sim);
    const { channelId } = sim.injectCall({ app: 'hotline', dialed: '12345', callerNumber: '13800138000' });
    await conn.waitFor((e) => e.type === 'StasisStart');
    await conn.client.channels.play({ channelId, media: 'sound:long', playbackId: 'p' });
    clock.advance(0);
    await conn.waitFor((e) => e.type === 'PlaybackStarted');
    clock.advance(2999);
    await framesDelivered(sim, [conn]);
    expect(conn.ofType('PlaybackFinished')).toHaveLength(0);
    expect(((await conn.client.playbacks.get({ playbackId: 'p' })) as { state: string }).state).toBe(
      'playing',
    );
    clock.advance(1);
    const finished = await conn.waitFor((e) => e.type === 'PlaybackFinished');
    expect((finished.playback as { state: string }).state).toBe('done');
  });
});
