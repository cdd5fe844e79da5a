import type { RoutingPlan } from '../plan/compile.ts';
import type { RosterEntry } from '../roster.ts';
import { agentsByErlangC } from '../staffing/erlang.ts';
import { callerPath } from './caller-path.ts';
import type { TrafficDay } from './comparison.ts';

/** Agents every queue of the plan gets at least (the plan declares it, so someone staffs it). */
export const MIN_AGENTS_PER_QUEUE = 2;
/** The service level the default staffing is sized for: 80 % within the plan's threshold. */
export const DEFAULT_TARGET_SERVICE_LEVEL = 0.8;

export interface DefaultStaffing {
  roster: RosterEntry[];
  /** Agents per queue (`pool:general`). */
  perQueue: Map<string, number>;
  note: string;
}

/**
 * The staffing of a what-if without a roster: each pool and expert seat of the plan gets its own
 * agents, as many as Erlang C asks for its peak hour under the plan (the live rules) — calls per
 * hour that reach the queue first, AHT = their mean talk time plus the queue's wrap-up — for 80 %
 * within the threshold, and at least 2. Every default agent knows every topic of both plans (level
 * 5) and the queue's skills, so the comparison shows the load the rules send, not missing skills.
 * The same roster serves both runs.
 */
export function defaultStaffing(
  plan: RoutingPlan,
  traffic: TrafficDay,
  topics: readonly string[],
): DefaultStaffing {
  const hours = new Map<string, { calls: number[]; talk: number }>();
  for (const call of traffic.calls) {
    const path = callerPath(plan, call.dialed, call.atMs, call.keys);
    if (path.end.kind !== 'queue') continue;
    const key = `${path.end.queue}:${path.end.id}`;
    let h = hours.get(key);
    if (!h) {
      h = { calls: new Array(24).fill(0), talk: 0 };
      hours.set(key, h);
    }
    const hour = Math.min(23, Math.max(0, Math.floor((call.atMs - traffic.fromMs) / 3_600_000)));
    h.calls[hour] = (h.calls[hour] as number) + 1;
    h.talk += call.talkSeconds;
  }
  const roster: RosterEntry[] = [];
  const perQueue = new Map<string, number>();
  const skills = Object.fromEntries(topics.map((t) => [t, 5]));
  for (const [kind, table] of [
    ['pool', plan.pools],
    ['expert', plan.experts],
  ] as const) {
    for (const q of table.values()) {
      const key = `${kind}:${q.id}`;
      const h = hours.get(key);
      let n = MIN_AGENTS_PER_QUEUE;
      if (h) {
        const total = h.calls.reduce((s, v) => s + v, 0);
        const aht = h.talk / total + q.queue.wrapUpSeconds;
        const peak = Math.max(...h.calls);
        const need = agentsByErlangC(
          { callsPerHour: peak, ahtSeconds: aht },
          {
            targetServiceLevel: DEFAULT_TARGET_SERVICE_LEVEL,
            withinSeconds: plan.center.serviceLevelSeconds,
          },
        ).agents;
        n = Math.max(n, need);
      }
      perQueue.set(key, n);
      for (let i = 1; i <= n; i++) {
        const id = `${kind}-${q.id}-${i}`.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64);
        const entry: RosterEntry = {
          id,
          name: `${q.name}${i}号`,
          skills: { ...skills, ...Object.fromEntries(q.skills.map((s) => [s, 5])) },
          pools: kind === 'pool' ? [q.id] : [],
          expertSeats: kind === 'expert' ? [q.id] : [],
        };
        roster.push(entry);
      }
    }
  }
  const listed = [...perQueue].map(([k, n]) => `${k} ${n}`).join(', ');
  return {
    roster,
    perQueue,
    note: `default staffing (no --agents): per queue, Erlang C for the live rules' peak hour at ${DEFAULT_TARGET_SERVICE_LEVEL * 100} % within ${plan.center.serviceLevelSeconds} s, at least ${MIN_AGENTS_PER_QUEUE}, all day: ${listed}`,
  };
}
