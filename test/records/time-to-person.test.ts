import { describe, expect, it } from 'vitest';
import { CallFigures, sampleOf } from '../../src/admin/call-figures.ts';
import type { CallState } from '../../src/calls/core/types.ts';
import { callFigures } from '../../src/records/call-figures.ts';
import { answeredCall, selfServiceNeverQueued, T0 } from './call-states.ts';

const at = (s: number) => T0 + s * 1000;

/** A caller who heard `promptSeconds` of prompts, then waited `queueSeconds` for an agent. */
function afterPrompts(promptSeconds: number, queueSeconds: number): CallState {
  const s = answeredCall();
  const answered = promptSeconds + queueSeconds;
  s.events = [
    { at: at(0), what: 'arrived' },
    { at: at(promptSeconds), what: 'queued', detail: { queue: 'pool:general', priority: 5 } },
    { at: at(answered - 1), what: 'offer', detail: { agent: 'a1002' } },
    { at: at(answered), what: 'connected', detail: { agent: 'a1002' } },
    { at: at(answered + 60), what: 'ended', detail: { cause: 16, disposition: 'answered' } },
  ];
  s.queue = { kind: 'pool', id: 'general', skill: 'general', priority: 5, enqueuedAt: at(promptSeconds) };
  s.agent = { agentId: 'a1002', channelId: 'c', answeredAt: at(answered) };
  s.endedAt = at(answered + 60);
  return s;
}

describe('the time to a person, from queue entry and from arrival', () => {
  it('counts a call answered 10 s after queueing behind 16 s of prompts within the service level from queue entry, not from arrival', () => {
    const f = callFigures(afterPrompts(16, 10));
    expect(f).toMatchObject({ waitMs: 10_000, serviceLevelHit: true, waitFromArrivalMs: 26_000 });
    expect(f.serviceLevelFromArrivalHit).toBe(false);
  });

  it('counts a call with a short welcome within both', () => {
    const f = callFigures(afterPrompts(4, 8));
    expect(f).toMatchObject({
      serviceLevelHit: true,
      serviceLevelFromArrivalHit: true,
      waitFromArrivalMs: 12_000,
    });
  });

  it('gives no wait from arrival to a call that never queued', () => {
    const f = callFigures(selfServiceNeverQueued());
    expect(f.waitFromArrivalMs).toBeUndefined();
    expect(f.serviceLevelFromArrivalHit).toBe(false);
  });

  it('reports both service levels and both mean waits over the window', () => {
    let now = at(0);
    const window = new CallFigures({ now: () => now, serviceLevelSeconds: () => 15 });
    for (const s of [afterPrompts(16, 10), afterPrompts(4, 8), afterPrompts(2, 30)]) window.add(sampleOf(s));
    now = at(600);
    const k = window.figures();
    expect(k).toMatchObject({
      offered: 3,
      answered: 3,
      answeredWithinServiceLevel: 2,
      answeredWithinServiceLevelFromArrival: 1,
    });
    expect(k.serviceLevel).toBeCloseTo(2 / 3);
    expect(k.serviceLevelFromArrival).toBeCloseTo(1 / 3);
    expect(k.asaSeconds).toBeCloseTo((10 + 8 + 30) / 3);
    expect(k.asaFromArrivalSeconds).toBeCloseTo((26 + 12 + 32) / 3);
  });
});
