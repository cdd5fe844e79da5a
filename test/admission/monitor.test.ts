import { describe, expect, it } from 'vitest';
import { defaultAdmissionOptions } from '../../src/admission/config.ts';
import { AdmissionMonitor } from '../../src/admission/monitor.ts';
import { createLogger } from '../../src/log.ts';
import type { TelephonyLoad } from '../../src/telephony/port.ts';

/** A monitor sampled by hand (never started: no timer), over a port load the test sets. */
function monitor() {
  const load: TelephonyLoad = { restInFlight: 0, rest503: 0, eventLateMs: 0 };
  const probe = { pending: 0 };
  const m = new AdmissionMonitor(
    { ...defaultAdmissionOptions(), holdMs: 3000 },
    { pendingCommands: () => probe.pending, telephonyLoad: () => ({ ...load }) },
    createLogger({ level: 'silent' }),
  );
  return { m, load, probe };
}

describe('the admission monitor', () => {
  it('sheds when Asterisk answers 503 and takes calls again once it has stopped for the hold time', () => {
    const { m, load } = monitor();
    load.rest503 = 1;
    expect(m.sample(0)).toMatchObject({ to: 'shedding', reason: 'rest503' });
    load.rest503 = 0;
    expect(m.sample(1000)).toBeUndefined();
    expect(m.sample(3999)).toBeUndefined();
    expect(m.sample(4000)).toMatchObject({ to: 'normal' });
  });

  it('sheds when a new caller waited too long for first audio', () => {
    const { m, load } = monitor();
    load.firstAudioMs = 400;
    expect(m.sample(0)).toBeUndefined();
    load.firstAudioMs = 600;
    expect(m.sample(250)).toMatchObject({ to: 'shedding', reason: 'firstAudioMs' });
    load.firstAudioMs = 1_300;
    expect(m.sample(500)).toMatchObject({ to: 'critical', reason: 'firstAudioMs' });
    expect(m.last.firstAudioMs).toBe(1_300);
  });

  it("sheds when Asterisk's taskprocessor queues fill, before they reach their high-water mark", () => {
    const queue = { percent: 10 };
    const m = new AdmissionMonitor(
      { ...defaultAdmissionOptions(), holdMs: 3000 },
      { pendingCommands: () => 0, telephonyLoad: () => undefined, pbxQueuePercent: () => queue.percent },
      createLogger({ level: 'silent' }),
    );
    expect(m.sample(0)).toBeUndefined();
    queue.percent = 60;
    expect(m.sample(250)).toMatchObject({ to: 'shedding', reason: 'pbxQueuePercent' });
    queue.percent = 85;
    expect(m.sample(500)).toMatchObject({ to: 'critical', reason: 'pbxQueuePercent' });
  });

  it('sheds on late ARI events, on REST requests in flight and on commands waiting, naming each', () => {
    const { m, load, probe } = monitor();
    load.eventLateMs = 900;
    expect(m.sample(0)?.reason).toBe('ariEventLateMs');
    load.eventLateMs = 0;
    load.restInFlight = 13_000;
    expect(m.sample(250)).toMatchObject({ to: 'critical', reason: 'restInFlight' });
    load.restInFlight = 0;
    probe.pending = 20_000;
    m.sample(500);
    expect(m.admit()).toEqual({ admit: false, state: 'critical', reason: 'pendingCommands' });
    expect(m.last).toMatchObject({ pendingCommands: 20_000, restInFlight: 0 });
  });

  it('takes action-latency samples into the window and the lag percentiles', () => {
    const { m } = monitor();
    for (let i = 0; i < 98; i++) m.actionLatency(10);
    m.actionLatency(5_000);
    m.actionLatency(5_000);
    expect(m.sample(0)).toMatchObject({ to: 'critical', reason: 'actionLatencyMs' });
    expect(m.lag().actionLatency.max).toBeGreaterThanOrEqual(4_999);
    // The window starts again after each sample.
    expect(m.sample(250)).toBeUndefined();
    expect(m.last.actionLatencyMs).toBe(0);
  });

  it('counts the calls shed by reason', () => {
    const { m } = monitor();
    m.noteShed('restInFlight');
    m.noteShed('restInFlight');
    m.noteShed('forced');
    expect(Object.fromEntries(m.shed)).toEqual({ restInFlight: 2, forced: 1 });
  });

  it('narrows the dialplan gate to the share taken while it sheds, and opens it when calls are taken again', async () => {
    const { m, load } = monitor();
    const gate: string[] = [];
    m.onGate((reason) => gate.push(reason));
    load.rest503 = 3;
    m.sample(0);
    load.rest503 = 0;
    m.sample(1000);
    m.sample(4000);
    // Half of new calls on entering shedding, 0.4 more after a quiet second, all once normal.
    expect(gate).toEqual(['', 'rest503:50', 'rest503:90', '']);
    await m.force('critical');
    expect(gate.at(-1)).toBe('forced');
    await m.force(undefined);
    expect(gate.at(-1)).toBe('');
  });

  it('takes every call that reaches it while the dialplan gate lets a share in, and sheds itself only once the gate is closed', async () => {
    const { m, load } = monitor();
    m.onGate(() => undefined);
    load.rest503 = 3;
    m.sample(0);
    expect(m.admission.share).toBe(0.5);
    expect([m.admit(), m.admit(), m.admit()].every((v) => v.admit)).toBe(true);
    load.rest503 = 30;
    m.sample(250);
    expect(m.admit()).toEqual({ admit: false, state: 'critical', reason: 'rest503' });
  });

  it('draws the share itself when no dialplan gate listens', () => {
    const { m, load } = monitor();
    load.rest503 = 3;
    m.sample(0);
    expect([m.admit(), m.admit(), m.admit(), m.admit()].map((v) => v.admit)).toEqual([
      false,
      true,
      false,
      true,
    ]);
  });
});
