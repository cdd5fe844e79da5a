import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { channels, newRecords, passed } from './lab/checks.ts';
import { APPS, type Lab, startLab, waitFor } from './lab/lab.ts';

// Sub-center lines (设分中心) on the real Asterisk: the generated dialplan puts the lab's 12366
// straight through to its sub-center's trunk (sc-tax, a SIPp peer), never into the engine; only
// when the sub-center does not answer does the call enter Stasis, and 12345's fallback serves it.
let lab: Lab;
const loggedIn = new Set<string>();

beforeAll(async () => {
  lab = await startLab({ agents: [{ id: 'agent5001' }] });
  await lab.startEngine();
});

afterEach(async ({ task }) => {
  await lab.endScenario({ scenario: { name: task.name, failed: task.result?.state === 'fail' }, loggedIn });
});

afterAll(async () => {
  await lab?.stop();
});

/** The sub-center's SIPp peer, once Asterisk holds its contact reachable (PJSIP dials no other). */
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

interface DialplanChannel {
  name: string;
  dialplan?: { context: string; exten: string; app_name?: string };
}

describe('a call to a sub-center number', () => {
  it('reaches the sc-tax peer through the dialplan alone: no Stasis, no engine record', async () => {
    const tax = await taxPeer({ kind: 'answers' });
    const before = lab.records().length;
    const caller = lab.call({ dialed: '12366', caller: '13800138301', talkMs: 3000 });
    const callerLeg = await waitFor('the caller bridged to sc-tax by Dial()', async () => {
      const chans = (await channels(lab)) as unknown as DialplanChannel[];
      const leg = chans.find((c) => c.name.startsWith('PJSIP/carrier-'));
      return chans.some((c) => c.name.startsWith('PJSIP/sc-tax-')) && leg?.dialplan?.app_name === 'Dial'
        ? leg
        : undefined;
    });
    expect(callerLeg.dialplan).toMatchObject({ context: 'hotline-direct', exten: '12366' });
    for (const app of APPS) {
      const r = await lab.ari('GET', `/applications/${app}`);
      expect((r.body as { channel_ids: string[] }).channel_ids, app).toEqual([]);
    }
    await passed(caller, 60_000);
    await passed(tax, 60_000);
    expect(tax.received('INVITE')[0]?.line).toMatch(/^INVITE sip:12366@/);
    await lab.settled('the direct call');
    // Asterisk ran Dial() for the caller's channel and never Stasis().
    const log = lab.asteriskLog().split('\n');
    const mine = log.filter((l) => l.includes(`"${callerLeg.name}"`));
    expect(mine.some((l) => /@hotline-direct:\d+\] Dial\(/.test(l))).toBe(true);
    expect(mine.filter((l) => /\] Stasis\(/.test(l))).toEqual([]);
    expect(lab.records().length).toBe(before);
  }, 200_000);

  it('ends in the engine with a record when the sub-center does not answer: fallback to an agent', async () => {
    const agent = await lab.agent('agent5001', { kind: 'answers-hangs-up', talkMs: 2000 });
    loggedIn.add('agent5001');
    await lab.ready('agent5001');
    const tax = await taxPeer({ kind: 'never-answers' });
    const before = lab.records().length;
    const caller = lab.call({
      dialed: '12366',
      caller: '13800138302',
      waitByeMs: 120_000,
      answerWithinMs: 60_000,
    });
    await passed(agent, 120_000);
    await passed(caller, 60_000);
    const [record] = await newRecords(lab, before);
    expect(tax.received('INVITE')[0]?.line).toMatch(/^INVITE sip:12366@/);
    expect(tax.received('CANCEL')).toHaveLength(1);
    expect(record!.dialed).toBe('12366');
    expect(record!.line.id).toBe('l12366');
    expect(record!.transfers[0]).toMatchObject({
      target: { kind: 'subcenter', id: 'tax' },
      mode: 'ivr',
      result: 'no-answer',
      reason: 'dialled by the PBX before 12345 answered (DIALSTATUS NOANSWER)',
    });
    expect(record!.agentId).toBe('agent5001');
    expect(record!.prompts).toContain('transfer-failed');
  }, 200_000);
});
