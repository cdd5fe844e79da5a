import { afterAll, describe, expect, it } from 'vitest';
import type { RoutingPlan } from '../../src/plan/compile.ts';
import { loadPlan } from '../../src/plan/load.ts';
import type { RosterEntry } from '../../src/roster.ts';
import type { TrafficCall, TrafficDay } from '../../src/whatif/comparison.ts';
import { dayBounds } from '../../src/whatif/day.ts';
import { simulateDay } from '../../src/whatif/simulate-day.ts';
import { minimalPlan, removePlan, writePlan } from '../support/rules-fixture.ts';

/** The queue rules the replay must follow: overflow, longest wait, skill widening, priority. */
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
    queue: { wrapUpSeconds: 0, widenAfterSeconds: 20, maxWaitSeconds: 600, announceEverySeconds: 0 }
experts:
  - id: legal
    name: 法律专家座席
    department: 司法厅
    number: "12348"
    queue: { wrapUpSeconds: 0, overflowAfterSeconds: 30, overflowTo: "pool:general", maxWaitSeconds: 600, announceEverySeconds: 0 }
`,
  'lines.yaml': `lines:
  - id: main
    number: "12345"
    name: 12345热线
    mode: main
    department: 中心
    topic: general
    route: { goto: "pool:general" }
  - id: legal
    number: "12348"
    name: 法律服务
    mode: dual-number
    department: 司法厅
    topic: legal
    route: { goto: "expert:*" }
  - id: science
    number: "12396"
    name: 科技服务
    mode: whole-merge
    department: 科技厅
    topic: science
    route: { goto: "pool:general" }
  - id: urgent
    number: "12310"
    name: 优先线路
    mode: whole-merge
    department: 中心
    topic: general
    route: { goto: "pool:general", priority: 9 }
`,
  'prompts/manifest.yaml': minimalPlan['prompts/manifest.yaml']!,
});
afterAll(() => removePlan(dir));
const plan: RoutingPlan = loadPlan(dir).plan;
const { fromMs, untilMs } = dayBounds('2024-03-04', 'Asia/Shanghai');

function day(calls: Omit<TrafficCall, 'keys' | 'patienceSeconds'>[]): TrafficDay {
  return {
    date: '2024-03-04',
    fromMs,
    untilMs,
    calls: calls.map((c) => ({ keys: '', patienceSeconds: Number.POSITIVE_INFINITY, ...c })),
    source: 'profile',
  };
}
const generalAgent: RosterEntry = { id: 'g1', name: '综合1', skills: { general: 5 }, pools: ['general'] };
const t0 = fromMs + 9 * 3_600_000;

describe('the replay follows the queue rules of the plan', () => {
  it('moves a call the expert seat does not answer to the general pool after 30 s, where it is answered', () => {
    const r = simulateDay(plan, day([{ atMs: t0, dialed: '12348', talkSeconds: 60 }]), [generalAgent]);
    expect(r.queues.get('expert:legal')!.figures).toMatchObject({ offered: 1, overflowed: 1, answered: 0 });
    expect(r.queues.get('pool:general')!.figures).toMatchObject({ offered: 1, answered: 1, asaSeconds: 0 });
    expect(r.lines.get('legal')!.figures.timeToPersonMeanSeconds).toBe(30);
    expect(r.totals.asaSeconds).toBe(30);
    expect(r.targets.get('expert:legal')).toBe(1);
  });

  it('turns a call nobody answers into a ticket when the longest wait passes', () => {
    const r = simulateDay(plan, day([{ atMs: t0, dialed: '12348', talkSeconds: 60 }]), []);
    expect(r.queues.get('pool:general')!.figures).toMatchObject({ offered: 1, ticketed: 1, answered: 0 });
    expect(r.totals).toMatchObject({ ticketed: 1, answered: 0, abandoned: 0 });
  });

  it('offers a call preferring a skill nobody has to any agent of the pool once widened after 20 s', () => {
    const r = simulateDay(plan, day([{ atMs: t0, dialed: '12396', talkSeconds: 60 }]), [generalAgent]);
    expect(r.totals.asaSeconds).toBe(20);
    const skilled: RosterEntry = { ...generalAgent, skills: { science: 3 } };
    expect(
      simulateDay(plan, day([{ atMs: t0, dialed: '12396', talkSeconds: 60 }]), [skilled]).totals.asaSeconds,
    ).toBe(0);
  });

  it('gives the free agent the higher-priority call first, whatever came first', () => {
    const r = simulateDay(
      plan,
      day([
        { atMs: t0, dialed: '12345', talkSeconds: 100 },
        { atMs: t0 + 1000, dialed: '12345', talkSeconds: 100 },
        { atMs: t0 + 2000, dialed: '12310', talkSeconds: 100 },
      ]),
      [generalAgent],
    );
    expect(r.lines.get('urgent')!.figures.timeToPersonMeanSeconds).toBe(98);
    expect(r.lines.get('main')!.figures.timeToPersonP90Seconds).toBe(199);
  });

  it('counts a busy agent in the occupancy of its pool for the talk and wrap-up inside the day', () => {
    const r = simulateDay(plan, day([{ atMs: t0, dialed: '12345', talkSeconds: 864 }]), [generalAgent]);
    expect(r.queues.get('pool:general')!.figures.occupancy).toBeCloseTo(0.01, 10);
  });
});
