import { afterEach, describe, expect, it } from 'vitest';
import type { AriSimulator } from '../../src/sim/index.ts';
import { type Connected, connectAri, startSim } from './helpers/ari.ts';
import { ariFetch } from './helpers/http.ts';

let sim: AriSimulator;
let conn: Connected | undefined;

afterEach(async () => {
  conn?.stop();
  conn = undefined;
  await sim?.stop();
});

/** A caller in the app (the channel a snoop listens to). */
async function callerInStasis(): Promise<string> {
  sim = await startSim();
  conn = await connectAri(sim);
  const { channelId } = sim.injectCall({ app: 'hotline', dialed: '12345', callerNumber: '13800138000' });
  await conn.waitFor((e) => e.type === 'StasisStart');
  return channelId;
}

const stasisStartOf = (id: string) => (e: { type: string; channel?: unknown }) =>
  e.type === 'StasisStart' && (e.channel as { id: string }).id === id;

describe('snoop channels', () => {
  it('makes a Snoop/<id> channel, Up, that enters the app with its arguments after the answer', async () => {
    const spied = await callerInStasis();
    const res = await ariFetch(
      sim.url,
      'POST',
      `/channels/${spied}/snoop/mon-1?spy=both&whisper=out&app=hotline&appArgs=monitor,m1`,
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: 'mon-1', state: 'Up' });
    expect((res.body as { name: string }).name).toMatch(
      new RegExp(`^Snoop/${spied.replace('.', '\\.')}-[0-9a-f]{8}$`),
    );
    const start = await conn!.waitFor(stasisStartOf('mon-1'));
    expect(start).toMatchObject({ application: 'hotline', args: ['monitor', 'm1'] });
    expect(sim.channels().find((c) => c.id === 'mon-1')).toMatchObject({
      kind: 'snoop',
      inStasis: true,
      snoop: { of: spied, spy: 'both', whisper: 'out' },
    });
  });

  it('refuses what Asterisk refuses: bad or no direction 400, no app 400, no channel 404', async () => {
    const spied = await callerInStasis();
    const post = (q: string, id = spied) => ariFetch(sim.url, 'POST', `/channels/${id}/snoop?${q}`);
    expect(await post('spy=sideways&app=hotline')).toEqual({
      status: 400,
      body: { message: 'Invalid direction specified for spy' },
    });
    expect(await post('whisper=up&app=hotline')).toMatchObject({ status: 400 });
    expect(await post('app=hotline')).toEqual({
      status: 400,
      body: { message: 'Direction must be specified for at least spy or whisper' },
    });
    expect((await post('spy=in')).status).toBe(400);
    expect(await post('spy=in&app=hotline', 'nope')).toEqual({
      status: 404,
      body: { message: 'Channel not found' },
    });
  });

  it('ends (StasisEnd, then gone) when the channel it listens to hangs up', async () => {
    const spied = await callerInStasis();
    await ariFetch(sim.url, 'POST', `/channels/${spied}/snoop/mon-2?spy=in&app=hotline&appArgs=monitor,m2`);
    await conn!.waitFor(stasisStartOf('mon-2'));
    sim.hangup(spied);
    await conn!.waitFor((e) => e.type === 'StasisEnd' && (e.channel as { id: string }).id === 'mon-2');
    await expect.poll(() => sim.stats().liveChannels).toBe(0);
  });

  it('is hung up by the app like any channel, leaving the channel it listened to alone', async () => {
    const spied = await callerInStasis();
    await ariFetch(sim.url, 'POST', `/channels/${spied}/snoop/mon-3?spy=both&app=hotline`);
    await conn!.waitFor(stasisStartOf('mon-3'));
    expect((await ariFetch(sim.url, 'DELETE', '/channels/mon-3')).status).toBe(204);
    await conn!.waitFor((e) => e.type === 'StasisEnd' && (e.channel as { id: string }).id === 'mon-3');
    expect(sim.channels().map((c) => c.id)).toEqual([spied]);
  });
});
