import { CallRecord } from '../../src/records/schema.ts';

const at = (local: string, plusSeconds = 0) =>
  new Date(Date.parse(`${local}+08:00`) + plusSeconds * 1000).toISOString();

/**
 * A call record for the staffing tests: arrives at `local` (Asia/Shanghai), enters the queue
 * `queue` 10 s later (unless `queue` is absent: self-service), is answered `answerAfter` s after
 * that or abandons after `abandonAfter` s, and talks `talk` s.
 */
export function staffingRecord(
  callId: string,
  o: {
    local: string;
    queue?: { kind: 'pool' | 'expert'; id: string };
    answerAfter?: number;
    abandonAfter?: number;
    talk?: number;
  },
): CallRecord {
  const queued = o.queue ? 10 : undefined;
  const answered = queued !== undefined && o.answerAfter !== undefined ? queued + o.answerAfter : undefined;
  const left =
    answered ?? (queued !== undefined && o.abandonAfter !== undefined ? queued + o.abandonAfter : undefined);
  const end = (left ?? 30) + (o.talk ?? 0);
  return CallRecord.parse({
    type: 'call-record',
    version: 2,
    callId,
    idempotencyKey: `${callId}:record`,
    dialed: '12345',
    line: { id: 'hotline-12345', name: '12345政务服务便民热线', mode: 'main', topic: 'general' },
    phase: { id: 'default', kind: 'active' },
    callerMasked: '138******00',
    times: {
      arrivedAt: at(o.local),
      ...(queued !== undefined ? { queueEnteredAt: at(o.local, queued) } : {}),
      ...(left !== undefined ? { queueLeftAt: at(o.local, left) } : {}),
      ...(answered !== undefined ? { agentAnsweredAt: at(o.local, answered) } : {}),
      endedAt: at(o.local, end),
    },
    durationSeconds: end,
    ...(o.talk !== undefined ? { talkSeconds: o.talk } : {}),
    ivrPath: [],
    prompts: [],
    ...(o.queue ? { queue: { ...o.queue, skill: 'general', priority: 5 } } : {}),
    overflows: [],
    offers: [],
    transfers: [],
    disposition:
      answered !== undefined ? 'answered' : queued !== undefined ? 'abandoned-queue' : 'self-service',
  });
}

const general = { kind: 'pool', id: 'general' } as const;
const legal = { kind: 'expert', id: 'legal' } as const;

/**
 * Monday 2 November 2026 (and one call on the 3rd). Queue `pool:general`:
 * - 00:00 (arrived 23:59:55 on the 1st, queued 00:00:05): answered after 4 s, talk 60 s;
 * - 09:00: answered after 5 s (talk 100) and 20 s (talk 200); abandoned after 30 s and 50 s;
 * - 10:00: answered after 10 s, talk 300 s;
 * → offered 6, patience θ = (4 + 5 + 20 + 30 + 50 + 10) / 2 abandons = 59.5 s.
 * `expert:legal`: 14:00 answered at once, talk 400 s (no abandons: no patience).
 * A self-service call at 11:00 (not queued), a duplicate of the 10:00 record, a call on the 3rd.
 */
export function staffingDay(): CallRecord[] {
  const ten = staffingRecord('c-10', {
    local: '2026-11-02T10:05:00',
    queue: general,
    answerAfter: 10,
    talk: 300,
  });
  return [
    staffingRecord('c-00', { local: '2026-11-01T23:59:55', queue: general, answerAfter: 4, talk: 60 }),
    staffingRecord('c-9a', { local: '2026-11-02T09:01:00', queue: general, answerAfter: 5, talk: 100 }),
    staffingRecord('c-9b', { local: '2026-11-02T09:11:00', queue: general, answerAfter: 20, talk: 200 }),
    staffingRecord('c-9c', { local: '2026-11-02T09:21:00', queue: general, abandonAfter: 30 }),
    staffingRecord('c-9d', { local: '2026-11-02T09:31:00', queue: general, abandonAfter: 50 }),
    ten,
    ten,
    staffingRecord('c-14', { local: '2026-11-02T14:00:00', queue: legal, answerAfter: 0, talk: 400 }),
    staffingRecord('c-11', { local: '2026-11-02T11:00:00' }),
    staffingRecord('c-3rd', { local: '2026-11-03T09:00:00', queue: general, answerAfter: 1, talk: 50 }),
  ];
}
