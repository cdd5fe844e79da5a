import { describe, expect, it } from 'vitest';
import { Admission, type AdmissionSignals, type AdmissionThresholds } from '../../src/admission/admission.ts';
import { AdmissionConfigSchema, admissionOptions } from '../../src/admission/config.ts';

const thresholds: AdmissionThresholds = {
  loopDelayMs: { shed: 200, critical: 1000 },
  actionLatencyMs: { shed: 500, critical: 2000 },
  pendingCommands: { shed: 1000, critical: 5000 },
  restInFlight: { shed: 100, critical: 400 },
  ariEventLateMs: { shed: 500, critical: 2000 },
  rest503: { shed: 1, critical: 10 },
  firstAudioMs: { shed: 800, critical: 1600 },
  pbxQueuePercent: { shed: 50, critical: 80 },
};
const quiet: AdmissionSignals = {
  loopDelayMs: 5,
  actionLatencyMs: 10,
  pendingCommands: 0,
  restInFlight: 2,
  ariEventLateMs: 0,
  rest503: 0,
  firstAudioMs: 20,
  pbxQueuePercent: 1,
};
const sample = (over: Partial<AdmissionSignals>): AdmissionSignals => ({ ...quiet, ...over });

/** A state machine and a clock that only moves when the test says so. */
function machine(holdMs = 3000) {
  const admission = new Admission({ thresholds, recoverRatio: 0.5, holdMs });
  let now = 0;
  return {
    admission,
    at: (ms: number, s: AdmissionSignals) => {
      now = ms;
      return admission.observe(s, now);
    },
  };
}

describe('the admission state machine', () => {
  it('takes every new call while each signal is under its threshold', () => {
    const m = machine();
    expect(m.at(0, quiet)).toBeUndefined();
    expect(m.at(250, sample({ loopDelayMs: 199, restInFlight: 99 }))).toBeUndefined();
    expect(m.admission.state).toBe('normal');
    expect(m.admission.admit()).toEqual({ admit: true });
  });

  it('starts shedding at once when one signal reaches its threshold, naming that signal', () => {
    const m = machine();
    expect(m.at(0, sample({ actionLatencyMs: 600 }))).toMatchObject({
      from: 'normal',
      to: 'shedding',
      reason: 'actionLatencyMs',
    });
    expect(m.admission.admit()).toEqual({ admit: false, state: 'shedding', reason: 'actionLatencyMs' });
  });

  it('names the signal furthest over its threshold when several are', () => {
    const m = machine();
    expect(m.at(0, sample({ loopDelayMs: 210, restInFlight: 300 }))?.reason).toBe('restInFlight');
  });

  it('goes straight to critical from normal when a signal reaches its critical level', () => {
    const m = machine();
    expect(m.at(0, sample({ ariEventLateMs: 2500 }))).toMatchObject({
      to: 'critical',
      reason: 'ariEventLateMs',
    });
    expect(m.admission.admit()).toMatchObject({ admit: false, state: 'critical' });
  });

  it('stays shedding while a signal is above half its threshold, even below the threshold itself', () => {
    const m = machine();
    m.at(0, sample({ loopDelayMs: 300 }));
    for (let t = 250; t <= 10_000; t += 250) expect(m.at(t, sample({ loopDelayMs: 150 }))).toBeUndefined();
    expect(m.admission.state).toBe('shedding');
  });

  it('returns to normal only after every signal stayed recovered for the whole hold time', () => {
    const m = machine(3000);
    m.at(0, sample({ loopDelayMs: 300 }));
    expect(m.at(1000, quiet)).toBeUndefined();
    expect(m.at(3999, quiet)).toBeUndefined();
    expect(m.at(4000, quiet)).toMatchObject({ from: 'shedding', to: 'normal' });
    expect(m.admission.admit()).toEqual({ admit: true });
  });

  it('restarts the hold time when a signal comes back above its recovery line', () => {
    const m = machine(3000);
    m.at(0, sample({ loopDelayMs: 300 }));
    m.at(1000, quiet);
    m.at(3500, sample({ pendingCommands: 600 }));
    expect(m.at(4000, quiet)).toBeUndefined();
    expect(m.at(6999, quiet)).toBeUndefined();
    expect(m.at(7000, quiet)?.to).toBe('normal');
  });

  it('steps down from critical through shedding, a hold time each and the share climbed back', () => {
    const m = machine(2000);
    m.at(0, sample({ rest503: 12 }));
    expect(m.admission.state).toBe('critical');
    m.at(500, quiet);
    expect(m.at(2500, quiet)).toMatchObject({ from: 'critical', to: 'shedding' });
    expect(m.at(4000, quiet)).toBeUndefined();
    // Held 2 s at 4500, but the share is at 0.9 (0.1 + 0.4/s × 2 s).
    expect(m.at(4500, quiet)).toBeUndefined();
    expect(m.at(5000, quiet)).toMatchObject({ from: 'shedding', to: 'normal' });
    expect(m.admission.transitions.map((t) => t.to)).toEqual(['critical', 'shedding', 'normal']);
  });

  it('leaves critical only once its signals are below half the critical level', () => {
    const m = machine(1000);
    m.at(0, sample({ loopDelayMs: 1200 }));
    for (let t = 250; t <= 5000; t += 250) m.at(t, sample({ loopDelayMs: 600 }));
    expect(m.admission.state).toBe('critical');
    m.at(5250, sample({ loopDelayMs: 400 }));
    expect(m.at(6250, sample({ loopDelayMs: 400 }))?.to).toBe('shedding');
  });

  it('keeps a forced state whatever it measures, and gives control back when released', () => {
    const m = machine();
    m.admission.force('shedding');
    m.at(0, quiet);
    expect(m.admission.admit()).toEqual({ admit: false, state: 'shedding', reason: 'forced' });
    m.admission.force(undefined);
    expect(m.admission.admit()).toEqual({ admit: true });
  });

  it('refuses thresholds whose critical level is under the shedding level', () => {
    expect(
      () =>
        new Admission({
          thresholds: { ...thresholds, restInFlight: { shed: 100, critical: 50 } },
          recoverRatio: 0.5,
          holdMs: 1000,
        }),
    ).toThrow(/thresholds.restInFlight/);
  });
});

describe('admission settings from the environment', () => {
  it('has defaults for every threshold and reads overrides', () => {
    const o = admissionOptions(
      AdmissionConfigSchema.parse({
        ADMISSION: 'on',
        ADMISSION_LOOP_DELAY_MS: '300',
        ADMISSION_HOLD_MS: '5000',
      }),
    )!;
    expect(o.thresholds.loopDelayMs.shed).toBe(300);
    expect(o.holdMs).toBe(5000);
    expect(o.thresholds.rest503.shed).toBeGreaterThan(0);
  });

  it('is on unless ADMISSION=off', () => {
    expect(admissionOptions(AdmissionConfigSchema.parse({}))).toBeDefined();
    expect(admissionOptions(AdmissionConfigSchema.parse({ ADMISSION: 'off' }))).toBeUndefined();
    expect(admissionOptions(AdmissionConfigSchema.parse({ ADMISSION: 'on' }))).toBeDefined();
  });

  it('refuses a value that is not a number, naming the variable', () => {
    const r = AdmissionConfigSchema.safeParse({ ADMISSION_REST_IN_FLIGHT: 'many' });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual(['ADMISSION_REST_IN_FLIGHT']);
  });
});

describe('admission settings in the service configuration', () => {
  it('refuses a critical level under the shedding level, naming the variable', async () => {
    const { readConfig } = await import('../../src/config.ts');
    expect(() =>
      readConfig({ ADMISSION_REST_IN_FLIGHT: '500', ADMISSION_REST_IN_FLIGHT_CRITICAL: '100' }),
    ).toThrow(/ADMISSION_REST_IN_FLIGHT_CRITICAL: must be at least ADMISSION_REST_IN_FLIGHT \(500\)/);
    expect(() =>
      readConfig({ ADMISSION_LOOP_DELAY_MS: '900', ADMISSION_LOOP_DELAY_CRITICAL_MS: '100' }),
    ).toThrow(/ADMISSION_LOOP_DELAY_CRITICAL_MS: must be at least ADMISSION_LOOP_DELAY_MS/);
  });
});

describe('the share of new calls taken while shedding', () => {
  const taken = (m: ReturnType<typeof machine>, calls: number) =>
    Array.from({ length: calls }, () => m.admission.admit().admit).filter(Boolean).length;

  it('takes every other call on entering shedding, spread evenly', () => {
    const m = machine();
    m.at(0, sample({ loopDelayMs: 300 }));
    expect(m.admission.share).toBe(0.5);
    expect(Array.from({ length: 6 }, () => m.admission.admit().admit)).toEqual([
      false,
      true,
      false,
      true,
      false,
      true,
    ]);
  });

  it('halves the share every quarter second still over a threshold, down to none', () => {
    const m = machine();
    m.at(0, sample({ loopDelayMs: 300 }));
    m.at(250, sample({ loopDelayMs: 300 }));
    expect(m.admission.share).toBe(0.25);
    expect(taken(m, 100)).toBe(25);
    // A sample half a second later halves it twice.
    m.at(750, sample({ loopDelayMs: 300 }));
    expect(m.admission.share).toBe(0.0625);
    for (let t = 1000; t <= 1500; t += 250) m.at(t, sample({ loopDelayMs: 300 }));
    expect(m.admission.share).toBe(0);
    expect(taken(m, 100)).toBe(0);
    expect(m.admission.state).toBe('shedding');
  });

  it('grows the share by 0.4 a second of quiet and keeps it while a signal is between the recovery line and its threshold', () => {
    const m = machine();
    m.at(0, sample({ loopDelayMs: 300 }));
    m.at(250, quiet);
    m.at(500, quiet);
    expect(m.admission.share).toBeCloseTo(0.7);
    m.at(750, sample({ loopDelayMs: 150 }));
    expect(m.admission.share).toBeCloseTo(0.7);
    expect(taken(m, 10)).toBe(7);
  });

  it('returns to taking every call only once the share has climbed to all of them', () => {
    const m = machine(500);
    m.at(0, sample({ loopDelayMs: 300 }));
    for (let t = 250; t <= 1500; t += 250) m.at(t, sample({ loopDelayMs: 300 }));
    expect(m.admission.share).toBe(0);
    // Quiet for longer than the hold time, but the share is still climbing: not yet normal.
    expect(m.at(1750, quiet)).toBeUndefined();
    expect(m.at(2500, quiet)).toBeUndefined();
    expect(m.admission.state).toBe('shedding');
    expect(m.admission.share).toBeCloseTo(0.4);
    expect(m.at(4000, quiet)).toMatchObject({ from: 'shedding', to: 'normal' });
    expect(m.admission.share).toBe(1);
  });

  it('takes no new call when critical, and a tenth on stepping down from it', () => {
    const m = machine(1000);
    m.at(0, sample({ loopDelayMs: 1200 }));
    expect(m.admission.share).toBe(0);
    expect(taken(m, 50)).toBe(0);
    m.at(250, quiet);
    expect(m.at(1250, quiet)).toMatchObject({ from: 'critical', to: 'shedding' });
    expect(m.admission.share).toBeCloseTo(0.1);
    expect(taken(m, 50)).toBe(5);
  });

  it('takes none while an operator holds it shedding, and every call once the state is normal again', () => {
    const m = machine(1000);
    m.admission.force('shedding');
    expect(taken(m, 20)).toBe(0);
    m.admission.force(undefined);
    expect(m.admission.share).toBe(1);
    expect(taken(m, 20)).toBe(20);
  });
});
