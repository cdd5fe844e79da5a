import { afterEach, describe, expect, it } from 'vitest';
import type { AriSimulator } from '../../src/sim/index.ts';
import { type AriEventRecord, type Connected, channelOf, connectAri, startSim } from './helpers/ari.ts';

let sim: AriSimulator;
let conn: Connected | undefined;

afterEach(async () => {
  conn?.stop();
  await sim?.stop();
});

const CALLS = 200;

describe('many concurrent calls', () => {
  it('leaves no channels or bridges behind after 200 bridged calls hang up', async () => {
    sim = await startSim({ timeScale: 0.01 });
    sim.setEndpoint('PJSIP/agent', { behaviour: 'answer', answerAfterMs: 500 });
    conn = await connectAri(sim);
    const { client } = conn;
    const agentOf = new Map<string, string>();
    const failures: unknown[] = [];
    const guard = (p: Promise<unknown>): void => {
      p.catch((err: unknown) => failures.push(err));
    };
    client.on('StasisStart', (event: AriEventRecord) => {
      const id = channelOf(event)?.id ?? '';
      const args = event.args as string[];
      if (args[0] === 'agent') {
        const caller = args[1] ?? '';
        guard(client.bridges.addChannel({ bridgeId: `br-${caller}`, channel: `${caller},${id}` }));
        return;
      }
      guard(
        (async () => {
          await client.channels.answer({ channelId: id });
          await client.bridges.create({ bridgeId: `br-${id}`, type: 'mixing' });
          agentOf.set(id, `ag-${id}`);
          await client.channels.originate({
            endpoint: 'PJSIP/agent',
            app: 'hotline',
            appArgs: `agent,${id}`,
            channelId: `ag-${id}`,
          });
        })(),
      );
    });
    client.on('StasisEnd', (event: AriEventRecord) => {
      const id = channelOf(event)?.id ?? '';
      const agent = agentOf.get(id);
      if (!agent) return;
      agentOf.delete(id);
      guard(
        (async () => {
          await client.channels.hangup({ channelId: agent });
          await client.bridges.destroy({ bridgeId: `br-${id}` });
        })(),
      );
    });
    let ended = 0;
    sim.onCallEnded(() => {
      ended++;
    });
    const ids = Array.from({ length: CALLS }, (_, i) =>
      sim.injectCall({
        app: 'hotline',
        dialed: '12345',
        callerNumber: `1380013${String(i).padStart(4, '0')}`,
        script: [{ waitForEvent: 'bridged' }, { wait: 2000 }, { hangup: true }],
      }),
    ).map((c) => c.channelId);
    // Every call ends (each caller hangs up once bridged) and the app tears down what it made; on
    // a busy machine that takes longer, so the limit is only a safety net.
    const deadline = Date.now() + 150_000;
    const done = () =>
      failures.length > 0 ||
      (ended === CALLS && sim.stats().liveChannels === 0 && sim.stats().liveBridges === 0);
    while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(failures).toEqual([]);
    expect(sim.stats()).toMatchObject({
      liveChannels: 0,
      liveBridges: 0,
      callsInjected: CALLS,
      callsCompleted: CALLS,
    });
    const outcome = sim.callOutcome(ids[7] ?? '');
    expect(outcome).toMatchObject({ answered: true, hangupBy: 'caller', hangupCause: 16 });
    expect(outcome?.talkedWithEndpoints).toEqual(['PJSIP/agent']);
  }, 180_000);
});
