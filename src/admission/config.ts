import { z } from 'zod';
import type { AdmissionSettings, AdmissionThresholds } from './admission.ts';

/**
 * Admission control's settings, from the environment (merged into src/config.ts's schema). Each
 * signal has a level from which new calls are shed and a level from which the engine is
 * critical; the defaults are sane for one engine process driving one Asterisk.
 */
const ms = (min: number, max: number, def: number) => z.coerce.number().min(min).max(max).default(def);
const count = (max: number, def: number) => z.coerce.number().int().min(1).max(max).default(def);

export const AdmissionEnv = {
  /** `off` turns admission control off: the engine takes every call whatever it measures. */
  ADMISSION: z.enum(['on', 'off']).default('on'),
  /** How often the engine measures itself (wall ms). */
  ADMISSION_SAMPLE_MS: ms(50, 10_000, 250),
  /** Below this share of a threshold a signal counts as recovered. */
  ADMISSION_RECOVER_RATIO: z.coerce.number().gt(0).lt(1).default(0.5),
  /** How long every signal must stay recovered before the state steps down one level (wall ms). */
  ADMISSION_HOLD_MS: ms(0, 600_000, 3_000),
  ADMISSION_LOOP_DELAY_MS: ms(1, 60_000, 250),
  ADMISSION_LOOP_DELAY_CRITICAL_MS: ms(1, 60_000, 1_000),
  ADMISSION_ACTION_LATENCY_MS: ms(1, 60_000, 800),
  ADMISSION_ACTION_LATENCY_CRITICAL_MS: ms(1, 60_000, 3_000),
  ADMISSION_PENDING_COMMANDS: count(10_000_000, 3_000),
  ADMISSION_PENDING_COMMANDS_CRITICAL: count(10_000_000, 12_000),
  // First prompts and hand-overs go ahead of the queue (urgent lane), so a REST queue delays new
  // callers only when it is very long: these protect memory and Asterisk, not first audio.
  ADMISSION_REST_IN_FLIGHT: count(1_000_000, 3_000),
  ADMISSION_REST_IN_FLIGHT_CRITICAL: count(1_000_000, 12_000),
  ADMISSION_ARI_EVENT_LATE_MS: ms(1, 60_000, 800),
  ADMISSION_ARI_EVENT_LATE_CRITICAL_MS: ms(1, 60_000, 3_000),
  // The goal itself: no new caller waits more than 2 s for first audio.
  ADMISSION_FIRST_AUDIO_MS: ms(1, 60_000, 500),
  ADMISSION_FIRST_AUDIO_CRITICAL_MS: ms(1, 60_000, 1_200),
  // Asterisk refuses new SIP requests once a taskprocessor queue passes its high-water mark.
  ADMISSION_PBX_QUEUE_PERCENT: count(1_000, 50),
  ADMISSION_PBX_QUEUE_PERCENT_CRITICAL: count(1_000, 80),
  ADMISSION_REST_503: count(1_000_000, 1),
  ADMISSION_REST_503_CRITICAL: count(1_000_000, 20),
};

export const AdmissionConfigSchema = z.object(AdmissionEnv);
export type AdmissionConfig = z.infer<typeof AdmissionConfigSchema>;

export interface AdmissionOptions extends AdmissionSettings {
  sampleMs: number;
}

/** The admission settings from checked configuration (thresholds checked always); undefined when off. */
export function admissionOptions(c: AdmissionConfig): AdmissionOptions | undefined {
  const pair = (shed: number, critical: number, name: string) => {
    if (critical < shed)
      throw new RangeError(
        `${name.replace(/_MS$/, '')}_CRITICAL${name.endsWith('_MS') ? '_MS' : ''}: must be at least ${name} (${shed})`,
      );
    return { shed, critical };
  };
  const thresholds: AdmissionThresholds = {
    loopDelayMs: pair(
      c.ADMISSION_LOOP_DELAY_MS,
      c.ADMISSION_LOOP_DELAY_CRITICAL_MS,
      'ADMISSION_LOOP_DELAY_MS',
    ),
    actionLatencyMs: pair(
      c.ADMISSION_ACTION_LATENCY_MS,
      c.ADMISSION_ACTION_LATENCY_CRITICAL_MS,
      'ADMISSION_ACTION_LATENCY_MS',
    ),
    pendingCommands: pair(
      c.ADMISSION_PENDING_COMMANDS,
      c.ADMISSION_PENDING_COMMANDS_CRITICAL,
      'ADMISSION_PENDING_COMMANDS',
    ),
    restInFlight: pair(
      c.ADMISSION_REST_IN_FLIGHT,
      c.ADMISSION_REST_IN_FLIGHT_CRITICAL,
      'ADMISSION_REST_IN_FLIGHT',
    ),
    ariEventLateMs: pair(
      c.ADMISSION_ARI_EVENT_LATE_MS,
      c.ADMISSION_ARI_EVENT_LATE_CRITICAL_MS,
      'ADMISSION_ARI_EVENT_LATE_MS',
    ),
    rest503: pair(c.ADMISSION_REST_503, c.ADMISSION_REST_503_CRITICAL, 'ADMISSION_REST_503'),
    pbxQueuePercent: pair(
      c.ADMISSION_PBX_QUEUE_PERCENT,
      c.ADMISSION_PBX_QUEUE_PERCENT_CRITICAL,
      'ADMISSION_PBX_QUEUE_PERCENT',
    ),
    firstAudioMs: pair(
      c.ADMISSION_FIRST_AUDIO_MS,
      c.ADMISSION_FIRST_AUDIO_CRITICAL_MS,
      'ADMISSION_FIRST_AUDIO_MS',
    ),
  };
  // The thresholds are checked even when admission control is off, so turning it on never
  // meets a configuration error first found then.
  if (c.ADMISSION === 'off') return undefined;
  return {
    thresholds,
    recoverRatio: c.ADMISSION_RECOVER_RATIO,
    holdMs: c.ADMISSION_HOLD_MS,
    sampleMs: c.ADMISSION_SAMPLE_MS,
  };
}

/** The defaults, as `hotline serve` uses them with no ADMISSION_* variable set. */
export function defaultAdmissionOptions(): AdmissionOptions {
  return admissionOptions(AdmissionConfigSchema.parse({ ADMISSION: 'on' }))!;
}
