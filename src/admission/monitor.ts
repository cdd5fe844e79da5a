import {
  createHistogram,
  type IntervalHistogram,
  monitorEventLoopDelay,
  type RecordableHistogram,
} from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { TelephonyLoad } from '../telephony/port.ts';
import {
  Admission,
  type AdmissionSignals,
  type AdmissionState,
  type ShedReason,
  type Transition,
  type Verdict,
} from './admission.ts';
import type { AdmissionOptions } from './config.ts';

/** Where the monitor reads what it cannot measure itself. */
export interface AdmissionProbe {
  /** Telephony commands accepted and not yet answered by the PBX. */
  pendingCommands(): number;
  /** The PBX side's load since the last read (undefined: the port does not say). */
  telephonyLoad(): TelephonyLoad | undefined;
  /** Asterisk's fullest taskprocessor queue since the last read, % of its high-water mark (AMI). */
  pbxQueuePercent?(): number;
}

const ZERO: AdmissionSignals = {
  loopDelayMs: 0,
  actionLatencyMs: 0,
  pendingCommands: 0,
  restInFlight: 0,
  ariEventLateMs: 0,
  rest503: 0,
  firstAudioMs: 0,
  pbxQueuePercent: 0,
};

/** Wall ms from histogram ns (event loop) or µs (action latency) at a percentile. */
const p = (h: RecordableHistogram | IntervalHistogram, q: number, perMs: number) =>
  h.count > 0 ? h.percentile(q) / perMs : 0;

/**
 * The measuring side of admission control: samples the event-loop delay (perf_hooks), the
 * event-to-action latency the command bus reports, the commands waiting for the PBX and the PBX
 * side's load (REST in flight, 503s, late ARI events) every `sampleMs` of wall time, and feeds
 * the pure state machine. Its timer is the wall clock's on purpose: overload is about the real
 * time callers wait, also under the virtual clocks of load runs.
 */
export class AdmissionMonitor {
  readonly admission: Admission;
  /** The last sample taken. */
  last: AdmissionSignals = { ...ZERO };
  /** Calls shed since start, by reason. */
  readonly shed = new Map<ShedReason, number>();
  /** Action latency since start (µs), for the lag percentiles of /metrics. */
  readonly latency: RecordableHistogram = createHistogram();
  /** Event-loop delay since start (ns). */
  readonly loopDelay: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });
  private readonly windowLoop: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });
  private readonly windowLatency: RecordableHistogram = createHistogram();
  private timer: NodeJS.Timeout | undefined;
  private readonly listeners: ((t: Transition) => void)[] = [];
  private readonly gates: ((reason: string) => unknown)[] = [];

  constructor(
    private readonly options: AdmissionOptions,
    private readonly probe: AdmissionProbe,
    private readonly logger: Logger,
  ) {
    this.admission = new Admission(options);
  }

  start(): void {
    if (this.timer) return;
    this.loopDelay.enable();
    this.windowLoop.enable();
    this.timer = setInterval(() => this.sample(), this.options.sampleMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.loopDelay.disable();
    this.windowLoop.disable();
  }

  get state(): AdmissionState {
    return this.admission.state;
  }

  onTransition(listener: (t: Transition) => void): void {
    this.listeners.push(listener);
  }

  /**
   * `listener` gets the dialplan gate's value after every sample and every force: '' while every
   * call is taken, the shed reason while none is, `<reason>:<percent>` while a share is (the
   * telephony port writes it to the PBX when it changed, so calls the engine would shed never
   * reach it).
   */
  onGate(listener: (reason: string) => unknown): void {
    this.gates.push(listener);
    void listener(this.gateValue());
  }

  /**
   * An operator's hold on the state (`shedding` or `critical` sheds every new call with reason
   * `forced`, `normal` takes every call whatever the signals say); `undefined` gives control back to
   * the measurements. Logged; resolves once the dialplan gate follows.
   */
  async force(state: AdmissionState | undefined): Promise<void> {
    const before = this.admission.state;
    this.admission.force(state);
    this.logger.warn(
      { forced: state ?? null, from: before, to: this.admission.state, reason: this.admission.reason },
      state === undefined
        ? 'admission: operator hold released, the measurements decide again'
        : `admission: held at ${state} by an operator`,
    );
    await this.publishGate();
  }

  /** The state an operator holds (see force), if any. */
  get held(): AdmissionState | undefined {
    return this.admission.held;
  }

  /** '' (open), `<reason>` (closed) or `<reason>:<percent taken>` (see gate.ts). */
  private gateValue(): string {
    const a = this.admission;
    if (a.state === 'normal') return '';
    const percent = Math.round(a.share * 100);
    return percent > 0 ? `${a.reason}:${Math.min(99, percent)}` : a.reason;
  }

  private async publishGate(): Promise<void> {
    const value = this.gateValue();
    await Promise.all(this.gates.map((g) => g(value)));
  }

  /** An event-to-action latency sample (wall ms). */
  actionLatency(ms: number): void {
    const us = Math.max(1, Math.round(ms * 1000));
    this.latency.record(us);
    this.windowLatency.record(us);
  }

  /**
   * Whether a new call is taken now. With the dialplan's gate (a listener of onGate) the share is
   * drawn there: a call that reached the engine while a share is let in was drawn in (or came
   * before the gate narrowed), and is taken; the engine sheds what reaches it only while the gate
   * is closed (critical, held, or a share of none) — the calls already on their way. Without a
   * gate the engine draws the share itself.
   */
  admit(): Verdict {
    const a = this.admission;
    if (this.gates.length > 0 && a.state === 'shedding' && a.share > 0) return { admit: true };
    return a.admit();
  }

  noteShed(reason: ShedReason): void {
    this.shed.set(reason, (this.shed.get(reason) ?? 0) + 1);
  }

  /** Measures once and feeds the state machine (the timer calls it; tests may too). */
  sample(now = performance.now()): Transition | undefined {
    const load = this.probe.telephonyLoad();
    const signals: AdmissionSignals = {
      loopDelayMs: Math.round(p(this.windowLoop, 99, 1e6)),
      actionLatencyMs: Math.round(p(this.windowLatency, 99, 1e3)),
      pendingCommands: this.probe.pendingCommands(),
      restInFlight: load?.restInFlight ?? 0,
      ariEventLateMs: load?.eventLateMs ?? 0,
      rest503: load?.rest503 ?? 0,
      firstAudioMs: load?.firstAudioMs ?? 0,
      pbxQueuePercent: this.probe.pbxQueuePercent?.() ?? 0,
    };
    this.windowLoop.reset();
    this.windowLatency.reset();
    this.last = signals;
    const t = this.admission.observe(signals, now);
    if (t) {
      const log = t.to === 'normal' ? this.logger.info.bind(this.logger) : this.logger.warn.bind(this.logger);
      log(
        { from: t.from, to: t.to, reason: t.reason, signals },
        t.to === 'normal'
          ? 'admission: back to normal, new calls are taken again'
          : `admission: ${t.to}, new calls go to the safety net`,
      );
      for (const l of this.listeners) l(t);
    }
    void this.publishGate();
    return t;
  }

  /** Lag percentiles since start (wall ms), for /metrics. */
  lag(): {
    loopDelay: Record<'p50' | 'p99' | 'max', number>;
    actionLatency: Record<'p50' | 'p99' | 'max', number>;
  } {
    const r = (x: number) => Math.round(x * 100) / 100;
    return {
      loopDelay: {
        p50: r(p(this.loopDelay, 50, 1e6)),
        p99: r(p(this.loopDelay, 99, 1e6)),
        max: r(this.loopDelay.count > 0 ? this.loopDelay.max / 1e6 : 0),
      },
      actionLatency: {
        p50: r(p(this.latency, 50, 1e3)),
        p99: r(p(this.latency, 99, 1e3)),
        max: r(this.latency.count > 0 ? this.latency.max / 1e3 : 0),
      },
    };
  }
}
