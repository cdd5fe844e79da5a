import { afterEach, describe, expect, it } from 'vitest';
import { parseWavHeader } from '../../src/prompts/wav.ts';
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

/** A caller in a bridge of the app's (its events reach the app through the channel). */
async function bridged(): Promise<{ bridgeId: string }> {
  sim = await startSim();
  conn = await connectAri(sim);
  const { channelId } = sim.injectCall({ app: 'hotline', dialed: '12345', callerNumber: '13800138000' });
  await conn.waitFor((e) => e.type === 'StasisStart');
  await conn.client.channels.answer({ channelId });
  await conn.client.bridges.create({ bridgeId: 'b1', type: 'mixing' });
  await conn.client.bridges.addChannel({ bridgeId: 'b1', channel: channelId });
  return { bridgeId: 'b1' };
}

describe('recordings in the simulator, as ARI has them', () => {
  it('records a bridge: 201 queued, RecordingStarted, then RecordingFinished and a stored WAV when the bridge goes', async () => {
    const { bridgeId } = await bridged();
    const started = await ariFetch(
      sim.url,
      'POST',
      `/bridges/${bridgeId}/record?name=r1&format=wav&maxSilenceSeconds=0`,
    );
    expect(started).toEqual({
      status: 201,
      body: { name: 'r1', format: 'wav', state: 'queued', target_uri: 'bridge:b1' },
    });
    const e = await conn!.waitFor((x) => x.type === 'RecordingStarted');
    expect(e.recording).toMatchObject({ name: 'r1', state: 'recording', target_uri: 'bridge:b1' });
    expect((await ariFetch(sim.url, 'GET', '/recordings/live/r1')).body).toMatchObject({
      state: 'recording',
    });
    // Listed among the stored recordings from its start (its file is in the folder).
    expect((await ariFetch(sim.url, 'GET', '/recordings/stored')).body).toEqual([
      { name: 'r1', format: 'wav' },
    ]);

    await conn!.client.bridges.destroy({ bridgeId });
    const done = await conn!.waitFor((x) => x.type === 'RecordingFinished');
    expect(done.recording).toMatchObject({ name: 'r1', state: 'done', duration: expect.any(Number) });
    // Without silence detection Asterisk reports no talking or silence durations.
    expect(done.recording).not.toHaveProperty('talking_duration');
    expect((await ariFetch(sim.url, 'GET', '/recordings/live/r1')).status).toBe(404);
    expect((await ariFetch(sim.url, 'GET', '/recordings/stored/r1')).body).toEqual({
      name: 'r1',
      format: 'wav',
    });
    const file = await fetch(`${sim.url}/ari/recordings/stored/r1/file`, {
      headers: { authorization: basic() },
    });
    expect(file.status).toBe(200);
    const info = parseWavHeader(new Uint8Array(await file.arrayBuffer()));
    expect(info).toMatchObject({ format: 1, channels: 1, sampleRate: 8000, bitsPerSample: 16 });

    expect((await ariFetch(sim.url, 'DELETE', '/recordings/stored/r1')).status).toBe(204);
    expect((await ariFetch(sim.url, 'DELETE', '/recordings/stored/r1')).status).toBe(404);
    expect((await ariFetch(sim.url, 'GET', '/recordings/stored/r1/file')).status).toBe(404);
    expect((await ariFetch(sim.url, 'GET', '/recordings/stored')).body).toEqual([]);
  });

  it('refuses what Asterisk refuses: no bridge 404, unknown format 422, a name taken 409, no name 400', async () => {
    const { bridgeId } = await bridged();
    expect((await ariFetch(sim.url, 'POST', '/bridges/nope/record?name=x&format=wav')).status).toBe(404);
    expect((await ariFetch(sim.url, 'POST', `/bridges/${bridgeId}/record?name=x&format=mp9`)).status).toBe(
      422,
    );
    expect((await ariFetch(sim.url, 'POST', `/bridges/${bridgeId}/record?format=wav`)).status).toBe(400);
    expect((await ariFetch(sim.url, 'POST', `/bridges/${bridgeId}/record?name=x&format=wav`)).status).toBe(
      201,
    );
    expect((await ariFetch(sim.url, 'POST', `/bridges/${bridgeId}/record?name=x&format=wav`)).status).toBe(
      409,
    );
  });

  it('stops a live recording and keeps it, or cancels it and keeps nothing', async () => {
    const { bridgeId } = await bridged();
    await ariFetch(sim.url, 'POST', `/bridges/${bridgeId}/record?name=kept&format=wav`);
    await ariFetch(sim.url, 'POST', `/bridges/${bridgeId}/record?name=dropped&format=wav`);
    expect((await ariFetch(sim.url, 'POST', '/recordings/live/kept/stop')).status).toBe(204);
    expect((await ariFetch(sim.url, 'DELETE', '/recordings/live/dropped')).status).toBe(204);
    expect((await ariFetch(sim.url, 'GET', '/recordings/stored')).body).toEqual([
      { name: 'kept', format: 'wav' },
    ]);
  });
});
