import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { AgentState } from '../acd/agent.ts';
import type { CallState } from '../calls/core/types.ts';
import type { EngineStats } from '../calls/runtime/engine.ts';
import { EngineGroup } from '../calls/runtime/engine-group.ts';
import type { Clock } from '../clock.ts';
import type { HeldHotline, Hotline } from '../hotline.ts';
import { callFigures, withinServiceLevel } from '../records/call-figures.ts';
import type { EdgeReport, EdgeReportReader } from '../redis/edge-report.ts';
import { AriNodes } from '../telephony/ari/ari-nodes.ts';
import { CallFigures, sampleOf } from './call-figures.ts';
import { totalsCounter } from './totals-counter.ts';

const queueLabel = (s: CallState) => (s.queue ? `${s.queue.kind}:${s.queue.id}` : '');

export interface HotlineMetricsOptions {
  /** The SIP edge's report in Redis (several nodes): its node and trunk gauges. */
  edgeReport?: EdgeReportReader;
  /**
   * The engines whose calls are counted (default: the hotline's alone): with ENGINE_TAKEOVER,
   * those this process took over too (calls/runtime/engine-group.ts).
   */
  engines?: EngineGroup<HeldHotline>;
}

/** The engines' statistics added up (each engine's counts its own calls and commands). */
function summed(engines: EngineGroup<HeldHotline>): EngineStats {
  const [first, ...rest] = engines.members().map((m) => m.engine.stats);
  const total = structuredClone(first!);
  for (const s of rest) {
    for (const key of Object.keys(total) as (keyof EngineStats)[]) {
      const v = s[key];
      if (typeof v === 'number') (total[key] as number) += v;
    }
    for (const key of Object.keys(total.reconcile) as (keyof EngineStats['reconcile'])[])
      total.reconcile[key] += s.reconcile[key];
  }
  return total;
}

/**
 * The service's Prometheus metrics (its own Registry) and the live 24 h figures, fed by the
 * engines this process holds (`onStage`: a call entering a queue is offered, an agent answering
 * is answered; `onEnded`: abandonment, talk time, volume) and by the ACD store's change feed
 * (agent states). A call taken over from a dead engine counts here from then on; what happened
 * before, unseen here, counts at its next stage or its end, once (as for a call restored after a
 * restart).
 */
export class HotlineMetrics {
  readonly registry = new Registry();
  readonly figures: CallFigures;
  private readonly seen = new Map<string, { queue: string; offered: boolean; answered: boolean }>();
  private readonly agentStates = new Map<string, AgentState>();
  private stopAgents: (() => void) | undefined;

  private constructor(hotline: Hotline, clock: Clock, options: HotlineMetricsOptions) {
    const registers = [this.registry];
    const engines = options.engines ?? new EngineGroup<HeldHotline>(hotline);
    const stats = () => summed(engines);
    this.figures = new CallFigures({
      now: () => clock.now(),
      serviceLevelSeconds: () => hotline.plan.center.serviceLevelSeconds,
    });
    const offered = new Counter({
      name: 'hotline_calls_offered_total',
      help: 'Calls that entered an agent queue (pool or expert seat), by line and queue',
      labelNames: ['line', 'queue'],
      registers,
    });
    const answered = new Counter({
      name: 'hotline_calls_answered_total',
      help: 'Queued calls an agent answered, by line and queue',
      labelNames: ['line', 'queue'],
      registers,
    });
    const withinSl = new Counter({
      name: 'hotline_calls_answered_within_service_level_total',
      help: 'Calls answered within the plan serviceLevelSeconds of entering the queue',
      labelNames: ['line', 'queue'],
      registers,
    });
    const withinSlFromArrival = new Counter({
      name: 'hotline_calls_answered_within_service_level_from_arrival_total',
      help: 'Calls answered within the plan serviceLevelSeconds of arriving (prompts and menus before the queue count)',
      labelNames: ['line', 'queue'],
      registers,
    });
    const abandoned = new Counter({
      name: 'hotline_calls_abandoned_total',
      help: 'Calls whose caller hung up before being served, by line, queue ("" in the IVR) and stage',
      labelNames: ['line', 'queue', 'stage'],
      registers,
    });
    const ended = new Counter({
      name: 'hotline_calls_ended_total',
      help: 'Calls that ended, by line and disposition',
      labelNames: ['line', 'disposition'],
      registers,
    });
    const wait = new Histogram({
      name: 'hotline_queue_wait_seconds',
      help: 'Wait from entering a queue to an agent answering (answered) or the caller leaving (abandoned)',
      labelNames: ['queue', 'outcome'],
      buckets: [5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300, 600],
      registers,
    });
    const talk = new Histogram({
      name: 'hotline_talk_seconds',
      help: 'Agent talk time, from answering to leaving the call (or the call ending)',
      labelNames: ['queue'],
      buckets: [30, 60, 120, 180, 300, 450, 600, 900, 1200, 1800],
      registers,
    });
    new Gauge({
      name: 'hotline_service_level_seconds',
      help: 'The service level threshold of the live plan (center.serviceLevelSeconds)',
      registers,
      collect() {
        this.set(hotline.plan.center.serviceLevelSeconds);
      },
    });
    const agentStates = this.agentStates;
    new Gauge({
      name: 'hotline_agents',
      help: 'Agents by state',
      labelNames: ['state'],
      registers,
      collect() {
        this.reset();
        const counts = new Map<string, number>();
        for (const s of agentStates.values()) counts.set(s, (counts.get(s) ?? 0) + 1);
        for (const state of ['logged-out', 'ready', 'not-ready', 'reserved', 'on-call', 'wrap-up']) {
          this.set({ state }, counts.get(state) ?? 0);
        }
      },
    });
    new Gauge({
      name: 'hotline_live_calls',
      help: 'Calls in progress on the engines of this process (its own, and those it took over), by stage',
      labelNames: ['stage'],
      registers,
      collect() {
        this.reset();
        const counts = new Map<string, number>();
        for (const c of engines.liveCalls()) counts.set(c.stage, (counts.get(c.stage) ?? 0) + 1);
        for (const [stage, n] of counts) this.set({ stage }, n);
      },
    });
    new Gauge({
      name: 'hotline_ari_connected',
      help: 'Whether the ARI event connection is up (1) or lost (0)',
      registers,
      collect() {
        this.set(hotline.telephony.connected ? 1 : 0);
      },
    });
    this.nodeGauges(hotline, options.edgeReport);
    totalsCounter({
      name: 'hotline_ari_reconnects_total',
      help: 'Times the ARI event connection came back after being lost',
      registers,
      read: () => [['', hotline.telephony.reconnects]],
    });
    // One node's channel of each carrier call (several nodes behind the SIP edge): AttemptGate.
    const attemptOutcomes = [
      ['served', 'served'],
      ['waited', 'served-after-waiting'],
      ['refused', 'refused'],
      ['goneUnanswered', 'gone-unanswered'],
      ['takenOver', 'taken-over'],
      ['unchecked', 'unchecked'],
    ] as const;
    totalsCounter({
      name: 'hotline_carrier_call_channels_total',
      help: "Channels of carrier calls decided by the claim on the call's SIP Call-ID: served (handed to the engine; served-after-waiting: of those, after waiting on another node's unanswered channel), refused (another node's channel of the call had answered), gone-unanswered (ended while waiting for the claim, never handed to the engine), taken-over (served after another node's claim that never answered), unchecked (served without the claims: Redis unreachable)",
      labelName: 'outcome',
      registers,
      read: () => {
        const counts = hotline.telephony.attemptCounts;
        return attemptOutcomes.map(([field, outcome]) => [outcome, counts?.[field] ?? 0] as const);
      },
    });
    totalsCounter({
      name: 'hotline_node_trunk_legs_total',
      help: "Legs dialled through the inter-node trunk (several nodes): an agent's phone registered on another node than the call's; each costs both nodes a channel and a media hop (NODE_AFFINITY keeps them few)",
      registers,
      read: () => {
        const t = hotline.telephony;
        return [['', t instanceof AriNodes ? t.trunkLegs : 0]];
      },
    });
    // What the periodic reconciliation with the PBX found and ended, by kind.
    const reconcileKinds = [
      ['orphanChannels', 'orphan-channel'],
      ['orphanBridges', 'orphan-bridge'],
      ['lostChannels', 'lost-channel'],
      ['endedCalls', 'ended-call'],
    ] as const;
    totalsCounter({
      name: 'hotline_reconcile_found_total',
      help: 'Found by the periodic reconciliation with the PBX: orphan-channel/orphan-bridge (engine-made, call gone: ended), lost-channel (a live call leg the PBX no longer has), ended-call',
      labelName: 'kind',
      registers,
      read: () => {
        const total = stats().reconcile;
        return reconcileKinds.map(([field, kind]) => [kind, total[field]] as const);
      },
    });
    // Commands that failed at the PBX: refused (its answer), transport (no answer), race (channel already gone).
    totalsCounter({
      name: 'hotline_pbx_command_failures_total',
      help: 'Telephony commands that failed: refused by the PBX, transport (no answer: connection broken or timed out), race (the channel had just hung up)',
      labelName: 'kind',
      registers,
      read: () => {
        const s = stats();
        return [
          ['refused', s.commandFailures],
          ['transport', s.commandTransportFailures],
          ['race', s.commandRaces],
        ];
      },
    });
    totalsCounter({
      name: 'hotline_dials_refused_total',
      help: "Originates the engine refused because the endpoint is not on the allow-list (the roster's phones, the plan's targets)",
      registers,
      read: () => [['', stats().dialsRefused]],
    });
    totalsCounter({
      name: 'hotline_records_written_total',
      help: 'Call records the record sink accepted',
      registers,
      read: () => [['', stats().recordsWritten]],
    });
    new Gauge({
      name: 'hotline_record_failures',
      help: 'Call records the record sink refused since the engine started',
      registers,
      collect() {
        this.set(stats().recordFailures);
      },
    });
    new Gauge({
      name: 'hotline_records_spooled',
      help: 'Call records (journal lines for the file outbox) kept in a spool because their file cannot be written',
      registers,
      collect() {
        this.set(hotline.records.health?.().spooled ?? 0);
      },
    });
    totalsCounter({
      name: 'hotline_record_write_failures_total',
      help: 'Failed writes of a records file (the JSONL sink, the file outbox journal), by sink',
      labelName: 'sink',
      registers,
      read: () => Object.entries(hotline.records.health?.().failures ?? {}),
    });
    const figures = this.figures;
    const kpi = (
      name: string,
      help: string,
      pick: (f: ReturnType<CallFigures['figures']>) => number | null,
    ) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          // NaN, not 0, while nothing was offered in the window: no calls is not a 0 % answer rate.
          this.set(pick(figures.figures()) ?? Number.NaN);
        },
      });
    kpi('hotline_answer_rate_24h', 'Answered / offered over the last 24 h (接通率)', (f) => f.answerRate);
    kpi('hotline_abandonment_rate_24h', 'Abandoned / offered over the last 24 h', (f) => f.abandonmentRate);
    kpi(
      'hotline_service_level_24h',
      'Answered within the service level / offered, last 24 h',
      (f) => f.serviceLevel,
    );
    kpi(
      'hotline_service_level_from_arrival_24h',
      'Answered within the service level counted from arrival (prompts and menus included) / offered, last 24 h',
      (f) => f.serviceLevelFromArrival,
    );
    kpi('hotline_asa_seconds_24h', 'Average speed of answer over the last 24 h', (f) => f.asaSeconds);
    kpi(
      'hotline_asa_from_arrival_seconds_24h',
      'Mean time from arrival to an agent answering over the last 24 h',
      (f) => f.asaFromArrivalSeconds,
    );
    new Gauge({
      name: 'hotline_line_calls_24h',
      help: 'Calls per line over the last 24 h',
      labelNames: ['line'],
      registers,
      collect() {
        this.reset();
        for (const l of figures.figures().perLine) this.set({ line: l.line }, l.calls);
      },
    });

    const sl = () => hotline.plan.center.serviceLevelSeconds;
    // Every count below is a figure of `callFigures` (records/call-figures.ts), the one definition.
    const countAnswered = (line: string, queue: string, waitMs: number, fromArrivalMs: number) => {
      answered.inc({ line, queue });
      wait.observe({ queue, outcome: 'answered' }, waitMs / 1000);
      if (withinServiceLevel(waitMs, sl())) withinSl.inc({ line, queue });
      if (withinServiceLevel(fromArrivalMs, sl())) withinSlFromArrival.inc({ line, queue });
    };
    engines.onStage((s) => {
      const seen = this.seen.get(s.id) ?? { queue: '', offered: false, answered: false };
      this.seen.set(s.id, seen);
      const f = callFigures(s);
      if (!seen.offered && f.offered) {
        seen.offered = true;
        seen.queue = queueLabel(s);
        offered.inc({ line: s.line.id, queue: seen.queue });
      }
      if (f.answered && !seen.answered && seen.offered) {
        seen.answered = true;
        countAnswered(s.line.id, seen.queue, f.waitMs ?? 0, f.waitFromArrivalMs ?? f.waitMs ?? 0);
      }
    });
    engines.onEnded((s) => {
      const seen = this.seen.get(s.id);
      this.seen.delete(s.id);
      const f = callFigures(s);
      const queue = seen?.offered ? seen.queue : queueLabel(s);
      if (!seen?.offered && f.offered) offered.inc({ line: s.line.id, queue });
      if (f.answered && f.offered && !seen?.answered)
        countAnswered(s.line.id, queue, f.waitMs ?? 0, f.waitFromArrivalMs ?? f.waitMs ?? 0);
      ended.inc({ line: s.line.id, disposition: s.disposition ?? 'unknown' });
      if (f.abandoned) {
        abandoned.inc({ line: s.line.id, queue, stage: f.abandoned });
        if (f.offered && !f.answered) wait.observe({ queue, outcome: 'abandoned' }, (f.waitMs ?? 0) / 1000);
      }
      if (f.talkMs !== undefined) talk.observe({ queue }, f.talkMs / 1000);
      this.figures.add(sampleOf(s));
    });
  }

  /**
   * Several Asterisk nodes: this engine's ARI link to each (AriNodes), and the SIP edge's report
   * (nodes by OPTIONS, their calls, the trunks it pings). Without a report (no edge, no Redis, or
   * the edge silent for 10 s) the edge's gauges are absent, not 0.
   */
  private nodeGauges(hotline: Hotline, edgeReport: EdgeReportReader | undefined): void {
    const registers = [this.registry];
    const nodes = () => (hotline.telephony instanceof AriNodes ? hotline.telephony.status() : []);
    new Gauge({
      name: 'hotline_ari_node_connected',
      help: "Several nodes (ARI_NODES): whether this engine's ARI event connection to the node is up (1) or not (0)",
      labelNames: ['node'],
      registers,
      collect() {
        this.reset();
        for (const n of nodes()) this.set({ node: n.name }, n.connected ? 1 : 0);
      },
    });
    new Gauge({
      name: 'hotline_ari_node_lost',
      help: 'Several nodes (ARI_NODES): whether the node is lost (unreachable past NODE_LOST_SECONDS: its calls ended pbx-lost)',
      labelNames: ['node'],
      registers,
      collect() {
        this.reset();
        for (const n of nodes()) this.set({ node: n.name }, n.lost ? 1 : 0);
      },
    });
    if (!edgeReport) return;
    const edgeGauge = (
      name: string,
      help: string,
      label: 'node' | 'trunk' | undefined,
      fill: (g: Gauge<string>, r: EdgeReport) => void,
    ) =>
      new Gauge({
        name,
        help,
        labelNames: label ? [label] : [],
        registers,
        async collect() {
          this.reset();
          // A gauge without labels resets to 0: removed, so that no report shows no sample.
          if (!label) this.remove();
          const r = await edgeReport.read();
          if (r) fill(this, r);
        },
      });
    edgeGauge(
      'hotline_edge_node_up',
      "The SIP edge's view of each node: up (1) by its last OPTIONS, down (0)",
      'node',
      (g, r) => {
        for (const n of r.nodes) g.set({ node: n.name }, n.up ? 1 : 0);
      },
    );
    edgeGauge(
      'hotline_edge_node_calls',
      'Live calls on each node, as the engines report them to the SIP edge (all engines)',
      'node',
      (g, r) => {
        for (const n of r.nodes) g.set({ node: n.name }, n.calls);
      },
    );
    edgeGauge(
      'hotline_edge_node_options_rtt_ms',
      "Round trip of the SIP edge's last answered OPTIONS to each node (absent while unanswered)",
      'node',
      (g, r) => {
        for (const n of r.nodes) if (n.optionsRttMs !== null) g.set({ node: n.name }, n.optionsRttMs);
      },
    );
    edgeGauge(
      'hotline_edge_trunk_up',
      'Trunk health by OPTIONS from the SIP edge (carrier, sub-centers, emergency, centers): up (1), down (0)',
      'trunk',
      (g, r) => {
        for (const t of r.trunks) g.set({ trunk: t.name }, t.up ? 1 : 0);
      },
    );
    edgeGauge(
      'hotline_edge_trunk_rtt_ms',
      "Round trip of the SIP edge's last answered OPTIONS to each trunk (absent while unanswered)",
      'trunk',
      (g, r) => {
        for (const t of r.trunks) if (t.rttMs !== null) g.set({ trunk: t.name }, t.rttMs);
      },
    );
    edgeGauge(
      'hotline_edge_report_age_seconds',
      'Seconds since the SIP edge wrote the report these hotline_edge_* figures come from',
      undefined,
      (g, r) => g.set(edgeReport.ageSeconds(r)),
    );
  }

  /** Starts following the engine and the store; call once, before calls arrive. */
  static async start(
    hotline: Hotline,
    clock: Clock,
    options: HotlineMetricsOptions = {},
  ): Promise<HotlineMetrics> {
    const m = new HotlineMetrics(hotline, clock, options);
    m.stopAgents = hotline.store.onChange((c) => {
      if (c.kind === 'agent') m.agentStates.set(c.agentId, c.state);
    });
    for (const a of await hotline.store.listAgents()) {
      if (!m.agentStates.has(a.id)) m.agentStates.set(a.id, a.status.state);
    }
    return m;
  }

  stop(): void {
    this.stopAgents?.();
  }
}
