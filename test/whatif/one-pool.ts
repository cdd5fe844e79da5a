import type { RoutingPlan } from '../../src/plan/compile.ts';
import { loadPlan } from '../../src/plan/load.ts';
import type { RosterEntry } from '../../src/roster.ts';
import { Random } from '../../src/synthetic/random.ts';
import type { TrafficCall, TrafficDay } from '../../src/whatif/comparison.ts';
import { dayBounds } from '../../src/whatif/day.ts';
import { minimalPlan, removePlan, writePlan } from '../support/rules-fixture.ts';

/**
 * The model's assumptions as a plan: one pool, no prompt, no menu, open 7×24, no wrap-up, a
 * longest wait far beyond any wait (so no call becomes a ticket), no overflow, no widening.
 */
export function onePoolPlan(): RoutingPlan {
  const dir = writePlan({
    'center.yaml': `center:
  id: test
  name: 测试中心
  timezone: Asia/Shanghai
  prompts: prompts/manifest.yaml
  fallback: { goto: "pool:general" }
pools:
  - id: general
    name: 综合
    queue: { wrapUpSeconds: 0, maxWaitSeconds: 3600, announceEverySeconds: 0 }
`,
    'lines.yaml': `lines:
  - id: main
    number: "12345"
    name: 12345热线
    mode: main
    department: 中心
    topic: general
    route: { goto: "pool:general" }
`,
    'prompts/manifest.yaml': minimalPlan['prompts/manifest.yaml']!,
  });
  try {
    return loadPlan(dir).plan;
  } finally {
    removePlan(dir);
  }
}

export function agents(n: number): RosterEntry[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `a${i}`,
    name: `座席${i}`,
    skills: { general: 5 },
    pools: ['general'],
  }));
}

/** Poisson arrivals at `callsPerHour` over `days` days, exponential talk (mean `aht`), exponential patience (mean, or infinite). */
export function poissonDays(o: {
  callsPerHour: number;
  ahtSeconds: number;
  patienceSeconds?: number;
  days: number;
  seed: number;
}): TrafficDay {
  const rnd = new Random(o.seed);
  const { fromMs } = dayBounds('2024-03-01', 'Asia/Shanghai');
  const untilMs = fromMs + o.days * 86_400_000;
  const calls: TrafficCall[] = [];
  const meanGapMs = 3_600_000 / o.callsPerHour;
  for (let t = fromMs + rnd.exponential(meanGapMs); t < untilMs; t += rnd.exponential(meanGapMs)) {
    calls.push({
      atMs: t,
      dialed: '12345',
      keys: '',
      talkSeconds: rnd.exponential(o.ahtSeconds),
      patienceSeconds:
        o.patienceSeconds === undefined ? Number.POSITIVE_INFINITY : rnd.exponential(o.patienceSeconds),
    });
  }
  return { date: '2024-03-01', fromMs, untilMs, calls, source: 'profile' };
}
