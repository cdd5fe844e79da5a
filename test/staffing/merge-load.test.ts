import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPlan } from '../../src/plan/load.ts';
import { agentsByErlangA, agentsByErlangC } from '../../src/staffing/erlang.ts';
import { StaffingInputError } from '../../src/staffing/errors.ts';
import { type MergePeriod, mergeLoad } from '../../src/staffing/merge-load.ts';
import { lineLoad, type VolumesFile } from '../../src/staffing/volumes.ts';

const root = join(import.meta.dirname, '../..');
const sichuan = loadPlan(join(root, 'routing-rules')).plan;
const target = { targetServiceLevel: 0.8, withinSeconds: 15 };

/** A flat day (every hour the same share) keeps the hand calculation simple: calls/h = calls/day ÷ 24. */
const flat = new Array<number>(24).fill(1);
function volumes(file: Omit<VolumesFile, 'source'>) {
  const full: VolumesFile = { source: 'test', ...file };
  return new Map(Object.entries(full.lines).map(([id, v]) => [id, lineLoad(full, v)]));
}

const sichuanVolumes = volumes({
  ahtSeconds: 180,
  patienceSeconds: 60,
  hourlyShape: flat,
  lines: {
    'hotline-12345': 24_000, // 1,000 per hour
    l12396: 2_400, // whole merge: 100 per hour
    l12319: 4_800, // dual number, 12345's agents from 10-16: 200 per hour
    l12348: 2_400, // dual number with an expert seat (司法厅, office hours): 100 per hour
    l12366: 4_800, // sub-center (tax): never 12345's agents
  },
});

const queue = (p: MergePeriod, id: string) => p.queues.find((q) => q.target === id);
const elsewhere = (p: MergePeriod, id: string) => p.elsewhere.find((e) => e.target === id)?.callsPerDay;

describe('merge-date load on the shipped Sichuan plan', () => {
  const periods = mergeLoad(sichuan, { volumes: sichuanVolumes, target });

  it('cuts the calendar at the phase dates of the lines with volumes, each judged on a workday', () => {
    expect(periods.map((p) => [p.from, p.until, p.day, p.transition])).toEqual([
      [undefined, '2021-04-01', '2021-03-31', false],
      ['2021-04-01', '2021-06-01', '2021-04-01', false],
      ['2021-06-01', '2021-10-01', '2021-06-01', true], // the whole-merge transition window
      ['2021-10-01', '2021-10-16', '2021-10-08', false], // 10-01…10-07 is the National Day holiday
      ['2021-10-16', undefined, '2021-10-18', false], // 10-16 is a Saturday
    ]);
  });

  it('keeps the dual-number lines with their departments until 10-16 (main pool: 12345 and the whole-merge line)', () => {
    for (const p of periods.slice(0, 4)) {
      const general = queue(p, 'pool:general')!;
      expect(general.callsPerDay).toBeCloseTo(24_000 + 2_400, 6);
      expect(general.peak.callsPerHour).toBeCloseTo(1_100, 6);
      expect(general.lines.map((l) => l.lineId).sort()).toEqual(['hotline-12345', 'l12396']);
      expect(elsewhere(p, 'department:housing')).toBeCloseTo(4_800, 6);
      expect(elsewhere(p, 'department:legal')).toBeCloseTo(2_400, 6);
      expect(elsewhere(p, 'subcenter:tax')).toBeCloseTo(4_800, 6);
      expect(general.peak.staffing.erlangC.agents).toBe(
        agentsByErlangC({ callsPerHour: 1_100, ahtSeconds: 180 }, target).agents,
      );
    }
  });

  it('raises the main pool from 10-16: 12319 all day, 12348 outside its expert seat’s 7 office hours', () => {
    const after = periods[4]!;
    const general = queue(after, 'pool:general')!;
    // 24,000 + 2,400 + 4,800 + 2,400 × 17/24 (the expert seat is open 9–12 and 13–17)
    expect(general.callsPerDay).toBeCloseTo(24_000 + 2_400 + 4_800 + 1_700, 6);
    // the busiest hours are those with the expert seat closed: 1,000 + 100 + 200 + 100
    expect(general.peak.callsPerHour).toBeCloseTo(1_400, 6);
    expect(general.peak.hour).toBe(0);
    const seat = queue(after, 'expert:legal')!;
    expect(seat.callsPerDay).toBeCloseTo(700, 6);
    expect(seat.hours.filter((h) => h.callsPerHour > 0).map((h) => h.hour)).toEqual([
      9, 10, 11, 13, 14, 15, 16,
    ]);
    expect(general.peak.staffing.erlangC.agents).toBe(
      agentsByErlangC({ callsPerHour: 1_400, ahtSeconds: 180 }, target).agents,
    );
    expect(general.peak.staffing.erlangA!.agents).toBe(
      agentsByErlangA({ callsPerHour: 1_400, ahtSeconds: 180, patienceSeconds: 60 }, target).agents,
    );
    expect(general.peak.staffing.erlangC.agents).toBeGreaterThan(
      queue(periods[3]!, 'pool:general')!.peak.staffing.erlangC.agents,
    );
    expect(elsewhere(after, 'department:housing')).toBeUndefined();
    expect(elsewhere(after, 'subcenter:tax')).toBeCloseTo(4_800, 6);
  });

  it('names the lines whose calls moved, and sums agent-hours over the day', () => {
    const after = periods[4]!;
    expect(after.changes).toEqual([
      { lineId: 'l12319', before: ['department:housing'], after: ['pool:general'] },
      { lineId: 'l12348', before: ['department:legal'], after: ['expert:legal', 'pool:general'] },
    ]);
    const general = queue(after, 'pool:general')!;
    expect(general.agentHoursC).toBe(general.hours.reduce((s, h) => s + h.staffing.erlangC.agents, 0));
    // 17 hours at 1,400 calls/h and 7 at 1,300 (the expert seat's hours)
    const at = (calls: number) => agentsByErlangC({ callsPerHour: calls, ahtSeconds: 180 }, target).agents;
    expect(general.agentHoursC).toBe(17 * at(1_400) + 7 * at(1_300));
  });

  it('shows the whole-merge line in its transition phase during the window', () => {
    const window = periods[2]!;
    expect(window.phases).toContainEqual({
      owner: 'national-whole-merge',
      phase: 'transition',
      kind: 'transition',
      lines: ['l12396'],
    });
  });

  it('refuses a volume for a line the plan does not have, naming it', () => {
    const bad = volumes({ ahtSeconds: 180, lines: { nosuch: 10 } });
    expect(() => mergeLoad(sichuan, { volumes: bad, target })).toThrow(/lines\.nosuch/);
  });

  it('computes Erlang A only where every call of the hour has a patience', () => {
    const partial = volumes({
      ahtSeconds: 180,
      hourlyShape: flat,
      lines: { 'hotline-12345': 2_400, l12396: { callsPerDay: 240, patienceSeconds: 60 } },
    });
    const [first] = mergeLoad(sichuan, { volumes: partial, target });
    const general = queue(first!, 'pool:general')!;
    expect(general.peak.staffing.erlangA).toBeUndefined();
    expect(general.agentHoursA).toBeUndefined();
  });
});

describe('merge-date load through a menu (Jilin: the shared number split by level)', () => {
  const jilin = loadPlan(join(root, 'routing-rules/examples/jilin')).plan;

  it('needs a day to judge a plan without phase dates on', () => {
    const v = volumes({
      ahtSeconds: 200,
      lines: { 'hotline-12345': { callsPerDay: 10, menuShares: { '1': 1 } } },
    });
    expect(() => mergeLoad(jilin, { volumes: v, target })).toThrow(/fallbackDay/);
  });

  it('asks for the callers’ choices when a line’s calls reach a menu', () => {
    const v = volumes({ ahtSeconds: 200, lines: { 'hotline-12345': 1_000 } });
    const run = () => mergeLoad(jilin, { volumes: v, target, fallbackDay: '2026-12-01' });
    expect(run).toThrow(StaffingInputError);
    expect(run).toThrow(/lines\.hotline-12345\.menuShares/);
  });

  it('splits the calls by the given shares of keys', () => {
    const v = volumes({
      ahtSeconds: 200,
      hourlyShape: flat,
      lines: { 'hotline-12345': { callsPerDay: 2_400, menuShares: { '1': 3, '2': 1 } } },
    });
    const periods = mergeLoad(jilin, { volumes: v, target, fallbackDay: '2026-12-05' });
    expect(periods).toHaveLength(1);
    const [only] = periods;
    expect(only!.day).toBe('2026-12-07'); // 12-05 is a Saturday: the first workday is Monday
    expect(queue(only!, 'pool:changchun')!.callsPerDay).toBeCloseTo(1_800, 6);
    expect(elsewhere(only!, 'center:jilin-province')).toBeCloseTo(600, 6);
  });
});
