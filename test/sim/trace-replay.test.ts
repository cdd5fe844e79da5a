import { describe, expect, it } from 'vitest';
import { SteppedClock } from '../../src/clock.ts';
import { startSim } from './helpers/ari.ts';
import { loadFixtures, replay } from './helpers/replay.ts';

const fixtures = loadFixtures();

describe('recorded Asterisk scenarios replayed through ari-client', () => {
  it('has a fixture for every recorded Stasis scenario', () => {
    expect(fixtures.map((f) => f.scenario).sort()).toEqual([
      'a',
      'b',
      'c',
      'd',
      'e',
      'e2',
      'e3',
      'e4',
      'f',
      'g',
    ]);
  });

  for (const fixture of fixtures) {
    it.concurrent(`scenario ${fixture.scenario} yields the recorded events, causes and statuses`, async () => {
      const clock = new SteppedClock();
      const sim = await startSim({ clock, timeScale: 1, promptDurations: fixture.world.promptDurations });
      try {
        const result = await replay(sim, clock, fixture);
        expect(result.events).toEqual(fixture.events);
        expect(result.statuses).toEqual(fixture.rest.map((r) => r.status));
        expect(result.responses).toEqual(fixture.rest.map((r) => r.response));
      } finally {
        await sim.stop();
      }
    });
  }
});
