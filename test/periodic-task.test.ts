import { describe, expect, it } from 'vitest';
import { ManualClock } from '../src/clock.ts';
import { PeriodicTask } from '../src/periodic-task.ts';

/** Lets promise callbacks run (the task's run, its catch and finally). */
const settle = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

describe('a task run every period on the engine clock', () => {
  it('runs one period after start and again one period after each run ends, a failed run included', async () => {
    const clock = new ManualClock(0);
    const runs: number[] = [];
    const errors: string[] = [];
    const task = new PeriodicTask({
      clock,
      everyMs: 1000,
      run: async () => {
        runs.push(clock.now());
        if (runs.length === 2) throw new Error('database away');
        return runs.length;
      },
      onError: (err) => errors.push(err.message),
    });
    task.start();
    clock.advance(999);
    await settle();
    expect(runs).toEqual([]);
    for (let i = 0; i < 3; i++) {
      clock.advance(1);
      await settle();
      clock.advance(999);
    }
    expect(runs).toEqual([1000, 2000, 3000]);
    expect(errors).toEqual(['database away']);
    await task.stop();
    clock.advance(5000);
    await settle();
    expect(runs).toHaveLength(3);
  });

  it('never runs twice at once: a run asked for during one is that one, and stop waits for it', async () => {
    const clock = new ManualClock(0);
    let release: () => void = () => undefined;
    let started = 0;
    const task = new PeriodicTask({
      clock,
      everyMs: 1000,
      run: () => {
        started++;
        return new Promise<number>((resolve) => {
          release = () => resolve(started);
        });
      },
      onError: () => undefined,
    });
    const first = task.runNow();
    const second = task.runNow();
    expect(started).toBe(1);
    let stopped = false;
    const stopping = task.stop().then(() => {
      stopped = true;
    });
    await settle();
    expect(stopped).toBe(false);
    release();
    expect(await first).toBe(1);
    expect(await second).toBe(1);
    await stopping;
    expect(stopped).toBe(true);
  });
});
