import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { ManualClock } from '../../src/clock.ts';
import type { AriSimulator } from '../../src/sim/index.ts';
import { type Connected, connectAri, startSim } from './helpers/ari.ts';
import { ariFetch, basic } from './helpers/http.ts';

let sim: AriSimulator;
let conn: Connected | undefined;

afterEach(async () => {
  conn?.stop();
  conn = undefined;
  await sim?.stop();
});

const errorOf = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
  } catch (err) {
    return (JSON.parse((err as Error).message) as { message: string }).message;
  }
  throw new Error('expected the request to fail');
};

describe('ARI REST errors', () => {
  it('answers 404 "Channel not found" for every request on a channel that is gone', async () => {
    sim = await startSim();
    conn = await connectAri(sim);
    const { channelId } = sim.injectCall({ app: 'hotline', dialed: '12345', callerNumber: '13800138000' });
    await conn.waitFor((e) => e.type === 'StasisStart');
    sim.hangup(channelId);
    await conn.waitFor((e) => e.type === 'StasisEnd');
    expect(await ariFetch(sim.url, 'GET', `/channels/${channelId}`)).toEqual({
      status: 404,
      body: { message: 'Channel not found' },
    });
    expect((await ariFetch(sim.url, 'DELETE', `/channels/${channelId}`)).status).toBe(404);
    expect((await ariFetch(sim.url, 'POST', `/channels/${channelId}/answer`)).status).toBe(404);
    expect(await errorOf(conn.client.channels.answer({ channelId }))).toBe('Channel not found');
  });

  it('refuses with 422 to bridge an originated channel before its own StasisStart', async () => {
    // The agent answers only when the test moves the simulator's time on.
    const clock = new ManualClock();
    sim = await startSim({ clock, timeScale: 1 });
    sim.setEndpoint('PJSIP/agent1001', { behaviour: 'answer', answerAfterMs: 5000 });
    conn = await connectAri(sim);
    await conn.client.bridges.create({ bridgeId: 'b1', type: 'mixing' });
    await conn.client.channels.originate({
      endpoint: 'PJSIP/agent1001',
      app: 'hotline',
      channelId: 'agent-1',
    });
    expect(await errorOf(conn.client.bridges.addChannel({ bridgeId: 'b1', channel: 'agent-1' }))).toBe(
      'Channel not in Stasis application',
    );
    const res = await ariFetch(sim.url, 'POST', '/bridges/b1/addChannel?channel=agent-1');
    expect(res.status).toBe(422);
    clock.advance(5000);
    await conn.waitFor((e) => e.type === 'StasisStart');
    await conn.client.bridges.addChannel({ bridgeId: 'b1', channel: 'agent-1' });
    expect(sim.bridges()[0]?.channels).toEqual(['agent-1']);
  });

  it('answers 401 without valid credentials, on REST and on the WebSocket', async () => {
    sim = await startSim();
    expect((await ariFetch(sim.url, 'GET', '/channels', null)).status).toBe(401);
    expect((await ariFetch(sim.url, 'GET', '/channels', basic('hotline', 'wrong'))).status).toBe(401);
    expect((await ariFetch(sim.url, 'GET', '/channels')).status).toBe(200);
    const wsUrl = `${sim.url.replace('http', 'ws')}/ari/events?app=hotline&api_key=hotline:nope`;
    const status = await new Promise<number>((resolve) => {
      const ws = new WebSocket(wsUrl);
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => resolve(101));
      ws.on('error', () => undefined);
    });
    expect(status).toBe(401);
  });

  it('fails exactly the next matching requests when told to', async () => {
    sim = await startSim();
    sim.failNextRest({ method: 'GET', pathPrefix: '/bridges', status: 503, count: 2 });
    expect((await ariFetch(sim.url, 'GET', '/channels')).status).toBe(200);
    expect((await ariFetch(sim.url, 'GET', '/bridges')).status).toBe(503);
    expect((await ariFetch(sim.url, 'GET', '/bridges')).status).toBe(503);
    expect((await ariFetch(sim.url, 'GET', '/bridges')).status).toBe(200);
  });

  it('maps hangup reasons to causes and rejects unknown ones', async () => {
    sim = await startSim();
    conn = await connectAri(sim);
    const { channelId } = sim.injectCall({ app: 'hotline', dialed: '12345', callerNumber: '13800138000' });
    await conn.waitFor((e) => e.type === 'StasisStart');
    expect((await ariFetch(sim.url, 'DELETE', `/channels/${channelId}?reason=nonsense`)).status).toBe(400);
    // Subscribed explicitly, the app still gets the channel's ChannelDestroyed after its StasisEnd.
    await conn.client.applications.subscribe({
      applicationName: 'hotline',
      eventSource: `channel:${channelId}`,
    });
    await conn.client.channels.hangup({ channelId, reason: 'congestion' });
    const destroyed = await conn.waitFor((e) => e.type === 'ChannelDestroyed');
    expect([destroyed.cause, destroyed.cause_txt]).toEqual([34, 'Circuit/channel congestion']);
  });
});
