import { describe, expect, it } from 'vitest';
import { loadPlan } from '../../src/plan/load.ts';
import { localParts } from '../../src/plan/zoned-time.ts';
import { WhatIfInputError } from '../../src/whatif/errors.ts';
import { apportion, profileFromPlan, trafficFromProfile } from '../../src/whatif/traffic-profile.ts';
import { keysOf, trafficFromRecords } from '../../src/whatif/traffic-records.ts';
import { record } from './records.ts';

const tz = 'Asia/Shanghai';
describe('traffic from call records', () => {
  it('reads the keys of the IVR path: options, T for a timeout, the keys of an invalid try, # after a progress query', () => {
    expect(
      keysOf({
        ivrPath: [
          { menu: 'main', keys: '', outcome: 'timeout' },
          { menu: 'main', keys: '9', outcome: 'invalid' },
          { menu: 'main', keys: '2', outcome: '进度查询' },
          { menu: 'self-service:progress', keys: '7 digits', outcome: 'lookup' },
          { menu: 'level', keys: '1', outcome: '省级' },
        ],
      }),
    ).toBe('T92#1');
  });

  it('takes the patience of an abandoned call from its wait and draws the others from longer abandoned waits', () => {
    const day = trafficFromRecords(
      [
        record({ at: '2024-03-04T09:00', disposition: 'abandoned-queue', waitSeconds: 40 }),
        record({ at: '2024-03-04T09:01', disposition: 'abandoned-queue', waitSeconds: 90 }),
        record({ at: '2024-03-04T09:02', disposition: 'answered', waitSeconds: 50, talkSeconds: 200 }),
        record({ at: '2024-03-04T09:03', disposition: 'answered', waitSeconds: 120, talkSeconds: 100 }),
      ],
      { timezone: tz },
    );
    expect(day.calls.map((c) => c.patienceSeconds)).toEqual([40, 90, 90, Number.POSITIVE_INFINITY]);
    expect(day.calls.map((c) => c.talkSeconds).slice(2)).toEqual([200, 100]);
    // Unanswered calls talk as long as an answered call of their line would.
    expect([200, 100]).toContain(day.calls[0]!.talkSeconds);
  });

  it('replays the busiest day of the records on the day asked, at the same times of day', () => {
    const day = trafficFromRecords(
      [
        record({ at: '2024-03-04T09:00', disposition: 'answered', talkSeconds: 60 }),
        record({ at: '2024-03-05T08:15', disposition: 'answered', talkSeconds: 60 }),
        record({ at: '2024-03-05T23:59', disposition: 'answered', talkSeconds: 60 }),
      ],
      { timezone: tz, date: '2021-10-12' },
    );
    expect(day.date).toBe('2021-10-12');
    expect(day.calls).toHaveLength(2);
    const first = localParts(day.calls[0]!.atMs, tz);
    expect([first.year, first.month, first.day, first.hour, first.minute]).toEqual([2021, 10, 12, 8, 15]);
    expect(day.calls.every((c) => c.atMs >= day.fromMs && c.atMs < day.untilMs)).toBe(true);
  });

  it('refuses an empty records file, naming the traffic', () => {
    expect(() => trafficFromRecords([], { timezone: tz })).toThrow(WhatIfInputError);
  });
});

describe('traffic from a profile', () => {
  const plan = loadPlan('routing-rules').plan;

  it('spreads exactly the calls asked for over the lines and the hours of the day', () => {
    const day = trafficFromProfile(profileFromPlan(plan, 20_000, '2021-10-12'), { plan, seed: 1 });
    expect(day.calls).toHaveLength(20_000);
    expect(day.calls.filter((c) => c.dialed === '12345')).toHaveLength(10_000);
    expect(day.calls.every((c) => c.atMs >= day.fromMs && c.atMs < day.untilMs)).toBe(true);
    const hours = new Array(24).fill(0);
    for (const c of day.calls) hours[localParts(c.atMs, tz).hour]++;
    expect(hours[10]).toBeGreaterThan(hours[3] * 10);
  });

  it('gives every line its keys by share and infinite patience when the profile says null', () => {
    const day = trafficFromProfile(
      {
        date: '2024-03-04',
        patienceSeconds: null,
        lines: [
          {
            number: '12345',
            calls: 1000,
            keys: [
              { keys: '1', share: 3 },
              { keys: '2', share: 1 },
            ],
          },
        ],
      },
      { plan, seed: 3 },
    );
    const ones = day.calls.filter((c) => c.keys === '1').length;
    expect(ones).toBeGreaterThan(700);
    expect(ones).toBeLessThan(800);
    expect(day.calls.every((c) => c.patienceSeconds === Number.POSITIVE_INFINITY)).toBe(true);
  });

  it('names the field of a bad profile', () => {
    expect(() =>
      trafficFromProfile({ date: '2024-03-04', lines: [{ number: '12345', share: 1 }] }, { plan }),
    ).toThrow(/profile\.calls: lines given by share need/);
  });

  it('apportions by largest remainders, summing to the total', () => {
    expect(apportion(10, [1, 1, 1])).toEqual([4, 3, 3]);
    expect(apportion(7, [0, 2, 5]).reduce((s, v) => s + v, 0)).toBe(7);
  });
});
