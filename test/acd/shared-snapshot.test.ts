import { describe, expect, it } from 'vitest';
import { SharedSnapshot } from '../../src/acd/shared-snapshot.ts';
import type { StoreSnapshot } from '../../src/acd/store/port.ts';
import { ManualClock } from '../../src/clock.ts';

describe('the shared ACD snapshot for queue announcements', () => {
  it('serves concurrent askers from one read, reuses it while fresh, and reads again once stale', async () => {
    const clock = new ManualClock();
    let reads = 0;
    // The first read is still in flight while all three ask.
    let answer!: () => void;
    const inFlight = new Promise<void>((r) => {
      answer = r;
    });
    const shared = new SharedSnapshot(
      async (): Promise<StoreSnapshot> => {
        reads++;
        await inFlight;
        return { agents: [], calls: [] };
      },
      clock,
      5000,
    );
    const asked = Promise.all([shared.get(), shared.get(), shared.get()]);
    answer();
    const [a, b, c] = await asked;
    expect(reads).toBe(1);
    expect(a).toBe(b);
    expect(b).toBe(c);
    clock.advance(4999);
    expect(await shared.get()).toBe(a);
    expect(reads).toBe(1);
    clock.advance(1);
    const fresh = await shared.get();
    expect(reads).toBe(2);
    expect(fresh).not.toBe(a);
  });

  it('reads again after a failed read instead of keeping the failure', async () => {
    const clock = new ManualClock();
    let fail = true;
    const shared = new SharedSnapshot(async (): Promise<StoreSnapshot> => {
      if (fail) throw new Error('store unreachable');
      return { agents: [], calls: [] };
    }, clock);
    await expect(shared.get()).rejects.toThrow('store unreachable');
    fail = false;
    await expect(shared.get()).resolves.toEqual({ agents: [], calls: [] });
  });
});
