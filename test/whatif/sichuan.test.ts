import { describe, expect, it } from 'vitest';
import { explain } from '../../src/plan/explain.ts';
import { loadPlan } from '../../src/plan/load.ts';
import { parseInstant } from '../../src/plan/zoned-time.ts';
import { callerPath } from '../../src/whatif/caller-path.ts';
import { runWhatIf } from '../../src/whatif/run-what-if.ts';
import { linesShifted, shiftPhases } from '../../src/whatif/shift-phases.ts';
import { targetKey } from '../../src/whatif/tally.ts';
import { profileFromPlan, trafficFromProfile } from '../../src/whatif/traffic-profile.ts';

const live = loadPlan('routing-rules').plan;
const draft = shiftPhases(live, { mode: 'dual-number', days: -7 });
const at = (iso: string) => parseInstant(iso, 'Asia/Shanghai') as number;

describe('the draft with the dual-number lines a week earlier', () => {
  it('sends 12348 to the legal experts on 12 October 2021 while the live rules still ring the department', () => {
    expect(callerPath(live, '12348', at('2021-10-12T10:00'), '').end).toMatchObject({
      kind: 'dial',
      target: 'department',
    });
    expect(callerPath(draft, '12348', at('2021-10-12T10:00'), '').end).toMatchObject({
      kind: 'queue',
      queue: 'expert',
      id: 'legal',
    });
  });

  it('moves the transfer date from 16 to 9 October and no earlier', () => {
    expect(callerPath(draft, '12319', at('2021-10-08T23:59'), '').end.kind).toBe('dial');
    expect(callerPath(draft, '12319', at('2021-10-09T00:00'), '').end).toMatchObject({
      kind: 'queue',
      id: 'general',
    });
  });

  it('leaves whole-merge and sub-center lines as they are', () => {
    for (const number of ['12396', '12366']) {
      const when = at('2021-09-20T10:00');
      expect(callerPath(draft, number, when, '').end).toEqual(callerPath(live, number, when, '').end);
    }
    expect(linesShifted(live, { mode: 'dual-number', days: -7 })).toBe(14);
  });
});

describe("the caller's path is the plan's own decision", () => {
  it('ends where hotline explain ends, after the time explain counts, for every line, hour and kind of keying', () => {
    // Keys: an option, another, an invalid key, a timeout, nothing, a two-key slip, a timeout then an option.
    const keyings = ['1', '2', '9', 'T', '', '99', 'T1', '12', '#'];
    let compared = 0;
    let menus = 0;
    for (const dir of ['routing-rules', 'routing-rules/examples/jilin', 'routing-rules/examples/puyang']) {
      const plan = loadPlan(dir).plan;
      for (const line of plan.lines.values()) {
        for (const when of ['2021-06-15T03:00', '2021-10-12T10:30', '2022-01-01T12:00', '2024-05-06T20:00']) {
          for (const keys of keyings) {
            const atMs = at(when);
            const path = callerPath(plan, line.number, atMs, keys);
            // A caller whose keys run out lets the menus time out: explain is told so with Ts.
            const e = explain(plan, { number: line.number, atMs, digits: `${keys}TTTTTTTTTTTT` });
            const key = targetKey(path.end);
            expect(key.slice(0, key.indexOf(':'))).toBe(e.target.kind);
            if (e.target.kind !== 'ticket') expect(key.slice(key.indexOf(':') + 1)).toBe(e.target.id);
            expect(path.ivrMs).toBe(e.timeToTarget.ms);
            if (e.menus.length > 0) menus++;
            compared++;
          }
        }
      }
    }
    expect(compared).toBeGreaterThan(1000);
    expect(menus).toBeGreaterThanOrEqual(36);
  });
});

describe('runWhatIf on the Sichuan plan', () => {
  it('replays the same calls through both plans and shows the department lines moving into 12345', async () => {
    const traffic = trafficFromProfile(profileFromPlan(live, 3000, '2021-10-12'), { plan: live, seed: 2 });
    const c = await runWhatIf({ live, draft, traffic, seed: 2 });

    expect(c.totals.live.calls).toBe(3000);
    expect(c.totals.draft.calls).toBe(3000);
    const departments = c.targets.filter((t) => t.kind === 'department');
    expect(departments.length).toBe(14);
    expect(departments.every((t) => t.live > 0 && t.draft === 0)).toBe(true);
    const general = c.pools.find((p) => p.id === 'general')!;
    expect(general.draft!.offered).toBeGreaterThan(general.live!.offered);
    expect(c.totals.draft.dialled).toBeLessThan(c.totals.live.dialled);
    const legal = c.pools.find((p) => p.kind === 'expert' && p.id === 'legal')!;
    expect(legal.live!.offered).toBe(0);
    expect(legal.draft!.offered).toBeGreaterThan(0);
    expect(c.agents.source).toBe('default');
    expect(c.lines.find((l) => l.number === '12348')!.live!.timeToPersonMeanSeconds).toBe(0);
  });

  it('staffs the same agents for both runs and repeats exactly for a seed', async () => {
    const traffic = trafficFromProfile(profileFromPlan(live, 800, '2021-10-12'), { plan: live, seed: 9 });
    const a = await runWhatIf({ live, draft, traffic });
    const b = await runWhatIf({ live, draft, traffic });
    expect(b).toEqual(a);
    const agents = a.pools.map((p) => [p.live?.agents, p.draft?.agents]);
    expect(agents.every(([x, y]) => x === y)).toBe(true);
  });
});
