import type { FastifyPluginAsync } from 'fastify';
import { boardFigures } from '../admin/board-figures.ts';
import { DayFactsFeed } from '../admin/day-facts.ts';
import { type DayCounts, type DaySlotStore, MemoryDaySlots, slotOf } from '../admin/day-slots.ts';
import type { EngineGroup } from '../calls/runtime/engine-group.ts';
import type { Clock } from '../clock.ts';
import type { HeldHotline, Hotline } from '../hotline.ts';
import type { EdgeReport, EdgeReportReader } from '../redis/edge-report.ts';
import type { DaySlotsReader } from '../reports/database-day-slots.ts';
import { dayWithLiveCalls } from '../reports/day-with-live-calls.ts';
import { AriNodes } from '../telephony/ari/ari-nodes.ts';

export interface StatsApiOptions {
  hotline: Hotline;
  /**
   * The engines whose calls the board shows and counts: this process's own, and with
   * ENGINE_TAKEOVER those it took over (calls/runtime/engine-group.ts).
   */
  engines: EngineGroup<HeldHotline>;
  clock: Clock;
  /** Agents of the roster (the store may hold others of the center). */
  agentIds: ReadonlySet<string>;
  /** The SIP edge's report (several nodes, REDIS_URL): nodes and trunks by OPTIONS. */
  edgeReport?: EdgeReportReader;
  /**
   * The day's figures in Redis (REDIS_URL): shared by the center's engines and kept across
   * restarts. Without it they are this engine's, in memory.
   */
  daySlots?: DaySlotStore;
  /**
   * The ended calls' day figures from the records database (RECORDS_DATABASE_URL): when given,
   * the board's day comes from it (kept across restarts, every engine's calls), with the live
   * calls of the engines this process holds added, each once (reports/day-with-live-calls.ts).
   */
  databaseDay?: DaySlotsReader;
}

/** The wallboard's telephony line: the Asterisk nodes and the trunks the SIP edge watches. */
export interface TelephonyView {
  nodes: {
    name: string;
    /** This engine's ARI link to the node (null: the node is not one of this engine's ARI_NODES). */
    engineConnected: boolean | null;
    /** Up by the edge's OPTIONS (null: no edge report). */
    edgeUp: boolean | null;
    /**
     * Live calls on the node: the edge's figure (every engine) when it reports, else those of the
     * engines this process holds.
     */
    calls: number;
  }[];
  trunks: { name: string; up: boolean }[];
  /** Seconds since the edge wrote its report (null: none, or older than 10 s). */
  edgeReportAgeSeconds: number | null;
}

/**
 * What the engine knows of its nodes (ARI_NODES) joined with the edge's report; one Asterisk and
 * no edge: empty. The links are this process's own engine's; the calls, every engine's it holds.
 */
export function telephonyView(
  engines: EngineGroup<HeldHotline>,
  report: EdgeReport | undefined,
  ageSeconds: number | null,
): TelephonyView {
  const t = engines.own.telephony;
  const own = t instanceof AriNodes ? t.status() : [];
  const ownCalls = new Map<string, number>();
  for (const { engine, telephony } of engines.members()) {
    if (!(telephony instanceof AriNodes)) continue;
    for (const c of engine.liveCalls()) {
      const node = telephony.nodeOf(c.id);
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
 * Where the day's figures were read: the records database (ended calls, kept across restarts,
 * with the live calls), Redis (every engine, kept across restarts), or this engine's memory;
 * `database-unreachable`: the database did not answer, the figures are Redis's or memory's.
 */
export type DayFiguresSource =
  | 'database'
  | 'database-unreachable'
  | 'redis'
  | 'memory'
  | 'memory-redis-unreachable';

/**
 * `GET /stats`: what the wallboard shows, in one response, every figure from `boardFigures`
 * (admin/board-figures.ts) so that they agree: today's KPIs (接通率, service level, ASA,
 * abandonment, calls per line, the agents' answers) and their trend by quarter hour, counted
 * from the day's slots (admin/day-slots.ts: from the records database when `databaseDay` is given,
 * else in Redis when `daySlots` is given, else in memory);
 * the live calls (of every engine this process holds: its own, those taken over), the agents'
 * totals, the queues (with why their calls wait) and the agents;
 * admission control; with several nodes or a SIP edge the nodes and trunks (`telephony`).
 * No caller data.
 */
export const statsApi: FastifyPluginAsync<StatsApiOptions> = async (app, o) => {
  const local = new MemoryDaySlots();
  let warnedAt = Number.NEGATIVE_INFINITY;
  const warn = (err: Error, what: string) => {
    const now = o.clock.now();
    if (now - warnedAt < 60_000) return;
    warnedAt = now;
    app.log.warn({ component: 'day-figures', err: err.message }, what);
  };
  const feed = new DayFactsFeed({
    calls: o.engines,
    serviceLevelSeconds: () => o.hotline.plan.center.serviceLevelSeconds,
    clock: o.clock,
    store: {
      count: async (fact) => {
        local.countNow(fact);
        await o.daySlots?.count(fact);
      },
      read: (day) => local.read(day),
    },
    onError: (err) => warn(err, 'the day figures could not be counted in Redis'),
  });
  app.addHook('onClose', async () => feed.stop());

  const readDay = async (day: string): Promise<{ counts: DayCounts; source: DayFiguresSource }> => {
    const own = await readOwnDay(day);
    if (!o.databaseDay) return own;
    const sl = o.hotline.plan.center.serviceLevelSeconds;
    try {
      const ended = await o.databaseDay.readDay(day, sl);
      return {
        // Every engine's live calls, once: the day of the database is counted once, not per engine.
        counts: dayWithLiveCalls(ended, o.engines.liveCalls(), sl, own.counts),
        source: 'database',
      };
    } catch (err) {
      warn(
        err as Error,
        'the day figures could not be read from the records database: Redis or memory shown',
      );
      return { counts: own.counts, source: 'database-unreachable' };
    }
  };

  const readOwnDay = async (day: string): Promise<{ counts: DayCounts; source: DayFiguresSource }> => {
    if (!o.daySlots) return { counts: await local.read(day), source: 'memory' };
    try {
      return { counts: await o.daySlots.read(day), source: 'redis' };
    } catch (err) {
      warn(err as Error, "the day figures could not be read from Redis: this engine's own are shown");
      return { counts: await local.read(day), source: 'memory-redis-unreachable' };
    }
  };

  app.get('/stats', async () => {
    const now = o.clock.now();
    const [policies, snapshot, edge, day] = await Promise.all([
      o.hotline.store.queues(),
      o.hotline.store.snapshot(),
      o.edgeReport?.read(),
      readDay(slotOf(now).day),
    ]);
    const board = boardFigures({
      now,
      plan: o.hotline.plan,
      day: day.counts,
      policies,
      agents: snapshot.agents.filter((a) => o.agentIds.has(a.id)),
      queued: snapshot.calls,
      live: o.engines.liveCalls(),
    });
    return {
      at: new Date(now).toISOString(),
      center: { id: o.hotline.plan.center.id, name: o.hotline.plan.center.name },
      kpi: board.today,
      daySource: day.source,
      trend: board.trend,
      live: board.live,
      agentTotals: board.agentTotals,
      /** Admission control (src/admission): `shedding`/`critical` send new calls to the safety net. */
      admission: o.hotline.engine.admission
        ? {
            state: o.hotline.engine.admission.state,
            share: o.hotline.engine.admission.admission.share,
            shed: o.hotline.engine.stats.shed,
          }
        : { state: 'off' },
      queues: board.queues,
      agents: board.agents,
      telephony: telephonyView(
        o.engines,
        edge,
        edge && o.edgeReport ? Math.round(o.edgeReport.ageSeconds(edge) * 10) / 10 : null,
      ),
    };
  });
};
