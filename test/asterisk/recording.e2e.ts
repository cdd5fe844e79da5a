import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseWavHeader } from '../../src/prompts/wav.ts';
import { bridgedWith, channels, newRecords, passed } from './lab/checks.ts';
import { type Lab, startLab, waitFor } from './lab/lab.ts';

// Call recording on a real Asterisk 22.10.1: the engine records the call's bridge through ARI from
// the agent's answer to the end, the call record names the recording, and a supervisor fetches
// its audio through the engine's API (streamed from ARI's stored recording) as a WAV.
let lab: Lab;
const loggedIn = new Set<string>();

beforeAll(async () => {
  lab = await startLab({ agents: [{ id: 'agent2001', skills: { general: 5 } }] });
  await lab.startEngine({ RECORDING: 'on', RECORDING_RETENTION_DAYS: '30' });
});

afterEach(async ({ task }) => {
  await lab.endScenario({ scenario: { name: task.name, failed: task.result?.state === 'fail' }, loggedIn });
});

afterAll(async () => {
  await lab?.stop();
});

describe('call recording on Asterisk 22.10.1', () => {
  it('records a real call from the answer to the end; the API streams it as a non-empty WAV', async () => {
    const agent = await lab.agent('agent2001', { kind: 'answers' });
    loggedIn.add('agent2001');
    await lab.ready('agent2001');
    const before = lab.records().length;
    const caller = lab.call({ dialed: '12345', caller: '13800138021', talkMs: 8000 });
    const { bridge } = await bridgedWith(lab, 'PJSIP/agent2001');

    // While they talk, Asterisk records the call's bridge: a live recording named for the call.
    const callId = bridge.id.replace(/-b\d+$/, '');
    const liveName = await waitFor(
      "a live recording of the call's bridge",
      async () => {
        const stored = (await lab.ari('GET', '/recordings/stored')).body as { name: string }[];
        const name = stored.map((r) => r.name).find((n) => n.includes(callId.replace(/\./g, '_')));
        if (!name) return undefined;
        const live = await lab.ari('GET', `/recordings/live/${name}`);
        return live.status === 200 && (live.body as { state: string }).state === 'recording'
          ? name
          : undefined;
      },
      15_000,
      200,
    );
    expect((await lab.ari('GET', `/recordings/live/${liveName}`)).body).toMatchObject({
      format: 'wav',
      target_uri: `bridge:${bridge.id}`,
    });

    await passed(caller);
    await passed(agent);
    const [record] = await newRecords(lab, before);
    expect(record).toMatchObject({ disposition: 'answered', agentId: 'agent2001' });
    expect(record!.recordings).toHaveLength(1);
    const name = record!.recordings![0]!;
    expect(record!.recording).toBe(name);
    expect(name).toBe(liveName);

    // Asterisk keeps it as a stored recording once the bridge is gone.
    await waitFor(
      `${name} among Asterisk's stored recordings`,
      async () =>
        ((await lab.ari('GET', '/recordings/stored')).body as { name: string }[]).some((r) => r.name === name)
          ? true
          : undefined,
      15_000,
      200,
    );

    const list = await lab.api('GET', '/recordings');
    expect(list.status).toBe(200);
    expect(
      (list.body as { recordings: { recordings: string[]; call?: { caller: string } }[] }).recordings,
    ).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          recordings: [name],
          call: expect.objectContaining({ caller: '138******21' }),
        }),
      ]),
    );

    const audio = await lab.apiBytes(`/recordings/${name}`);
    expect(audio.status).toBe(200);
    expect(audio.type).toBe('audio/wav');
    const wav = parseWavHeader(new Uint8Array(audio.bytes));
    expect(wav).toMatchObject({ format: 1, channels: 1 });
    // About the 8 s the caller talked (from the agent's answer to the caller's hang-up).
    expect(wav.durationMs).toBeGreaterThan(4_000);
    expect(audio.bytes.length).toBeGreaterThan(44 + 4_000 * 16);
  });

  it("records a consult's own bridge as well as the caller's: both names in the record, both WAVs", async () => {
    const agent = await lab.agent('agent2001', { kind: 'answers' });
    loggedIn.add('agent2001');
    await lab.ready('agent2001');
    const tax = lab.peer('sc-tax', { kind: 'answers-hangs-up', talkMs: 8000 });
    const contact = `sc-tax/sip:${lab.peerIps['sc-tax']}`;
    await waitFor(
      `${contact} Avail`,
      async () => {
        await lab.rx('pjsip qualify sc-tax');
        return (await lab.rx('pjsip show contacts'))
          .split('\n')
          .some((l) => l.includes(contact) && /\bAvail\b/.test(l))
          ? true
          : undefined;
      },
      45_000,
      500,
    );
    const before = lab.records().length;
    const caller = lab.call({ dialed: '12345', caller: '13800138022', waitByeMs: 120_000 });
    const { legs } = await bridgedWith(lab, 'PJSIP/agent2001');
    const callId = legs.find((l) => l.name.startsWith('PJSIP/carrier-'))!.id;
    const r = await lab.apiAs('agent2001', 'POST', `/calls/${callId}/transfers`, {
      target: 'subcenter:tax',
      mode: 'consult',
    });
    expect(r.status).toBe(202);
    const { transferId } = r.body as { transferId: string };
    await waitFor(
      'agent and sub-center in a bridge of their own',
      async () => {
        const [bridges, chans] = await Promise.all([lab.ari('GET', '/bridges'), channels(lab)]);
        return (bridges.body as { channels: string[] }[]).some(
          (b) =>
            !b.channels.includes(callId) &&
            b.channels.some((id) => chans.find((c) => c.id === id)?.name.startsWith('PJSIP/sc-tax-')),
        )
          ? true
          : undefined;
      },
      45_000,
      200,
    );
    await new Promise((resolve) => setTimeout(resolve, 2000)); // agent and sub-center talk a little
    const done = await lab.apiAs('agent2001', 'POST', `/calls/${callId}/transfers/${transferId}/complete`);
    expect(done.status).toBeLessThan(300);
    await passed(agent, 30_000);
    await passed(tax, 60_000);
    await passed(caller, 30_000);
    const [record] = await newRecords(lab, before);
    expect(record!.transfers[0]).toMatchObject({ mode: 'consult', result: 'completed' });
    expect(record!.recordings).toHaveLength(2);
    for (const name of record!.recordings!) {
      const audio = await lab.apiBytes(`/recordings/${name}`);
      expect(audio.status).toBe(200);
      const wav = parseWavHeader(new Uint8Array(audio.bytes));
      expect(wav.format).toBe(1);
      expect(wav.durationMs).toBeGreaterThan(1_000);
    }
  }, 200_000);
});
