import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type AriChannel, bridgedWith, channels, passed } from './lab/checks.ts';
import { type Lab, startLab, waitFor } from './lab/lab.ts';

// Supervisor monitoring (监听 / 耳语 / 强插) on a real Asterisk 22.10.1: the supervisor's phone is
// a SIPp UAS registered like an agent's (agent5009, never logged in as an agent); the engine snoops
// on the agent's leg through ARI and bridges the supervisor's leg with the snoop channel.
let lab: Lab;
const loggedIn = new Set<string>();
const SUP = 'PJSIP/agent5009';

beforeAll(async () => {
  lab = await startLab({ agents: [{ id: 'agent5001' }, { id: 'agent5009' }] });
  await lab.startEngine();
  // Asterisk logs the engine's ARI requests and events: what the snoops were asked for.
  await lab.rx('ari set debug all on');
});

afterEach(async ({ task }) => {
  await lab.endScenario({
    scenario: { name: task.name, failed: task.result?.state === 'fail' },
    loggedIn,
    phones: ['agent5001', 'agent5009'],
  });
});

afterAll(async () => {
  await lab?.stop();
});

interface Bridge {
  id: string;
  channels: string[];
}

const bridges = async () => (await lab.ari('GET', '/bridges')).body as Bridge[];
const snoops = async (): Promise<AriChannel[]> =>
  (await channels(lab)).filter((c) => c.name.startsWith('Snoop/'));
const supervisorLeg = async () => (await channels(lab)).find((c) => c.name.startsWith(`${SUP}-`));

/** A caller talking with agent5001 (who hangs up after `talkMs`), and the supervisor's phone ready. */
async function talkingCall(caller: string, talkMs: number) {
  const agent = await lab.agent('agent5001', { kind: 'answers-hangs-up', talkMs });
  loggedIn.add('agent5001');
  await lab.ready('agent5001');
  const supervisor = await lab.agent('agent5009', { kind: 'answers' });
  const call = lab.call({ dialed: '12345', caller, waitByeMs: 120_000 });
  const { bridge, legs } = await bridgedWith(lab, 'PJSIP/agent5001');
  const callId = legs.find((l) => l.name.startsWith('PJSIP/carrier-'))!.id;
  const agentLeg = legs.find((l) => l.name.startsWith('PJSIP/agent5001-'))!;
  await waitFor('the engine sees the call talking', async () => {
    const r = await lab.api('GET', `/calls/${callId}`);
    return (r.body as { stage?: string }).stage === 'talking';
  });
  return { agent, supervisor, call, callId, agentLeg, callBridge: bridge.id };
}

/** The engine's snoop requests since `from` in Asterisk's ARI log, with Asterisk's answer to each. */
function snoopRequests(from: number): { query: Record<string, string>; path: string; status?: number }[] {
  const trace = lab.ariTrace(from);
  const out: { query: Record<string, string>; path: string; status?: number }[] = [];
  trace.forEach((e, i) => {
    if (e.kind !== 'request' || !/\/channels\/[^/]+\/snoop\//.test(e.path)) return;
    const answer = trace.slice(i + 1).find((r) => r.kind === 'response' && r.peer === e.peer);
    out.push({
      query: e.query,
      path: e.path,
      ...(answer?.kind === 'response' ? { status: answer.status } : {}),
    });
  });
  return out;
}

/** The supervisor's leg and exactly one snoop (on the agent's leg) share a bridge apart from the call. */
async function supervisorWithSnoop(callBridge: string): Promise<{ snoop: AriChannel; sup: AriChannel }> {
  let found: { snoop: AriChannel; sup: AriChannel } | undefined;
  await waitFor(
    'the supervisor bridged with one snoop channel',
    async () => {
      const [list, sup, all] = await Promise.all([snoops(), supervisorLeg(), bridges()]);
      if (list.length !== 1 || !sup) return false;
      const own = all.find((b) => b.channels.includes(sup.id));
      if (!own || own.id === callBridge || !own.channels.includes(list[0]!.id)) return false;
      found = { snoop: list[0]!, sup };
      return true;
    },
    30_000,
    200,
  );
  return found!;
}

describe('a supervisor on a real call', () => {
  it('listens through a snoop on the agent, whispers, barges, and stops, leaving the call and then nothing', async () => {
    const from = lab.ariTrace().length;
    const t = await talkingCall('13800138501', 40_000);
    const start = await lab.api('POST', `/calls/${t.callId}/monitor`, { mode: 'listen', endpoint: SUP });
    expect(start.status).toBe(201);
    const listening = await supervisorWithSnoop(t.callBridge);
    // The snoop listens to the agent's leg, both directions, whispering nothing.
    expect(listening.snoop.name.startsWith(`Snoop/${t.agentLeg.id}-`)).toBe(true);
    const [asked] = snoopRequests(from);
    expect(asked).toMatchObject({ query: { spy: 'both', whisper: 'none' }, status: 200 });
    expect(asked!.path).toContain(`/channels/${t.agentLeg.id}/snoop/`);
    // Asterisk put the snoop into the app with the engine's arguments, as the simulator does.
    const entered = lab
      .ariTrace(from)
      .find(
        (e) =>
          e.kind === 'event' &&
          e.event.type === 'StasisStart' &&
          (e.event.channel as { id: string }).id === listening.snoop.id,
      );
    expect(entered?.kind === 'event' && entered.event).toMatchObject({
      args: ['monitor', expect.any(String)],
      channel: { state: 'Up', dialplan: { context: 'default', exten: 's', app_name: 'Stasis' } },
    });
    // The call's own bridge still holds only the caller and the agent.
    expect((await bridges()).find((b) => b.id === t.callBridge)?.channels).toHaveLength(2);

    const whisper = await lab.api('PATCH', `/calls/${t.callId}/monitor`, { mode: 'whisper' });
    expect(whisper.status).toBe(200);
    await waitFor('a whisper snoop in place of the listening one', async () => {
      const list = await snoops();
      return list.length === 1 && list[0]!.id !== listening.snoop.id;
    });
    await supervisorWithSnoop(t.callBridge);
    expect(snoopRequests(from)[1]).toMatchObject({ query: { spy: 'both', whisper: 'out' }, status: 200 });

    const barge = await lab.api('PATCH', `/calls/${t.callId}/monitor`, { mode: 'barge' });
    expect(barge.status).toBe(200);
    await waitFor('the supervisor in the call bridge, no snoop left', async () => {
      const [list, sup, all] = await Promise.all([snoops(), supervisorLeg(), bridges()]);
      const call = all.find((b) => b.id === t.callBridge);
      return (
        list.length === 0 &&
        sup !== undefined &&
        call?.channels.length === 3 &&
        call.channels.includes(sup.id)
      );
    });

    const stop = await lab.api('DELETE', `/calls/${t.callId}/monitor`);
    expect(stop.status).toBe(200);
    await passed(t.supervisor, 30_000);
    expect(t.supervisor.received('BYE')).toHaveLength(1);
    await waitFor('only the call left', async () => {
      const list = await channels(lab);
      return list.length === 2 && list.every((c) => c.id === t.callId || c.id === t.agentLeg.id);
    });
    await waitFor('only the call bridge left', async () => {
      const all = await bridges();
      return all.length === 1 && all[0]!.id === t.callBridge;
    });
    await passed(t.agent, 60_000);
    await passed(t.call, 60_000);
    const audit = await lab.api('GET', '/admin/audit?limit=20');
    const actions = (audit.body as { entries: { action: string; callId?: string }[] }).entries
      .filter((e) => e.callId === t.callId)
      .map((e) => e.action)
      .reverse();
    expect(actions).toEqual(['monitor-start', 'monitor-mode', 'monitor-mode', 'monitor-end']);
  });

  it('the call ending (the agent hangs up) ends the snoop and the supervisor leg', async () => {
    const t = await talkingCall('13800138502', 12_000);
    const start = await lab.api('POST', `/calls/${t.callId}/monitor`, { mode: 'listen', endpoint: SUP });
    expect(start.status).toBe(201);
    await supervisorWithSnoop(t.callBridge);
    await passed(t.agent, 60_000);
    await passed(t.supervisor, 30_000);
    expect(t.supervisor.received('BYE')).toHaveLength(1);
    await waitFor('no snoop left', async () => (await snoops()).length === 0);
    await passed(t.call, 60_000);
    const r = await lab.api('GET', `/calls/${t.callId}/monitor`);
    expect(r.status).toBe(404);
  });
});
