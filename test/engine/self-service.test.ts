import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { CallState } from '../../src/calls/core/types.ts';
import { HttpTicketing } from '../../src/ticketing/http-ticketing.ts';
import { generalAgent, plans, type Rig, readyAgents, startRig } from '../support/engine-harness.ts';

let rig: Rig | undefined;
let server: Server | undefined;
afterEach(async () => {
  await rig?.close();
  server?.closeAllConnections();
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  rig = undefined;
  server = undefined;
});

/** A ticketing system on 127.0.0.1 that knows one ticket, or that never answers. */
async function ticketing(answers: boolean): Promise<string> {
  server = createServer((req, res) => {
    if (!answers) return; // the request hangs until the client gives up
    if (req.url === '/tickets/2026001') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ number: '2026001', status: 'in-progress', daysOpen: 3 }));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

async function selfQuery(answers: boolean, timeoutMs: number): Promise<CallState> {
  const url = await ticketing(answers);
  rig = await startRig({
    plan: plans.puyangWithMenu(),
    roster: [
      { id: 'a1001', name: 'a1001', endpoint: 'PJSIP/agent1001', pools: ['general'], skills: { general: 5 } },
    ],
    ticketing: new HttpTicketing({ baseUrl: url, timeoutMs }),
  });
  await readyAgents(rig, [
    { id: 'a1001', endpoint: 'PJSIP/agent1001', answerAfterMs: 300, hangupAfterMs: 1000 },
  ]);
  const ended: CallState[] = [];
  rig.hotline.engine.onEnded((s) => ended.push(s));
  const { channelId } = rig.sim.injectCall({
    app: 'hotline',
    dialed: '12345',
    callerNumber: '13800138002',
    script: [{ wait: 3000 }, { dtmf: '1' }, { wait: 2000 }, { dtmf: '2026001#' }],
  });
  await rig.runUntil('with an agent', () => rig!.hotline.engine.call(channelId)?.stage === 'talking');
  rig.sim.hangup(channelId);
  await rig.runUntil('ended', () => ended.length === 1);
  return ended[0]!;
}

describe('self-service in the IVR', () => {
  it('reads a ticket’s progress from the ticketing system, then offers an agent', async () => {
    // The lookup's limit is real time; the answer comes at once, so a generous one is as good.
    const s = await selfQuery(true, 10_000);
    expect(s.prompts).toEqual(
      expect.arrayContaining([
        'progress-query-ask',
        'ticket-status-in-progress',
        'ticket-days-open',
        'num-3',
        'ticket-days-unit',
      ]),
    );
    expect(s.agent?.agentId ?? s.events.find((e) => e.what === 'connected')?.detail?.agent).toBe('a1001');
  });

  it('apologises and offers an agent when the ticketing system does not answer in time', async () => {
    const s = await selfQuery(false, 200);
    expect(s.prompts).toContain('progress-query-failed');
    expect(s.prompts).not.toContain('ticket-status-in-progress');
    expect(s.events.some((e) => e.what === 'connected')).toBe(true);
  });

  it('keeps the caller’s satisfaction score in the call record', async () => {
    rig = await startRig({
      roster: [generalAgent('a1001')],
    });
    await readyAgents(rig, [
      { id: 'a1001', endpoint: 'PJSIP/agent1001', answerAfterMs: 300, hangupAfterMs: 2000 },
    ]);
    const { channelId } = rig.sim.injectCall({
      app: 'hotline',
      dialed: '12345',
      callerNumber: '13800138003',
    });
    await rig.runUntil('survey', () => rig!.hotline.engine.call(channelId)?.stage === 'survey');
    rig.sim.sendDtmf(channelId, '4');
    await rig.runUntil('record', () => rig!.records.records.length === 1);
    expect(rig.records.records[0]).toMatchObject({ surveyScore: 4, disposition: 'answered' });
  });
});
