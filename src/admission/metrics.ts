import { Counter, Gauge, type Registry } from 'prom-client';
import { SHED_REASONS } from './admission.ts';
import type { AdmissionMonitor } from './monitor.ts';

const STATES = ['normal', 'shedding', 'critical'] as const;

/**
 * Admission control on /metrics: the state (1 for the current one), calls shed by reason (by the
 * engine, and by the dialplan's gate as the safety net's notes are recorded), the
 * last sample of each signal, and lag percentiles since start (event-loop delay, event-to-action
 * latency). Read when scraped; nothing is counted twice. Registered once per registry.
 */
export function registerAdmissionMetrics(
  registry: Registry,
  monitor: () => AdmissionMonitor | undefined,
  shedInDialplan: () => ReadonlyMap<string, number> = () => new Map(),
): void {
  if (registry.getSingleMetric('hotline_admission_state')) return;
  const registers = [registry];
  new Gauge({
    name: 'hotline_admission_state',
    help: 'Admission control state: 1 for the current one (normal, shedding, critical); none when off',
    labelNames: ['state'],
    registers,
    collect() {
      this.reset();
      const m = monitor();
      if (!m) return;
      for (const s of STATES) this.set({ state: s }, m.state === s ? 1 : 0);
    },
  });
  new Gauge({
    name: 'hotline_admission_share',
    help: 'Share of new calls taken (1 normal, 0 critical or held; in between while shedding)',
    registers,
    collect() {
      this.reset();
      const m = monitor();
      if (m) this.set(m.admission.share);
    },
  });
  new Counter({
    name: 'hotline_calls_shed_total',
    help: 'New calls handed to the dialplan safety net by admission control, by reason',
    labelNames: ['reason'],
    registers,
    collect() {
      this.reset();
      const m = monitor();
      if (!m) return;
      for (const r of SHED_REASONS) this.inc({ reason: r }, m.shed.get(r) ?? 0);
    },
  });
  new Counter({
    name: 'hotline_calls_shed_in_dialplan_total',
    help: "New calls the dialplan's admission gate sent to the safety net, by reason (counted as their notes are recorded)",
    labelNames: ['reason'],
    registers,
    collect() {
      this.reset();
      for (const [reason, n] of shedInDialplan()) this.inc({ reason }, n);
    },
  });
  new Gauge({
    name: 'hotline_admission_signal',
    help: 'The last sample of each admission signal (ms, commands, requests or 503 answers per sample)',
    labelNames: ['signal'],
    registers,
    collect() {
      this.reset();
      const m = monitor();
      if (!m) return;
      for (const [signal, value] of Object.entries(m.last)) this.set({ signal }, value);
    },
  });
  new Gauge({
    name: 'hotline_engine_lag_ms',
    help: 'Engine lag since start, wall ms: event-loop delay and event-to-action latency, by quantile',
    labelNames: ['kind', 'quantile'],
    registers,
    collect() {
      this.reset();
      const m = monitor();
      if (!m) return;
      const lag = m.lag();
      for (const [kind, q] of [
        ['event_loop_delay', lag.loopDelay],
        ['action_latency', lag.actionLatency],
      ] as const) {
        this.set({ kind, quantile: '0.5' }, q.p50);
        this.set({ kind, quantile: '0.99' }, q.p99);
        this.set({ kind, quantile: '1' }, q.max);
      }
    },
  });
}
