import { describe, expect, it } from 'vitest';
import { FirstAudioWaits, LaneWaitEstimate } from '../../src/telephony/ari/first-audio.ts';

describe("new callers' waits for first audio", () => {
  it('reports the longest wait of a caller still waiting, before anyone is served', () => {
    const w = new FirstAudioWaits();
    w.arrived('c1', 1_000);
    w.arrived('c2', 1_300);
    expect(w.read(1_900)).toBe(900);
    expect(w.size).toBe(2);
  });

  it('reports the slowest first audio given since the last read, once', () => {
    const w = new FirstAudioWaits();
    w.arrived('c1', 0);
    w.arrived('c2', 100);
    w.heard(['c1'], 700);
    w.heard(['c2'], 200);
    expect(w.read(800)).toBe(700);
    expect(w.read(900)).toBe(0);
  });

  it('counts only the first thing a caller hears', () => {
    const w = new FirstAudioWaits();
    w.arrived('c1', 0);
    w.heard(['c1'], 50);
    w.heard(['c1'], 5_000);
    expect(w.read(6_000)).toBe(50);
  });

  it('forgets a caller who hung up or left the app without hearing anything', () => {
    const w = new FirstAudioWaits();
    w.arrived('c1', 0);
    w.arrived('c2', 500);
    w.gone('c1');
    expect(w.read(1_000)).toBe(500);
    w.gone('c2');
    expect(w.read(10_000)).toBe(0);
  });

  it('keeps at most its capacity of callers, forgetting the oldest', () => {
    const w = new FirstAudioWaits(2);
    w.arrived('c1', 0);
    w.arrived('c2', 100);
    w.arrived('c3', 200);
    expect(w.size).toBe(2);
    expect(w.read(1_000)).toBe(900);
  });
});

describe('the wait a caller arriving now can expect on the urgent lane', () => {
  it('is the requests waiting divided by the rate requests are answered', () => {
    const lane = new LaneWaitEstimate(0);
    // 500 answered in 250 ms (2 per ms, smoothed from 0: 1 per ms), 400 waiting.
    expect(lane.read(250, 500, 400)).toBe(400);
    // The same rate again: the smoothing reaches 1.5 per ms.
    expect(lane.read(500, 1_000, 300)).toBe(200);
  });

  it('says nothing while fewer than ten wait, whatever the rate', () => {
    const lane = new LaneWaitEstimate(0);
    expect(lane.read(250, 0, 9)).toBe(0);
  });

  it('counts the time since the last read when nothing was answered meanwhile', () => {
    const lane = new LaneWaitEstimate(0);
    expect(lane.read(250, 0, 50)).toBe(250);
  });
});
