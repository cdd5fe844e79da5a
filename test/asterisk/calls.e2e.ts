import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseConf } from '../deploy/asterisk-conf.ts';
import { bridgedWith, mediaBothWays, newRecords, passed, promptMs, selfShownToCaller } from './lab/checks.ts';
import { DIALPLAN_DIR, type Lab, startLab, waitFor } from './lab/lab.ts';
import { writeDtmfPcap } from './lab/pcap.ts';

// Calls through the project's own dialplan/ on a real Asterisk 22.10.1, driven by SIPp: the
// carrier (UAC), agents' softphones (REGISTER with digest auth, then UAS) and the engine
// (`hotline serve`) with a private Redis. See test/asterisk/lab/lab.ts.
let lab: Lab;
const loggedIn = new Set<string>();

beforeAll(async () => {
  lab = await startLab({
    agents: [
      { id: 'agent2001', skills: { general: 5 } },
      { id: 'agent2002', skills: { general: 9 } },
      { id: 'agent2003', skills: { general: 5, legal: 9 }, expertSeats: ['legal'] },
      { id: 'agent2004', skills: { general: 9 } },
    ],
  });
  await lab.startEngine();
});

afterEach(async ({ task }) => {
  await lab.endScenario({ scenario: { name: task.name, failed: task.result?.state === 'fail' }, loggedIn });
});

afterAll(async () => {
  await lab?.stop();
});

/**
 * With HOTLINE_LAB_TRACES=DIR, writes the engine's ARI traffic of one scenario (as Asterisk logged
 * it) to DIR/NAME.jsonl: how test/fixtures/ari-traces/asterisk-22.10.1/ was recorded.
 */
function recordTrace(name: string): () => void {
  const dir = process.env.HOTLINE_LAB_TRACES;
  if (!dir) return () => undefined;
  const from = lab.ariTrace().length;
  return () => {
    mkdirSync(dir, { recursive: true });
    const lines = lab.ariTrace(from).map((e) => JSON.stringify(e));
    writeFileSync(join(dir, `${name}.jsonl`), `${lines.join('\n')}\n`);
  };
}

async function readyAgent(id: string, behaviour: Parameters<Lab['agent']>[1]) {
  const run = await lab.agent(id, behaviour);
  loggedIn.add(id);
  await lab.ready(id);
  return run;
}

describe('the shipped configuration on Asterisk 22.10.1', () => {
  it('loads every module modules.conf names', async () => {
    const conf = parseConf(readFileSync(join(DIALPLAN_DIR, 'modules.conf'), 'utf8'));
    const wanted = conf.sections[0]!.entries.filter(([k]) => k === 'load').map(([, v]) => v);
    const shown = await lab.rx('module show');
    const running = new Set(
      shown
        .split('\n')
        .map((l) => /^(\S+\.so)\s.*\bRunning\b/.exec(l)?.[1])
        .filter((m): m is string => !!m),
    );
    expect(wanted.filter((m) => !running.has(m))).toEqual([]);
    expect(await lab.rx('core show application Stasis')).toMatch(/Stasis/);
  });

  it('accepts an agent softphone registering with digest authentication', async () => {
    await lab.agent('agent2001', { kind: 'answers' });
    loggedIn.add('agent2001');
    const contacts = await lab.rx('pjsip show contacts');
    expect(contacts).toContain(`agent2001/sip:agent2001@${lab.agents.get('agent2001')!.ip}`);
  });
});

describe('the trunks of pjsip-trunks-generated.conf', () => {
  it('reach a sub-center at its peers.yaml address: its contact is qualified Avail', async () => {
    const tax = lab.peer('sc-tax', { kind: 'answers' });
    const contact = `sc-tax/sip:${lab.peerIps['sc-tax']}`;
    await waitFor(
      `${contact} Avail in pjsip show contacts`,
      async () =>
        (await lab.rx('pjsip show contacts'))
          .split('\n')
          .some((l) => l.includes(contact) && /\bAvail\b/.test(l)),
      45_000,
      500,
    );
    expect(tax.received('OPTIONS').length).toBeGreaterThan(0);
  });
});

describe('a call to 12345', () => {
  it('reaches a ready agent with RTP both ways; the carrier never sees its own number as the party; one record', async () => {
    const agent = await readyAgent('agent2001', { kind: 'answers' });
    const before = lab.records().length;
    // the caller talks, then hangs up (the agent hanging up first: the next scenario)
    const caller = lab.call({ dialed: '12345', caller: '13800138001', talkMs: 9000 });
    const { legs } = await bridgedWith(lab, 'PJSIP/agent2001');
    const media = await mediaBothWays(lab, legs);
    expect(Object.keys(media).sort()).toEqual(['PJSIP/agent2001', 'PJSIP/carrier']);
    await passed(caller);
    await passed(agent);
    expect(agent.received('INVITE')).toHaveLength(1);
    expect(agent.received('BYE')).toHaveLength(1);
    expect(selfShownToCaller(caller, '13800138001')).toEqual([]);
    const [record] = await newRecords(lab, before);
    expect(record).toMatchObject({
      dialed: '12345',
      disposition: 'answered',
      agentId: 'agent2001',
      pool: 'general',
    });
    expect(record!.callerMasked).not.toContain('13800138001');
  });

  it('when the agent hangs up first, releases the caller and writes the record at once', async () => {
    const agent = await readyAgent('agent2001', { kind: 'answers-hangs-up', talkMs: 3000 });
    const saveTrace = recordTrace('12345-agent-answers-then-hangs-up');
    const before = lab.records().length;
    const caller = lab.call({ dialed: '12345', caller: '13800138010', waitByeMs: 90_000 });
    await bridgedWith(lab, 'PJSIP/agent2001');
    await passed(agent);
    const agentLeft = Date.now();
    await passed(caller, 30_000);
    await lab.settled('after the call');
    saveTrace();
    const [record] = await newRecords(lab, before, 1, 10_000);
    expect(record).toMatchObject({ disposition: 'answered', agentId: 'agent2001' });
    expect(Date.now() - agentLeft).toBeLessThan(10_000);
    // the ended call no longer holds the agent
    await waitFor(
      'agent2001 out of the call',
      async () => {
        const a = (await lab.api('GET', '/agents/agent2001')).body as { state: string };
        return a.state === 'wrap-up' || a.state === 'ready';
      },
      10_000,
    );
  });

  it('waits in the queue and, abandoned there, ends with an abandoned-queue record', async () => {
    const before = lab.records().length;
    const caller = lab.call({ dialed: '12345', caller: '13800138002', talkMs: 4000 });
    await passed(caller);
    const [record] = await newRecords(lab, before);
    expect(record).toMatchObject({ dialed: '12345', disposition: 'abandoned-queue' });
    expect(record!.agentId).toBeUndefined();
  });

  it('offered to a busy agent (486), is taken by the next agent; busy is not ring-no-answer', async () => {
    const busy = await readyAgent('agent2004', { kind: 'busy' });
    const taker = await readyAgent('agent2001', { kind: 'answers' });
    const saveTrace = recordTrace('12345-agent-busy-486-then-next-agent');
    const before = lab.records().length;
    const caller = lab.call({ dialed: '12345', caller: '13800138003', talkMs: 8000 });
    await bridgedWith(lab, 'PJSIP/agent2001');
    await passed(caller);
    await passed(busy);
    await passed(taker);
    await lab.settled('after the call');
    saveTrace();
    expect(busy.received('INVITE')).toHaveLength(1);
    const [record] = await newRecords(lab, before);
    expect(record).toMatchObject({ disposition: 'answered', agentId: 'agent2001' });
    expect(record!.offers).toEqual([{ agentId: 'agent2004', outcome: 'busy' }]);
    const busyAgent = (await lab.api('GET', '/agents/agent2004')).body as {
      state: string;
      notReadyReason?: string;
    };
    expect(busyAgent.notReadyReason).not.toBe('rona');
  });

  it('rings an agent who never answers until the ring time, cancels, and offers the next (RONA)', async () => {
    const silent = await readyAgent('agent2002', { kind: 'never-answers' });
    const taker = await readyAgent('agent2001', { kind: 'answers' });
    const before = lab.records().length;
    // 6 s of ringing (the lab pool's ringSeconds), then the next agent
    const caller = lab.call({ dialed: '12345', caller: '13800138004', talkMs: 15_000 });
    await bridgedWith(lab, 'PJSIP/agent2001', 60_000);
    await passed(silent);
    expect(silent.received('CANCEL')).toHaveLength(1);
    await passed(caller);
    await passed(taker);
    const [record] = await newRecords(lab, before);
    expect(record).toMatchObject({ disposition: 'answered', agentId: 'agent2001' });
    expect(record!.offers.map((o) => o.agentId)).toEqual(['agent2002']);
    const rona = (await lab.api('GET', '/agents/agent2002')).body as {
      state: string;
      notReadyReason?: string;
    };
    expect(rona).toMatchObject({ state: 'not-ready', notReadyReason: 'rona' });
  });

  it('abandoned while the agent rings: the agent gets CANCEL, the record says abandoned-ringing', async () => {
    const silent = await readyAgent('agent2002', { kind: 'never-answers' });
    const before = lab.records().length;
    const caller = lab.call({ dialed: '12345', caller: '13800138005', talkMs: 4000 });
    await waitFor('the agent to ring', () => silent.received('INVITE').length === 1, 20_000);
    await passed(caller);
    await passed(silent);
    expect(silent.received('CANCEL')).toHaveLength(1);
    const [record] = await newRecords(lab, before);
    expect(record).toMatchObject({ disposition: 'abandoned-ringing' });
  });
});

describe('the plan on the real PBX', () => {
  it('plays the transition notice, then connects to an agent (12396)', async () => {
    const agent = await readyAgent('agent2001', { kind: 'answers' });
    const before = lab.records().length;
    const talkMs = promptMs('transition-whole-merge') + 8000;
    const caller = lab.call({ dialed: '12396', caller: '13800138006', talkMs });
    await bridgedWith(lab, 'PJSIP/agent2001', 60_000);
    await passed(caller);
    await passed(agent);
    const [record] = await newRecords(lab, before);
    expect(record).toMatchObject({ dialed: '12396', phase: { kind: 'transition' }, disposition: 'answered' });
    expect(record!.prompts).toContain('transition-whole-merge');
  });

  it('abandoned during the transition notice: no agent is rung, the record says abandoned-ivr (12396)', async () => {
    const agent = await readyAgent('agent2001', { kind: 'answers' });
    const before = lab.records().length;
    // The caller hangs up a second into a notice that lasts several.
    expect(promptMs('transition-whole-merge')).toBeGreaterThan(3000);
    const caller = lab.call({ dialed: '12396', caller: '13800138009', talkMs: 1000 });
    await passed(caller);
    const [record] = await newRecords(lab, before);
    expect(record).toMatchObject({ dialed: '12396', disposition: 'abandoned-ivr' });
    expect(record!.agentId).toBeUndefined();
    await lab.settled('after the abandoned notice');
    expect(agent.received('INVITE')).toHaveLength(0);
  });

  it('plays the deregistered-number notice, then serves the call as 12345 (12300)', async () => {
    const agent = await readyAgent('agent2001', { kind: 'answers' });
    const before = lab.records().length;
    const talkMs = promptMs('deregistered-notice') + 8000;
    const caller = lab.call({ dialed: '12300', caller: '13800138007', talkMs });
    await bridgedWith(lab, 'PJSIP/agent2001', 60_000);
    await passed(caller);
    await passed(agent);
    const [record] = await newRecords(lab, before);
    expect(record).toMatchObject({
      dialed: '12300',
      phase: { kind: 'deregistered' },
      disposition: 'answered',
    });
    expect(record!.prompts).toContain('deregistered-notice');
  });

  it('queues 12348 for the legal expert seat and connects the expert', async () => {
    const general = await readyAgent('agent2001', { kind: 'answers' });
    const expert = await readyAgent('agent2003', { kind: 'answers' });
    const before = lab.records().length;
    const caller = lab.call({ dialed: '12348', caller: '13800138008', talkMs: 8000 });
    await bridgedWith(lab, 'PJSIP/agent2003');
    await passed(caller);
    await passed(expert);
    expect(general.received('INVITE')).toHaveLength(0);
    const [record] = await newRecords(lab, before);
    expect(record).toMatchObject({ expertSeat: 'legal', agentId: 'agent2003', disposition: 'answered' });
  });

  it('applies each DTMF key of a menu once (0 then 1 lands in the second menu, then legal)', async () => {
    const expert = await readyAgent('agent2003', { kind: 'answers' });
    const pcap = join(lab.dir, 'keys-0-1.pcap');
    writeDtmfPcap(pcap, '01', { firstAtMs: 1500, gapMs: 1500 });
    const saveTrace = recordTrace('12319-menu-keys-0-1-then-agent');
    const before = lab.records().length;
    const caller = lab.call({ dialed: '12319', caller: '13800138009', talkMs: 12_000, pcap });
    await bridgedWith(lab, 'PJSIP/agent2003', 60_000);
    await passed(caller);
    await passed(expert);
    await lab.settled('after the call');
    saveTrace();
    const [record] = await newRecords(lab, before);
    expect(record!.ivrPath.map((p) => [p.menu, p.keys])).toEqual([
      ['main', '0'],
      ['second', '1'],
    ]);
    expect(record).toMatchObject({ queue: { skill: 'legal' }, agentId: 'agent2003' });
  });
});
