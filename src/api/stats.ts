import type { FastifyPluginAsync } from 'fastify';
import { countersOn } from '../acd/agent.ts';
import { queueFigures } from '../acd/queue-figures.ts';
import type { HotlineMetrics } from '../admin/hotline-metrics.ts';
import type { Clock } from '../clock.ts';
import type { Hotline } from '../hotline.ts';
import { liveCounts } from '../records/call-figures.ts';
import type { EdgeReport, EdgeReportReader } from '../redis/edge-report.ts';
import { AriNodes } from '../telephony/ari/ari-nodes.ts';

export interface StatsApiOptions {
  hotline: Hotline;
  metrics: HotlineMetrics;
  clock: Clock;
  /** Agents of the roster (the store may hold others of the center). */
  agentIds: ReadonlySet<string>;
  /** The SIP edge's report (several nodes, REDIS_URL): nodes and trunks by OPTIONS. */
  edgeReport?: EdgeReportReader;
}

/** The wallboard's telephony line: the Asterisk nodes and the trunks the SIP edge watches. */
export interface TelephonyView {
  nodes: {
    name: string;
    /** This engine's ARI link to the node (null: the node is not one of this engine's ARI_NODES). */
    engineConnected: boolean | null;
    /** Up by the edge's OPTIONS (null: no edge report). */
    edgeUp: boolean | null;
    /** Live calls on the node: the edge's figure (every engine) when it reports, else this engine's. */
    calls: number;
  }[];
  trunks: { name: string; up: boolean }[];
  /** Seconds since the edge wrote its report (null: none, or older than 10 s). */
  edgeReportAgeSeconds: number | null;
}

/** What the engine knows of its nodes (ARI_NODES) joined with the edge's report; one Asterisk and no edge: empty. */
export function telephonyView(
  hotline: Hotline,
  report: EdgeReport | undefined,
  ageSeconds: number | null,
): TelephonyView {
  const t = hotline.telephony;
  const own = t instanceof AriNodes ? t.status() : [];
  const ownCalls = new Map<string, number>();
  if (t instanceof AriNodes) {
    for (const c of hotline.engine.liveCalls()) {
      const node = t.nodeOf(c.id);
      if (node !== undefined) ownCalls.set(node, (ownCalls.get(node) ?? 0) + 1);
    }
  }
  const edge = new Map((report?.nodes ?? []).map((n) => [n.name, n]));
  const names = [...new Set([...own.map((n) => n.name), ...edge.keys()])];
  const connected = new Map(own.map((n) => [n.name, n.connected && !n.lost]));
  return {
    nodes: names.map((name) => ({
      name,
      engineConnected: connected.get(name) ?? null,
      edgeUp: edge.get(name)?.up ?? null,
      calls: edge.get(name)?.calls ?? ownCalls.get(name) ?? 0,
    })),
    trunks: (report?.trunks ?? []).map((tr) => ({ name: tr.name, up: tr.up })),
    edgeReportAgeSeconds: report ? ageSeconds : null,
  };
}

/**
 * `GET /stats`: what the wallboard shows, in one response — the 24 h KPIs (answer rate 接通率,
 * service level, ASA, abandonment, volume per line; each call counted by `callFigures`,
 * records/call-figures.ts), the live calls (`liveCounts`), the queues (waiting, longest wait) and
 * the agents (state, seconds in that state), and with several nodes or a SIP edge the nodes and
 * trunks (`telephony`). No caller data.
 */
export const statsApi: FastifyPluginAsync<StatsApiOptions> = async (app, o) => {
  app.get('/stats', async () => {
    const [policies, snapshot, edge] = await Promise.all([
      o.hotline.store.queues(),
      o.hotline.store.snapshot(),
      o.edgeReport?.read(),
    ]);
    const now = o.clock.now();
    const agents = snapshot.agents.filter((a) => o.agentIds.has(a.id));
    agents.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const live = o.hotline.engine.liveCalls();
    const lines = new Map([...o.hotline.plan.lines.values()].map((l) => [l.id, l.name]));
    const kpi = o.metrics.figures.figures();
    return {
      at: new Date(now).toISOString(),
      center: { id: o.hotline.plan.center.id, name: o.hotline.plan.center.name },
      kpi: { ...kpi, perLine: kpi.perLine.map((l) => ({ ...l, name: lines.get(l.line) ?? l.line })) },
      live: liveCounts(live),
      /** Admission control (src/admission): `shedding`/`critical` send new calls to the safety net. */
      admission: o.hotline.engine.admission
        ? {
            state: o.hotline.engine.admission.state,
            share: o.hotline.engine.admission.admission.share,
            shed: o.hotline.engine.stats.shed,
          }
        : { state: 'off' },
      queues: queueFigures(policies, agents, snapshot.calls, now),
      agents: agents.map((a) => ({
        id: a.id,
        name: a.name,
        state: a.status.state,
        notReadyReason: a.status.notReadyReason,
        secondsInState: Math.max(0, Math.round((now - a.status.since) / 1000)),
        deviceAvailable: a.status.deviceAvailable,
        callsAnsweredToday: countersOn(a.status.counters, now).callsAnswered,
      })),
      telephony: telephonyView(
        o.hotline,
        edge,
        edge && o.edgeReport ? Math.round(o.edgeReport.ageSeconds(edge) * 10) / 10 : null,
      ),
    };
  });
};
