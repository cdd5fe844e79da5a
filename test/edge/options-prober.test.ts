import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HealthTable } from '../../src/edge/node-health.ts';
import { OptionsProber, type SendOptions } from '../../src/edge/options-prober.ts';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

function prober(send: SendOptions) {
  const table = new HealthTable(['a']);
  const changes: string[] = [];
  const p = new OptionsProber({
    targets: [{ name: 'a', uri: 'sip:127.0.0.21:5060' }],
    table,
    send,
    intervalMs: 1000,
    timeoutMs: 500,
    now: () => Date.now(),
    onChange: (name, change) => changes.push(`${name} ${change}`),
  });
  return { p, table, changes };
}

describe('OPTIONS pings', () => {
  it('marks a target up once it answers, with the round trip', async () => {
    const { p, table, changes } = prober(() => new Promise((resolve) => setTimeout(() => resolve(200), 7)));
    p.start();
    await vi.advanceTimersByTimeAsync(10);
    expect(table.get('a')).toMatchObject({ up: true, rttMs: 7, lastStatus: 200 });
    expect(changes).toEqual(['a up']);
    p.stop();
  });

  it('marks a target down when an OPTIONS stays unanswered half an interval', async () => {
    let answer = true;
    const { p, table, changes } = prober(() => (answer ? Promise.resolve(200) : new Promise(() => {})));
    p.start();
    await vi.advanceTimersByTimeAsync(1);
    expect(table.isUp('a')).toBe(true);
    answer = false;
    await vi.advanceTimersByTimeAsync(1000 + 498); // t = 1499: the OPTIONS sent at t = 1000 may still be answered
    expect(table.isUp('a')).toBe(true);
    await vi.advanceTimersByTimeAsync(2);
    expect(table.get('a')).toMatchObject({ up: false, reason: 'no answer' });
    expect(changes).toEqual(['a up', 'a down']);
    p.stop();
  });

  it('takes a transport error as failed and drachtio’s own 408 as unanswered', async () => {
    const statuses: (number | Error)[] = [200, new Error('not connected to drachtio-server'), 200, 408];
    const { p, table } = prober(() => {
      const s = statuses.shift()!;
      return s instanceof Error ? Promise.reject(s) : Promise.resolve(s);
    });
    p.start();
    await vi.advanceTimersByTimeAsync(1);
    expect(table.isUp('a')).toBe(true);
    await vi.advanceTimersByTimeAsync(1000);
    expect(table.get('a')).toMatchObject({ up: false, reason: 'not connected to drachtio-server' });
    await vi.advanceTimersByTimeAsync(1000);
    expect(table.isUp('a')).toBe(true);
    await vi.advanceTimersByTimeAsync(1000);
    expect(table.get('a')).toMatchObject({ up: false, reason: 'no answer' });
    p.stop();
  });
});
