import { afterEach, describe, expect, it } from 'vitest';
import { CallRecord } from '../../src/records/schema.ts';
import { generalAgent, type Rig, readyAgents, startRig } from '../support/engine-harness.ts';

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

describe('records of calls run by the engine', () => {
  it('validate against the version 2 schema, answered or abandoned', async () => {
    rig = await startRig({
      roster: [generalAgent('a1001')],
    });
    await readyAgents(rig, [{ id: 'a1001', endpoint: 'PJSIP/agent1001', hangupAfterMs: 3000 }]);
    rig.sim.injectCall({ app: 'hotline', dialed: '12345', callerNumber: '13800138000' });
    rig.sim.injectCall({
      app: 'hotline',
      dialed: '12345',
      callerNumber: '13900000001',
      script: [{ wait: 500 }, { hangup: true }],
    });
    await rig.runUntil('two records', () => rig!.records.records.length === 2);
    const parsed = rig.records.records.map((r) => CallRecord.parse(JSON.parse(JSON.stringify(r))));
    expect(parsed.map((r) => r.disposition).sort()).toEqual(['abandoned-ivr', 'answered']);
    const answered = parsed.find((r) => r.disposition === 'answered')!;
    expect(answered.times.agentAnsweredAt).toBeDefined();
    expect(answered.pool).toBe('general');
    expect(JSON.stringify(parsed)).not.toMatch(/13800138000|13900000001/);
  });
});
