import { afterEach, describe, expect, it } from 'vitest';
import type { CallState } from '../../src/calls/core/types.ts';
import { maskNumber } from '../../src/log.ts';
import { plans, type Rig, readyAgents, startRig } from '../support/engine-harness.ts';
import { heapMiB, reportScenario } from '../support/scenario-report.ts';

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

describe('callers who do odd things', () => {
  it('survives a flood of keys in a menu: the first valid key counts, the rest are ignored, nothing leaks', async () => {
    const heapBefore = heapMiB();
    rig = await startRig({
      plan: plans.jilin(),
      roster: [{ id: 'c1', name: 'c1', pools: ['changchun'], skills: { general: 5 } }],
    });
    await readyAgents(rig, [{ id: 'c1', endpoint: 'PJSIP/c1', answerAfterMs: 300, hangupAfterMs: 1000 }]);
    const ended: CallState[] = [];
    rig.hotline.engine.onEnded((s) => ended.push(s));
    rig.sim.injectCall({
      app: 'hotline',
      dialed: '12345',
      callerNumber: '13800138030',
      script: [{ wait: 500 }, { dtmf: '9*#0'.repeat(50) + '1'.repeat(100), gapMs: 5, durationMs: 20 }],
    });
    await rig.runUntil('the call ended', () => ended.length === 1);
    expect(ended[0]!.ivrPath.length).toBeLessThanOrEqual(3);
    const keys = ended[0]!.events.filter((e) => e.what === 'key').length;
    expect(keys).toBeGreaterThan(100);
    await rig.runUntil(
      'no leaks',
      () => rig!.sim.stats().liveChannels === 0 && rig!.sim.stats().liveBridges === 0,
    );
    await rig.runUntil('its record', () => rig!.records.records.length === 1);
    reportScenario({
      scenario: 'dtmf-flood',
      calls: 1,
      faultsInjected: 1,
      keysPressed: keys,
      recordsExpected: 1,
      recordsDelivered: rig.records.records.length,
      heapBeforeMiB: heapBefore,
      heapAfterMiB: heapMiB(),
    });
  }, 40_000);

  it.each([
    ['letters and symbols', 'anonymous<script>'],
    ['an international number', '+8613800138000'],
    ['an empty caller id', ''],
    ['a very long id', '9'.repeat(80)],
  ])('serves a caller whose number is %s, and masks it', async (_name, callerNumber) => {
    rig = await startRig({ roster: [{ id: 'a1', name: 'a1', pools: ['general'], skills: { general: 5 } }] });
    await readyAgents(rig, [{ id: 'a1', endpoint: 'PJSIP/a1', answerAfterMs: 300, hangupAfterMs: 1000 }]);
    rig.sim.injectCall({
      app: 'hotline',
      dialed: '12345',
      callerNumber,
      script: [{ wait: 4000 }, { hangup: true }],
    });
    await rig.runUntil('the record', () => rig!.records.records.length === 1);
    const r = rig.records.records[0]!;
    expect(r.callerMasked).toBe(maskNumber(callerNumber));
    if (callerNumber.length > 5) expect(JSON.stringify(r)).not.toContain(callerNumber);
    await rig.runUntil(
      'no leaks',
      () => rig!.sim.stats().liveChannels === 0 && rig!.sim.stats().liveBridges === 0,
    );
  });
});
