import { afterEach, describe, expect, it } from 'vitest';
import { type Rig, readyAgents, startRig } from '../support/engine-harness.ts';
import { testRedisUrl } from '../support/redis.ts';

const redisUrl = testRedisUrl();
let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

describe('the engine with the Redis ACD store', () => {
  it('picks agents through the shared store and frees them after the call', async () => {
    const roster = [1, 2, 3].map((i) => ({
      id: `r${i}`,
      name: `r${i}`,
      pools: ['general'],
      skills: { general: 5 },
    }));
    rig = await startRig({ roster, redisUrl });
    await readyAgents(
      rig,
      roster.map((a) => ({ id: a.id, endpoint: `PJSIP/${a.id}`, answerAfterMs: 800, hangupAfterMs: 4000 })),
    );
    for (let i = 0; i < 6; i++)
      rig.sim.injectCall({ app: 'hotline', dialed: '12345', callerNumber: `1390000${1000 + i}` });
    await rig.runUntil('6 records', () => rig!.records.records.length === 6);
    const agents = new Set(rig.records.records.map((r) => r.agentId));
    expect(rig.records.records.every((r) => r.disposition === 'answered')).toBe(true);
    expect(agents.size).toBe(3);
    await rig.runUntil(
      'no leaks',
      () => rig!.sim.stats().liveChannels === 0 && rig!.sim.stats().liveBridges === 0,
    );
    for (const a of roster) {
      const agent = await rig.hotline.store.getAgent(a.id);
      expect(['wrap-up', 'ready']).toContain(agent?.status.state);
      expect(agent?.status.counters.callsAnswered).toBe(2);
    }
  }, 30_000);
});
