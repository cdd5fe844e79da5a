import type { FastifyPluginAsync } from 'fastify';
import { countersOn } from '../acd/agent.ts';
import { queueFigures } from '../acd/queue-figures.ts';
import type { HotlineMetrics } from '../admin/hotline-metrics.ts';
import type { Clock } from '../clock.ts';
import type { Hotline } from '../hotline.ts';
import { liveCounts } from '../records/call-figures.ts';

export interface StatsApiOptions {
  hotline: Hotline;
  metrics: HotlineMetrics;
  clock: Clock;
  /** Agents of the roster (the store may hold others of the center). */
  agentIds: ReadonlySet<string>;
}

/**
 * `GET /stats`: what the wallboard shows, in one response — the 24 h KPIs (answer rate 接通率,
 * service level, ASA, abandonment, volume per line; each call counted by `callFigures`,
 * records/call-figures.ts), the live calls (`liveCounts`), the queues (waiting, longest wait) and
 * the agents (state, seconds in that state). No caller data.
 */
export const statsApi: FastifyPluginAsync<StatsApiOptions> = async (app, o) => {
  app.get('/stats', async () => {
    const [policies, snapshot] = await Promise.all([o.hotline.store.queues(), o.hotline.store.snapshot()]);
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
    };
  });
};
