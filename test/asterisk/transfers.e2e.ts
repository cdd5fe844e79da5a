import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type AriChannel, bridgedWith, channels, newRecords, passed } from './lab/checks.ts';
import { type Lab, startLab, waitFor } from './lab/lab.ts';

// Transfers by an agent to a sub-center's trunk (the lab plan's subcenter:tax, PJSIP/12366@sc-tax,
// a SIPp peer at the address the lab's peers.yaml gives it).
let lab: Lab;
const loggedIn = new Set<string>();

beforeAll(async () => {
  lab = await startLab({ agents: [{ id: 'agent4001' }] });
  await lab.startEngine();
});

afterEach(async ({ task }) => {
  await lab.endScenario({ scenario: { name: task.name, failed: task.result?.state === 'fail' }, loggedIn });
});

afterAll(async () => {
  await lab?.stop();
});

/**
 * Starts the sub-center's SIPp peer and waits until Asterisk holds its contact reachable again: a
 * peer of an earlier scenario that ended long before its test did stopped answering the qualify
 * OPTIONS, and PJSIP refuses to dial an unreachable contact (originate: Allocation failed).
 */
async function taxPeer(behaviour: Parameters<Lab['peer']>[1]): Promise<ReturnType<Lab['peer']>> {
  const tax = lab.peer('sc-tax', behaviour);
  const contact = `sc-tax/sip:${lab.peerIps['sc-tax']}`;
  await waitFor(
    `${contact} Avail in pjsip show contacts`,
    async () => {
      await lab.rx('pjsip qualify sc-tax');
      return (await lab.rx('pjsip show contacts'))
        .split('\n')
        .some((l) => l.includes(contact) && /\bAvail\b/.test(l));
    },
    45_000,
    500,
  );
  return tax;
}

/** Whether some bridge Asterisk holds passes `test` (its channel ids, and a look-up by name prefix). */
async function someBridge(test: (b: { ids: string[]; has: (namePrefix: string) => boolean }) => boolean) {
  const [bridges, chans] = await Promise.all([lab.ari('GET', '/bridges'), channels(lab)]);
  return (bridges.body as { channels: string[] }[]).some((b) =>
    test({
      ids: b.channels,
      has: (prefix) => b.channels.some((id) => chans.find((c) => c.id === id)?.name.startsWith(prefix)),
    }),
  );
}

async function connectedCall(caller: string): Promise<{ callId: string; legs: AriChannel[] }> {
  const { legs } = await bridgedWith(lab, 'PJSIP/agent4001');
  const callerLeg = legs.find((l) => l.name.startsWith('PJSIP/carrier-'))!;
  expect(callerLeg.caller.number).toBe(caller);
  return { callId: callerLeg.id, legs };
}

describe('an agent transferring a call to a sub-center trunk', () => {
  it('three-way: the sub-center joins the bridge, the agent leaves, the sub-center ends the call', async () => {
    const agent = await lab.agent('agent4001', { kind: 'answers' });
    loggedIn.add('agent4001');
    await lab.ready('agent4001');
    const tax = await taxPeer({ kind: 'answers-hangs-up', talkMs: 4000 });
    const before = lab.records().length;
    const caller = lab.call({ dialed: '12345', caller: '13800138201', waitByeMs: 120_000 });
    const { callId } = await connectedCall('13800138201');
    const r = await lab.apiAs('agent4001', 'POST', `/calls/${callId}/transfers`, {
      target: 'subcenter:tax',
      mode: 'three-way',
    });
    expect(r.status).toBe(202);
    await waitFor('the sub-center in the caller and agent bridge', () =>
      someBridge((b) => b.has('PJSIP/sc-tax-')),
    );
    expect(tax.received('INVITE')[0]?.line).toMatch(/^INVITE sip:12366@/);
    const leave = await lab.apiAs('agent4001', 'DELETE', `/calls/${callId}/agent`);
    expect(leave.status).toBeLessThan(300);
    await passed(agent, 30_000);
    expect(agent.received('BYE')).toHaveLength(1);
    await passed(tax, 60_000);
    await passed(caller, 30_000);
    const [record] = await newRecords(lab, before);
    expect(record!.transfers[0]).toMatchObject({
      target: { kind: 'subcenter', id: 'tax' },
      mode: 'three-way',
    });
  }, 200_000);

  it('consult, then complete: the caller holds apart while agent and sub-center talk, then joins the sub-center', async () => {
    const agent = await lab.agent('agent4001', { kind: 'answers' });
    loggedIn.add('agent4001');
    await lab.ready('agent4001');
    const tax = await taxPeer({ kind: 'answers-hangs-up', talkMs: 20_000 });
    const before = lab.records().length;
    const caller = lab.call({ dialed: '12345', caller: '13800138203', waitByeMs: 120_000 });
    const { callId, legs } = await connectedCall('13800138203');
    const callerLeg = legs.find((l) => l.name.startsWith('PJSIP/carrier-'))!;
    const r = await lab.apiAs('agent4001', 'POST', `/calls/${callId}/transfers`, {
      target: 'subcenter:tax',
      mode: 'consult',
    });
    expect(r.status).toBe(202);
    const { transferId } = r.body as { transferId: string };
    // Agent and sub-center talk in a bridge of their own; the caller is not in it.
    await waitFor('agent and sub-center bridged without the caller', () =>
      someBridge((b) => b.has('PJSIP/sc-tax-') && b.has('PJSIP/agent4001-') && !b.ids.includes(callerLeg.id)),
    );
    const done = await lab.apiAs('agent4001', 'POST', `/calls/${callId}/transfers/${transferId}/complete`);
    expect(done.status).toBeLessThan(300);
    await passed(agent, 30_000);
    expect(agent.received('BYE')).toHaveLength(1);
    await waitFor('the caller bridged with the sub-center', () =>
      someBridge((b) => b.ids.includes(callerLeg.id) && b.has('PJSIP/sc-tax-')),
    );
    await passed(tax, 60_000);
    await passed(caller, 30_000);
    expect(caller.received('BYE')).toHaveLength(1);
    const [record] = await newRecords(lab, before);
    expect(record!.transfers[0]).toMatchObject({
      target: { kind: 'subcenter', id: 'tax' },
      mode: 'consult',
      result: 'completed',
    });
  }, 200_000);

  it('consult, then cancel: the sub-center is hung up and the agent is back with the caller', async () => {
    const agent = await lab.agent('agent4001', { kind: 'answers' });
    loggedIn.add('agent4001');
    await lab.ready('agent4001');
    const tax = await taxPeer({ kind: 'answers' });
    const before = lab.records().length;
    // The caller hangs up 45 s after being answered: long after the consult was cancelled.
    const caller = lab.call({ dialed: '12345', caller: '13800138204', talkMs: 45_000 });
    const { callId, legs } = await connectedCall('13800138204');
    const callerLeg = legs.find((l) => l.name.startsWith('PJSIP/carrier-'))!;
    const r = await lab.apiAs('agent4001', 'POST', `/calls/${callId}/transfers`, {
      target: 'subcenter:tax',
      mode: 'consult',
    });
    expect(r.status).toBe(202);
    const { transferId } = r.body as { transferId: string };
    await waitFor('the sub-center answered the consult', async () =>
      (await channels(lab)).some((c) => c.name.startsWith('PJSIP/sc-tax-') && c.state === 'Up'),
    );
    const cancel = await lab.apiAs('agent4001', 'POST', `/calls/${callId}/transfers/${transferId}/cancel`);
    expect(cancel.status).toBeLessThan(300);
    await passed(tax, 30_000);
    expect(tax.received('BYE')).toHaveLength(1);
    await waitFor('caller and agent bridged again', () =>
      someBridge((b) => b.ids.includes(callerLeg.id) && b.has('PJSIP/agent4001-')),
    );
    await passed(caller, 90_000);
    await passed(agent, 30_000);
    expect(agent.received('BYE')).toHaveLength(1);
    const [record] = await newRecords(lab, before);
    expect(record).toMatchObject({ disposition: 'answered', agentId: 'agent4001' });
    expect(record!.transfers[0]).toMatchObject({
      target: { kind: 'subcenter', id: 'tax' },
      mode: 'consult',
      result: 'cancelled',
    });
  }, 200_000);

  it('blind: the agent is freed at once and the caller waits for the sub-center', async () => {
    const agent = await lab.agent('agent4001', { kind: 'answers' });
    loggedIn.add('agent4001');
    await lab.ready('agent4001');
    const tax = await taxPeer({ kind: 'answers-hangs-up', afterMs: 1000, talkMs: 3000 });
    const before = lab.records().length;
    const caller = lab.call({ dialed: '12345', caller: '13800138202', waitByeMs: 120_000 });
    const { callId } = await connectedCall('13800138202');
    const r = await lab.apiAs('agent4001', 'POST', `/calls/${callId}/transfers`, {
      target: 'subcenter:tax',
      mode: 'blind',
    });
    expect(r.status).toBe(202);
    await passed(agent, 30_000);
    expect(agent.received('BYE')).toHaveLength(1);
    await passed(tax, 60_000);
    await passed(caller, 30_000);
    const [record] = await newRecords(lab, before);
    expect(record!.transfers[0]).toMatchObject({ target: { kind: 'subcenter', id: 'tax' }, mode: 'blind' });
  }, 200_000);
});
