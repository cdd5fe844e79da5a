import { describe, expect, it } from 'vitest';
import { dayProfile, recordDays } from '../../src/staffing/records-profile.ts';
import { staffingDay } from './call-records.ts';

const tz = 'Asia/Shanghai';

describe('hourly profile of a real day from call records', () => {
  const profile = dayProfile(staffingDay(), { day: '2026-11-02', timeZone: tz, withinSeconds: 15 });
  const general = profile.queues.find((q) => q.queue === 'pool:general')!;
  const legal = profile.queues.find((q) => q.queue === 'expert:legal')!;

  it('lists the days the records cover, each call once', () => {
    expect([...recordDays(staffingDay(), tz)]).toEqual([
      ['2026-11-01', 1],
      ['2026-11-02', 7],
      ['2026-11-03', 1],
    ]);
  });

  it('counts offered calls by the local hour they entered the queue, per pool and expert seat', () => {
    expect(profile.queues.map((q) => q.queue)).toEqual(['pool:general', 'expert:legal']);
    expect(general.offered).toBe(6);
    const byHour = general.hours.filter((h) => h.offered > 0).map((h) => [h.hour, h.offered]);
    // the call that arrived at 23:59:55 the day before queued at 00:00:05: it belongs to this day
    expect(byHour).toEqual([
      [0, 1],
      [9, 4],
      [10, 1],
    ]);
    expect(legal.hours[14]).toMatchObject({ offered: 1, answered: 1, talkSeconds: 400 });
    expect(profile.notQueued).toBe(1);
  });

  it('measures answers, abandons, the service level and talk time of each hour', () => {
    expect(general.hours[9]).toMatchObject({
      offered: 4,
      answered: 2,
      abandoned: 2,
      answeredWithin: 1,
      talkSeconds: 300,
      talkCount: 2,
      waitSeconds: 105,
    });
    expect(general.meanTalkSeconds).toBeCloseTo((60 + 100 + 200 + 300) / 4, 9);
  });

  it('estimates patience as the waits of all offered calls over the abandons', () => {
    expect(general.patience).toEqual({ seconds: 119 / 2, abandoned: 2, exposureSeconds: 119 });
    expect(legal.patience).toEqual({ abandoned: 0, exposureSeconds: 0 });
  });
});
