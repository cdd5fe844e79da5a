import { describe, expect, it } from 'vitest';
import { CallFigures, sampleOf } from '../../src/admin/call-figures.ts';
import type { CallState } from '../../src/calls/core/types.ts';
import { callFigures, liveCounts } from '../../src/records/call-figures.ts';
import { buildCallRecord } from '../../src/records/record.ts';
import { Tally } from '../../src/synthetic/run-simulation.ts';
import {
  abandonedInIvr,
  abandonedInQueue,
  abandonedWhileRinging,
  answeredCall,
  answeredThenLeftThreeWay,
  overflowedThenAnswered,
  selfServiceNeverQueued,
  T0,
  ticketedAfterLongestWait,
  transferredByAgent,
  transferredByIvrWithoutLog,
} from './call-states.ts';

const at = (s: number) => T0 + s * 1000;
const iso = (s: number) => new Date(at(s)).toISOString();

describe('the figures of one call', () => {
  it('counts a call answered by an agent who then left a three-way call as answered, with that agent', () => {
    const f = callFigures(answeredThenLeftThreeWay());
    expect(f).toMatchObject({
      offered: true,
      rung: true,
      answered: true,
      answeredAt: at(12),
      agentId: 'a1001',
      queuedAt: at(5),
      queueLeftAt: at(12),
      waitMs: 7_000,
      serviceLevelHit: true,
      talkMs: 83_000,
      talkSeconds: 83,
      transferred: true,
      abandonedWaiting: false,
    });
    expect(f.abandoned).toBeUndefined();
    const r = buildCallRecord(answeredThenLeftThreeWay());
    expect(r).toMatchObject({
      agentId: 'a1001',
      waitSeconds: 7,
      talkSeconds: 83,
      disposition: 'transferred',
    });
    expect(r.times).toMatchObject({
      queueEnteredAt: iso(5),
      agentAnsweredAt: iso(12),
      agentOfferedAt: iso(8),
    });
    expect(sampleOf(answeredThenLeftThreeWay())).toMatchObject({
      offered: true,
      answered: true,
      waitMs: 7_000,
    });
  });

  it('keeps the first queue entry through an overflow: the wait and the service level run from it', () => {
    const f = callFigures(overflowedThenAnswered());
    expect(f).toMatchObject({ queuedAt: at(4), answeredAt: at(44), waitMs: 40_000, serviceLevelHit: false });
    expect(callFigures(overflowedThenAnswered(), { serviceLevelSeconds: 40 }).serviceLevelHit).toBe(true);
    expect(buildCallRecord(overflowedThenAnswered())).toMatchObject({ waitSeconds: 40, talkSeconds: 60 });
    expect(buildCallRecord(overflowedThenAnswered()).times.queueEnteredAt).toBe(iso(4));
    // Also when the state was saved without the `queued` event: its queue keeps the first entry.
    const saved = overflowedThenAnswered();
    saved.events = saved.events.filter((e) => e.what !== 'queued');
    expect(callFigures(saved)).toMatchObject({ queuedAt: at(4), waitMs: 40_000 });
  });

  it('marks a caller who hung up while an agent was ringing as abandoned there, offered and rung', () => {
    const f = callFigures(abandonedWhileRinging());
    expect(f).toMatchObject({
      offered: true,
      rung: true,
      answered: false,
      abandoned: 'ringing',
      abandonedWaiting: true,
      serviceLevelHit: false,
      queueLeftAt: at(13),
      waitMs: 10_000,
      agentOfferedAt: at(9),
    });
    expect(f.agentId).toBeUndefined();
    expect(f.talkMs).toBeUndefined();
  });

  it('marks a caller who hung up in a queue as abandoned there, the wait up to hanging up', () => {
    expect(callFigures(abandonedInQueue())).toMatchObject({
      offered: true,
      rung: false,
      answered: false,
      abandoned: 'queue',
      abandonedWaiting: true,
      waitMs: 58_000,
    });
  });

  it('does not count as offered a call that never queued', () => {
    for (const state of [selfServiceNeverQueued, transferredByIvrWithoutLog, abandonedInIvr]) {
      const f = callFigures(state());
      expect(f, state.name).toMatchObject({ offered: false, answered: false, abandonedWaiting: false });
      expect(f.queuedAt).toBeUndefined();
      expect(f.waitMs).toBeUndefined();
      expect(sampleOf(state())).toMatchObject({ offered: false, answered: false, abandoned: false });
      expect(buildCallRecord(state()).waitSeconds).toBeUndefined();
    }
    expect(callFigures(abandonedInIvr()).abandoned).toBe('ivr');
    expect(callFigures(transferredByIvrWithoutLog()).transferred).toBe(true);
  });

  it('ends the wait of a ticketed call where the longest wait passed, unanswered', () => {
    expect(callFigures(ticketedAfterLongestWait())).toMatchObject({
      offered: true,
      answered: false,
      abandonedWaiting: false,
      queuedAt: at(6),
      queueLeftAt: at(306),
      waitMs: 300_000,
    });
  });

  it('names the agent who answered, and their talk time, when the call went on to an expert seat', () => {
    const s = answeredCall();
    s.events.splice(
      6,
      3,
      { at: at(100), what: 'transfer', detail: { id: 'x', mode: 'blind', target: 'expert:legal' } },
      { at: at(100), what: 'agent-left', detail: { agent: 'a1002' } },
      { at: at(100), what: 'queued', detail: { queue: 'expert:legal', priority: 9 } },
      { at: at(110), what: 'offer', detail: { agent: 'e2001' } },
      { at: at(112), what: 'connected', detail: { agent: 'e2001' } },
      { at: at(228), what: 'ended', detail: { cause: 16, disposition: 'answered' } },
    );
    s.agent = { agentId: 'e2001', channelId: 'e', answeredAt: at(112) };
    const f = callFigures(s);
    expect(f).toMatchObject({ agentId: 'a1002', answeredAt: at(40), waitMs: 34_000, talkMs: 60_000 });
    expect(buildCallRecord(s)).toMatchObject({ agentId: 'a1002', talkSeconds: 60, waitSeconds: 34 });
  });

  it('measures a live call up to now', () => {
    const s = abandonedInQueue();
    s.events = s.events.slice(0, -1);
    s.stage = 'queued';
    s.endedAt = undefined;
    s.disposition = undefined;
    const f = callFigures(s, { now: at(20) });
    expect(f).toMatchObject({
      ended: false,
      endedAt: at(20),
      offered: true,
      answered: false,
      waitMs: 14_000,
    });
    expect(f.queueLeftAt).toBeUndefined();
    expect(f.abandoned).toBeUndefined();
  });

  it('counts live calls by where they are', () => {
    const stages: CallState['stage'][] = ['ivr', 'queued', 'ringing', 'talking', 'transferred', 'survey'];
    const calls = stages.map((stage) => ({ ...answeredCall(), stage }));
    expect(liveCounts(calls)).toEqual({ calls: 6, ivr: 1, waiting: 1, talking: 2 });
  });
});

describe('records, the 24 h window and the simulator summary', () => {
  const states = [
    answeredCall,
    abandonedInQueue,
    ticketedAfterLongestWait,
    transferredByAgent,
    transferredByIvrWithoutLog,
    answeredThenLeftThreeWay,
    overflowedThenAnswered,
    abandonedWhileRinging,
    selfServiceNeverQueued,
    abandonedInIvr,
  ];

  it('agree on offered, answered, abandoned, ASA and the service level for the same calls', () => {
    const window = new CallFigures({ now: () => at(3600), serviceLevelSeconds: () => 15 });
    const tally = new Tally(15);
    for (const state of states) {
      window.add(sampleOf(state()));
      tally.add(state());
    }
    const w = window.figures();
    const t = tally.summary(states.length, { liveChannels: 0, liveBridges: 0 }, states.length);

    const records = states.map((state) => buildCallRecord(state()));
    const offered = records.filter((r) => r.times.queueEnteredAt !== undefined);
    const answered = offered.filter((r) => r.times.agentAnsweredAt !== undefined);
    const waits = answered.map(
      (r) => Date.parse(r.times.agentAnsweredAt!) - Date.parse(r.times.queueEnteredAt!),
    );
    const abandoned = offered.filter((r) => ['abandoned-queue', 'abandoned-ringing'].includes(r.disposition));
    const within = waits.filter((ms) => ms <= 15_000).length;
    const asaMs = waits.reduce((a, b) => a + b, 0) / waits.length;

    // Offered: 7 queued calls; answered: 4 (the three-way call the agent left among them).
    expect([offered.length, answered.length, abandoned.length, within]).toEqual([7, 4, 2, 1]);
    expect(w).toMatchObject({
      calls: states.length,
      offered: offered.length,
      answered: answered.length,
      abandoned: abandoned.length,
      answeredWithinServiceLevel: within,
    });
    expect(w.answerRate).toBe(answered.length / offered.length);
    expect(w.serviceLevel).toBe(within / offered.length);
    expect(w.asaSeconds! * 1000).toBeCloseTo(asaMs, 6);
    expect(t).toMatchObject({
      answered: answered.length,
      abandoned: abandoned.length,
      asa_ms: Math.round(asaMs),
      serviceLevel15s: Number((within / offered.length).toFixed(3)),
      transferred: records.filter((r) => r.disposition === 'transferred').length,
    });
    // Each answered record names the agent and the talk time the figures give.
    for (const state of states) {
      const f = callFigures(state());
      const r = buildCallRecord(state());
      expect(r.agentId, state.name).toBe(f.agentId);
      expect(r.talkSeconds, state.name).toBe(f.talkSeconds);
      expect(r.times.agentAnsweredAt !== undefined, state.name).toBe(f.answered);
    }
  });
});
