import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.ts';
import { generalAgent, type Rig, readyAgents, startRig } from '../support/engine-harness.ts';
import { heapMiB, reportScenario } from '../support/scenario-report.ts';

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

describe('the PBX refusing requests', () => {
  it('answers 404, 409 and 500 without crashing, leaking or losing a call, and logs each refusal', async () => {
    const heapBefore = heapMiB();
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    rig = await startRig({
      roster: [generalAgent('a1001')],
      logger: createLogger({ level: 'warn', destination: sink }),
    });
    await readyAgents(rig, [
      { id: 'a1001', endpoint: 'PJSIP/agent1001', answerAfterMs: 300, hangupAfterMs: 1500 },
    ]);
    const call = (n: number) =>
      rig!.sim.injectCall({ app: 'hotline', dialed: '12345', callerNumber: `1390000002${n}` });

    // The holding bridge cannot be created: the caller waits without music, then is bridged with the agent.
    rig.sim.failNextRest({ method: 'POST', pathPrefix: '/bridges', status: 500, count: 1 });
    const a = call(1);
    // The welcome prompt is refused: the call goes on without it.
    const b = call(2);
    rig.sim.failNextRest({
      method: 'POST',
      pathPrefix: `/channels/${b.channelId}/play`,
      status: 409,
      count: 1,
    });
    // Ringing the agent fails once: the agent is released and offered the call again.
    const c = call(3);
    rig.sim.failNextRest({ method: 'POST', pathPrefix: `/channels/${c.channelId}-a`, status: 500, count: 1 });

    const notFound: string[] = [];
    rig.sim.onRest((e) => {
      if (e.status === 404) notFound.push(`${e.method} ${e.path}`);
    });
    // The caller is gone before the engine's first command reaches the PBX: a genuine 404.
    const d = rig.sim.injectCall({
      app: 'hotline',
      dialed: '12345',
      callerNumber: '13900000024',
      script: [{ hangup: true }],
      startOn: 'enter',
    });
    await rig.runUntil('four records', () => rig!.records.records.length === 4);
    expect(rig.records.records.find((r) => r.callId === d.channelId)?.disposition).toBe('abandoned-ivr');
    expect(notFound).toContain(`POST /channels/${d.channelId}/answer`);
    for (const r of rig.records.records.filter((r) => r.callId !== d.channelId))
      expect(r).toMatchObject({ disposition: 'answered', agentId: 'a1001' });
    const refused = rig.records.records.find((r) => r.callId === b.channelId)!;
    expect(refused.prompts).not.toContain('welcome-12345');
    expect(refused.prompts).toContain('survey-ask');
    expect(rig.records.records.find((r) => r.callId === c.channelId)?.offers).toEqual([
      { agentId: 'a1001', outcome: 'failed' },
    ]);
    expect(rig.records.records.map((r) => r.callId).sort()).toEqual(
      [a.channelId, b.channelId, c.channelId, d.channelId].sort(),
    );
    await rig.runUntil(
      'no leaks',
      () => rig!.sim.stats().liveChannels === 0 && rig!.sim.stats().liveBridges === 0,
    );
    const refusals = lines
      .filter((l) => l.includes('PBX refused a command'))
      .map((l) => JSON.parse(l) as { status: number; command: string });
    expect(refusals.map((r) => `${r.command} ${r.status}`).sort()).toEqual([
      'answer 404',
      'create-bridge 500',
      'originate 500',
      'play 404',
      'play 409',
    ]);
    expect(rig.hotline.engine.stats.commandFailures).toBe(5);
    reportScenario({
      scenario: 'pbx-404-409-500',
      calls: 4,
      faultsInjected: 4,
      recordsExpected: 4,
      recordsDelivered: rig.records.records.length,
      refusalsLogged: refusals.length,
      heapBeforeMiB: heapBefore,
      heapAfterMiB: heapMiB(),
    });
  }, 30_000);
});
