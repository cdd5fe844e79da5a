/**
 * Admission control: whether the engine takes a NEW call or hands it to the dialplan's safety
 * net. A pure state machine over the engine's own measurements, driven by the time it is given
 * (no clock of its own), so its hysteresis is tested without waiting.
 *
 * States: `normal` (every call is taken), `shedding` (new calls are handed to the safety net
 * with the reason; calls already in the engine keep full service), `critical` (the same for new
 * calls — the engine is past the point where any more work would be safe; it is its own state so
 * that monitoring sees how far past the limit the engine is, and so that leaving it takes a
 * step through `shedding`).
 *
 * Hysteresis: the state goes UP at once to the highest level any signal reaches; it comes DOWN
 * one level at a time, and only after every signal has stayed below `recoverRatio` × its
 * threshold for that level for `holdMs` without a break. A single quiet sample never re-opens
 * the door to a flood.
 *
 * The admitted share: a surge of 2× and one of 4× need different answers, and an engine that
 * turned every new call away while it recovered, then took them all again, would swing between
 * silence and flood. So while `shedding` the engine takes a SHARE of new calls, steered by its
 * signals at every sample (additive increase, multiplicative decrease, by the time between
 * samples): it starts at half; while a signal is at or over its shedding level it halves every
 * quarter second (at least once per sample; under 2 % it is none); while every signal is under
 * the recovery line it grows by 0.4 a second; in between it stays. `normal`
 * takes every call, `critical` none; stepping down from `critical` starts at a tenth, and
 * `shedding` steps down to `normal` only once the share has climbed back to all calls. The share
 * is spread evenly over the calls (every n-th call, not by chance), and the dialplan's gate
 * applies the same share to calls before they reach the engine (gate.ts).
 */

export type AdmissionState = 'normal' | 'shedding' | 'critical';

/** What the engine measures of itself and of Asterisk, one sample per tick. */
export interface AdmissionSignals {
  /** Event-loop delay over the last window (p99, wall ms). */
  loopDelayMs: number;
  /** Event-to-first-PBX-request latency over the last window (p99, wall ms). */
  actionLatencyMs: number;
  /** Telephony commands accepted by the engine and not yet answered by the PBX. */
  pendingCommands: number;
  /** REST requests in flight to the Asterisk this engine drives. */
  restInFlight: number;
  /** How late ARI events arrived vs their Asterisk timestamp, over the last window (max, wall ms). */
  ariEventLateMs: number;
  /** REST answers 503 (Asterisk refusing work) in the last window. */
  rest503: number;
  /** The slowest new caller's wait for first audio over the last window (wall ms). */
  firstAudioMs: number;
  /**
   * Asterisk's fullest taskprocessor queue, in percent of its high-water mark (over AMI): past
   * 100 % Asterisk itself refuses new SIP requests (503) or drops them.
   */
  pbxQueuePercent: number;
}

export type Signal = keyof AdmissionSignals;

/** Why a call was shed: the signal that put the engine over its limit, or an operator's force. */
export type ShedReason = Signal | 'forced';

export const SHED_REASONS: readonly ShedReason[] = [
  'loopDelayMs',
  'actionLatencyMs',
  'pendingCommands',
  'restInFlight',
  'ariEventLateMs',
  'rest503',
  'firstAudioMs',
  'pbxQueuePercent',
  'forced',
];

/** Per signal: the level from which the engine sheds, and the level from which it is critical. */
export type AdmissionThresholds = Record<Signal, { shed: number; critical: number }>;

export interface AdmissionSettings {
  thresholds: AdmissionThresholds;
  /** Below this share of a level's threshold a signal counts as recovered (0 < r < 1). */
  recoverRatio: number;
  /** How long every signal must stay recovered before the state steps down one level. */
  holdMs: number;
}

export interface Transition {
  from: AdmissionState;
  to: AdmissionState;
  at: number;
  /** The signal that raised the state (or that last kept it up, when stepping down). */
  reason: ShedReason;
}

export type Verdict = { admit: true } | { admit: false; state: AdmissionState; reason: ShedReason };

const RANK: Record<AdmissionState, number> = { normal: 0, shedding: 1, critical: 2 };
/** The admitted share on entering `shedding` from `normal`, and from `critical`. */
const SHARE_FROM_NORMAL = 0.5;
const SHARE_FROM_CRITICAL = 0.1;
/** Added per second of quiet; halved per quarter second over a threshold; under the floor, none. */
const SHARE_RISE_PER_S = 0.4;
const SHARE_HALVING_MS = 250;
const SHARE_FLOOR = 0.02;
const SIGNALS = Object.keys({
  loopDelayMs: 0,
  actionLatencyMs: 0,
  pendingCommands: 0,
  restInFlight: 0,
  ariEventLateMs: 0,
  rest503: 0,
  firstAudioMs: 0,
  pbxQueuePercent: 0,
} satisfies AdmissionSignals) as Signal[];

export class Admission {
  private current: AdmissionState = 'normal';
  private why: ShedReason = 'forced';
  /** Since when every signal has been below the recovery line of the current level. */
  private quietSince: number | undefined;
  private forcedState: AdmissionState | undefined;
  /** The share of new calls taken while `shedding` (see the top of this file). */
  private shedShare = SHARE_FROM_NORMAL;
  /** Calls owed to the share: a call is taken each time it reaches 1. */
  private credit = 0;
  /** When the last sample was taken. */
  private lastAt: number | undefined;
  readonly transitions: Transition[] = [];

  constructor(private readonly settings: AdmissionSettings) {
    const { recoverRatio, holdMs, thresholds } = settings;
    if (!(recoverRatio > 0 && recoverRatio < 1)) throw new RangeError('recoverRatio must be in (0, 1)');
    if (!(holdMs >= 0)) throw new RangeError('holdMs must be 0 or more');
    for (const s of SIGNALS) {
      const t = thresholds[s];
      if (!(t.shed > 0 && t.critical >= t.shed))
        throw new RangeError(`thresholds.${s}: shed must be positive and critical at least shed`);
    }
  }

  /** The state decisions are made in (a forced state wins over the measured one). */
  get state(): AdmissionState {
    return this.forcedState ?? this.current;
  }

  /** The signal behind the current state (`forced` while forced). */
  get reason(): ShedReason {
    return this.forcedState !== undefined ? 'forced' : this.why;
  }

  /** The state an operator holds (see force), if any. */
  get held(): AdmissionState | undefined {
    return this.forcedState;
  }

  /** Holds the state where an operator (or a test) puts it; `undefined` gives control back. */
  force(state: AdmissionState | undefined): void {
    this.forcedState = state;
  }

  /** The share of new calls taken now: 1 in `normal`, 0 in `critical` or while held shedding. */
  get share(): number {
    const state = this.state;
    if (state === 'normal') return 1;
    if (state === 'critical' || this.forcedState !== undefined) return 0;
    return this.shedShare;
  }

  /** Whether a NEW call is taken now; calls already in the engine are never asked. */
  admit(): Verdict {
    const state = this.state;
    if (state === 'normal') return { admit: true };
    this.credit += this.share;
    if (this.credit >= 1 - 1e-9) {
      this.credit -= 1;
      return { admit: true };
    }
    return { admit: false, state, reason: this.reason };
  }

  /** Takes one sample at time `now` (ms, any monotonic origin); returns the transition it caused. */
  observe(signals: AdmissionSignals, now: number): Transition | undefined {
    const sinceLast = this.lastAt === undefined ? 0 : Math.max(0, now - this.lastAt);
    this.lastAt = now;
    const { level, reason } = this.levelOf(signals);
    const from = this.current;
    if (RANK[level] > RANK[from]) {
      this.quietSince = undefined;
      return this.move(from, level, now, reason);
    }
    if (from === 'normal') return undefined;
    // Stay while any signal is above the recovery line of the current level.
    const loud = this.loudest(signals, from);
    if (from === 'shedding') this.steer(level === 'shedding', loud === undefined, sinceLast);
    if (loud !== undefined) {
      this.quietSince = undefined;
      this.why = loud;
      return undefined;
    }
    this.quietSince ??= now;
    if (now - this.quietSince < this.settings.holdMs) return undefined;
    // Back to taking every call only once the share has climbed to all of them.
    if (from === 'shedding' && this.shedShare < 1) return undefined;
    this.quietSince = now;
    return this.move(from, from === 'critical' ? 'shedding' : 'normal', now, this.why);
  }

  /** Moves the admitted share for `ms` of shedding: down fast while over a threshold, up slowly while quiet. */
  private steer(over: boolean, quiet: boolean, ms: number): void {
    if (over) {
      const share = this.shedShare * 0.5 ** (Math.max(ms, SHARE_HALVING_MS) / SHARE_HALVING_MS);
      this.shedShare = share < SHARE_FLOOR ? 0 : share;
    } else if (quiet) {
      const share = this.shedShare + (SHARE_RISE_PER_S * ms) / 1000;
      this.shedShare = Math.min(1, Math.round(share * 100) / 100);
    }
  }

  private move(from: AdmissionState, to: AdmissionState, at: number, reason: ShedReason): Transition {
    this.current = to;
    if (to === 'shedding') this.shedShare = from === 'critical' ? SHARE_FROM_CRITICAL : SHARE_FROM_NORMAL;
    this.credit = 0;
    this.why = reason;
    const t = { from, to, at, reason };
    this.transitions.push(t);
    if (this.transitions.length > 100) this.transitions.shift();
    return t;
  }

  /** The highest level the signals reach now, and the signal that reaches it furthest. */
  private levelOf(signals: AdmissionSignals): { level: AdmissionState; reason: ShedReason } {
    let level: AdmissionState = 'normal';
    let reason: ShedReason = this.why;
    let worst = 0;
    for (const s of SIGNALS) {
      const t = this.settings.thresholds[s];
      const v = signals[s];
      const l: AdmissionState = v >= t.critical ? 'critical' : v >= t.shed ? 'shedding' : 'normal';
      const ratio = v / t.shed;
      if (RANK[l] > RANK[level] || (RANK[l] === RANK[level] && l !== 'normal' && ratio > worst)) {
        level = l;
        reason = s;
        worst = ratio;
      }
    }
    return { level, reason };
  }

  /** The signal furthest above the recovery line of `state`'s threshold, if any is. */
  private loudest(signals: AdmissionSignals, state: AdmissionState): Signal | undefined {
    let found: Signal | undefined;
    let worst = 0;
    for (const s of SIGNALS) {
      const t = this.settings.thresholds[s];
      const line = (state === 'critical' ? t.critical : t.shed) * this.settings.recoverRatio;
      const ratio = signals[s] / line;
      if (signals[s] >= line && ratio > worst) {
        found = s;
        worst = ratio;
      }
    }
    return found;
  }
}
