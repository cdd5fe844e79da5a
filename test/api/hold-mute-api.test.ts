import { afterEach, describe, expect, it } from 'vitest';
import { type AdminRig, startAdminRig } from '../admin/admin-rig.ts';
import { readyAgents } from '../support/engine-harness.ts';

/** The toolbar's 保持/恢复 and 静音/取消静音: POST and DELETE /calls/:id/hold and /calls/:id/mute. */
let a: AdminRig | undefined;
afterEach(async () => {
  await a?.close();
  a = undefined;
});

type Who = 'a1001' | 'a1002' | 'supervisor';
const send = (who: Who, method: 'POST' | 'DELETE' | 'GET', url: string, payload?: object) =>
  a!.as(who, { method, url, ...(payload === undefined ? {} : { payload }) });

/** a1001 talking with a caller. */
async function talking() {
  a = await startAdminRig();
  const rig = a.rig;
  await readyAgents(rig, [{ id: 'a1001', endpoint: 'PJSIP/agent1001', answerAfterMs: 300 }]);
  const { channelId } = rig.sim.injectCall({ app: 'hotline', dialed: '12345', callerNumber: '13800138000' });
  const call = () => rig.hotline.engine.call(channelId);
  await rig.runUntil('talking to a1001', () => call()?.stage === 'talking');
  const channel = (id: string) => rig.sim.channels().find((c) => c.id === id);
  return { rig, callId: channelId, call, channel };
}

describe('hold and unhold', () => {
  it('puts the citizen on hold and back, and the call view shows it', async () => {
    const { rig, callId, channel } = await talking();
    const held = await send('a1001', 'POST', `/calls/${callId}/hold`);
    expect(held.statusCode).toBe(200);
    expect(held.json()).toMatchObject({ callId, hold: { onHold: true, count: 1 }, muted: false });
    await rig.runUntil('music on the caller', () => channel(callId)?.moh === 'default');
    const view = await send('a1001', 'GET', `/calls/${callId}`);
    expect(view.json()).toMatchObject({ hold: { onHold: true, count: 1 }, muted: false });

    await rig.advance(15_000);
    const back = await send('a1001', 'DELETE', `/calls/${callId}/hold`);
    expect(back.statusCode).toBe(200);
    expect(back.json()).toMatchObject({ hold: { onHold: false, count: 1, closedSeconds: 15 } });
    await rig.runUntil('music stopped', () => channel(callId)?.moh === undefined);
  });

  it("refuses another agent's call with 403 and a call that is not live with 404", async () => {
    const { callId, channel } = await talking();
    const other = await send('a1002', 'POST', `/calls/${callId}/hold`);
    expect(other.statusCode).toBe(403);
    expect(other.json()).toMatchObject({ error: 'forbidden' });
    const gone = await send('a1001', 'POST', '/calls/nope/hold');
    expect(gone.statusCode).toBe(404);
    expect(gone.json()).toMatchObject({ error: 'no-such-call' });
    // Supervisors monitor; they do not hold an agent's caller.
    expect((await send('supervisor', 'POST', `/calls/${callId}/hold`)).statusCode).toBe(403);
    expect(channel(callId)?.moh).toBeUndefined();
  });

  it('refuses a call still ringing at the agent with 409 not-talking', async () => {
    a = await startAdminRig();
    const rig = a.rig;
    await readyAgents(rig, [{ id: 'a1001', endpoint: 'PJSIP/agent1001', answerAfterMs: 5_000 }]);
    const { channelId } = rig.sim.injectCall({
      app: 'hotline',
      dialed: '12345',
      callerNumber: '13800138000',
    });
    const call = () => rig.hotline.engine.call(channelId);
    await rig.runUntil('ringing at a1001', () => call()?.stage === 'ringing');
    // Still ringing: the agent's call (the own-call policy lets it through), but not talking.
    for (const url of [`/calls/${channelId}/hold`, `/calls/${channelId}/mute`]) {
      const res = await send('a1001', 'POST', url);
      expect(res.statusCode).toBe(409);
      expect(res.json()).toMatchObject({ error: 'not-talking' });
    }
  });
});

describe('mute and unmute', () => {
  it("mutes the agent's own microphone (direction in) and unmutes it", async () => {
    const { rig, call, callId, channel } = await talking();
    const agentChannel = call()!.agent!.channelId;
    const muted = await send('a1001', 'POST', `/calls/${callId}/mute`, { direction: 'in' });
    expect(muted.statusCode).toBe(200);
    expect(muted.json()).toMatchObject({ muted: true, hold: { onHold: false } });
    await rig.runUntil('agent muted', () => channel(agentChannel)?.muted?.join() === 'in');
    expect((await send('a1001', 'DELETE', `/calls/${callId}/mute`)).json()).toMatchObject({ muted: false });
    await rig.runUntil('agent unmuted', () => channel(agentChannel)?.muted === undefined);
  });

  it('refuses another direction with 400 naming body.direction', async () => {
    const { callId } = await talking();
    const res = await send('a1001', 'POST', `/calls/${callId}/mute`, { direction: 'both' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: 'invalid-request', field: 'body.direction' });
  });
});
