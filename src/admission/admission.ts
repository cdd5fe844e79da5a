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
const SIGNALS = Object.keys({
  loopDelayMs: 0,
  actionLatencyMs: 0,
  pendingCommands: 0,
  restInFlight: 0,
  ariEventLateMs: 0,
  rest503: 0,
} satisfies AdmissionSignals) as Signal[];

export class Admission {
  private current: AdmissionState = 'normal';
  private why: ShedReason = 'forced';
  /** Since when every signal has been below the recovery line of the current level. */
  private quietSince: number | undefined;
  private forcedState: AdmissionState | undefined;
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

  /** Whether a NEW call is taken now; calls already in the engine are never asked. */
  admit(): Verdict {
    const state = this.state;
    return state === 'normal' ? { admit: true } : { admit: false, state, reason: this.reason };
  }

  /** Takes one sample at time `now` (ms, any monotonic origin); returns the transition it caused. */
  observe(signals: AdmissionSignals, now: number): Transition | undefined {
    const { level, reason } = this.levelOf(signals);
    const from = this.current;
    if (RANK[level] > RANK[from]) {
      this.quietSince = undefined;
      return this.move(from, level, now, reason);
    }
    if (from === 'normal') return undefined;
    // Stay while any signal is above the recovery line of the current level.
    const loud = this.loudest(signals, from);
    if (loud !== undefined) {
      this.quietSince = undefined;
      this.why = loud;
      return undefined;
    }
    this.quietSince ??= now;
    if (now - this.quietSince < this.settings.holdMs) return undefined;
    this.quietSince = now;
    return this.move(from, from === 'critical' ? 'shedding' : 'normal', now, this.why);
  }

  private move(from: AdmissionState, to: AdmissionState, at: number, reason: ShedReason): Transition {
    this.current = to;
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
