import { afterEach, describe, expect, it } from 'vitest';
import type { AriSimulator } from '../../src/sim/index.ts';
import { type Connected, channelOf, connectAri, operationOf, startSim } from './helpers/ari.ts';

let sim: AriSimulator;
let conn: Connected | undefined;

afterEach(async () => {
  conn?.stop();
  conn = undefined;
  await sim?.stop();
});

describe('ari-client against the simulator', () => {
  it('connects and builds its methods from the generated API description', async () => {
    sim = await startSim();
    conn = await connectAri(sim);
    const { client } = conn;
    for (const name of [
      'answer',
      'originate',
      'create',
      'hangup',
      'play',
      'startMoh',
      'dial',
      'get',
      'list',
    ]) {
      expect(typeof operationOf(client, 'channels', name)).toBe('function');
    }
    for (const name of ['create', 'addChannel', 'removeChannel', 'destroy', 'startMoh', 'stopMoh']) {
      expect(typeof operationOf(client, 'bridges', name)).toBe('function');
    }
    expect(typeof client.applications.filter).toBe('function');
    expect(typeof client.playbacks.stop).toBe('function');
    const info = (await client.asterisk.getInfo()) as { system: { version: string } };
    expect(info.system.version).toBe('22.10.1');
  });

  it('delivers StasisStart for an injected call and answers it', async () => {
    sim = await startSim();
    conn = await connectAri(sim);
    const { channelId } = sim.injectCall({ app: 'hotline', dialed: '12345', callerNumber: '13800138000' });
    const start = await conn.waitFor((e) => e.type === 'StasisStart');
    expect(channelOf(start)?.id).toBe(channelId);
    expect(start.args).toEqual(['12345']);
    await conn.client.channels.answer({ channelId });
    const change = await conn.waitFor((e) => e.type === 'ChannelStateChange');
    expect(channelOf(change)?.state).toBe('Up');
    await conn.client.channels.hangup({ channelId, reason: 'busy' });
    // As on Asterisk 22.10.1: the caller's channel is the app's only while in Stasis, so StasisEnd
    // is its last event (no ChannelDestroyed); the channel is gone with the cause asked for.
    await conn.waitFor((e) => e.type === 'StasisEnd');
    expect(sim.callOutcome(channelId)).toMatchObject({ hangupCause: 17 });
    expect(sim.stats().liveChannels).toBe(0);
  });
});
