import type { RoutingPlan } from '../plan/compile.ts';
import type { RosterEntry } from '../roster.ts';
import type { Random } from './random.ts';

/**
 * A roster for synthetic runs: `count` agents spread over the plan's pools, with some staffing
 * its expert seats; each knows the general skill and a few of the plan's line topics.
 */
export function demoRoster(plan: RoutingPlan, count: number, rnd: Random): RosterEntry[] {
  const pools = [...plan.pools.keys()];
  const experts = [...plan.experts.values()];
  const topics = [...new Set([...plan.lines.values()].map((l) => l.topic))];
  const roster: RosterEntry[] = [];
  const expertCount = Math.min(experts.length, Math.floor(count / 5));
  for (let i = 0; i < count; i++) {
    const id = `agent${1001 + i}`;
    const skills: Record<string, number> = { general: rnd.int(3, 8) };
    for (let k = 0; k < 3; k++) skills[rnd.pick(topics)] = rnd.int(2, 9);
    const entry: RosterEntry = {
      id,
      name: `座席${1001 + i}`,
      endpoint: `PJSIP/${id}`,
      skills,
      pools: pools.length > 0 ? [pools[i % pools.length]!] : [],
    };
    if (i < expertCount) {
      const seat = experts[i]!;
      entry.expertSeats = [seat.id];
      for (const s of seat.skills) skills[s] = 9;
      entry.department = seat.department;
    }
    roster.push(entry);
  }
  return roster;
}

/** Every dial string of the plan's transfer targets (sub-centers, emergency lines, other centers). */
export function planTrunkEndpoints(plan: RoutingPlan): string[] {
  return [
    ...[...plan.subcenters.values()].map((s) => s.dial),
    ...[...plan.emergency.values()].map((e) => e.dial),
    ...[...plan.centers.values()].map((c) => c.dial),
    ...[...plan.directory.values()].map((d) => d.dial),
  ];
}

/** How long each of the plan's prompts plays (simulated ms), by the media URI the engine plays. */
export function promptDurations(plan: RoutingPlan): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of plan.prompts.values()) if (p.durationMs) out[`sound:hotline/${p.id}`] = p.durationMs;
  return out;
}
