import { CallRecord, type Transfer } from '../../src/records/schema.ts';

const lines = {
  '12345': { id: 'hotline-12345', name: '12345政务服务便民热线', mode: 'main', topic: 'general' },
  '12319': { id: 'l12319', name: '全国住房和城乡建设服务电话', mode: 'dual-number', topic: 'housing' },
} as const;

const at = (local: string, plusSeconds = 0) =>
  new Date(Date.parse(`${local}+08:00`) + plusSeconds * 1000).toISOString();

/**
 * One call record: it arrives at `local` (Asia/Shanghai), enters a queue `queueAfter` s later,
 * is answered `answerAfter` s after that (or abandoned there), talks `talk` s.
 */
export function reportRecord(
  callId: string,
  o: {
    line: keyof typeof lines;
    local: string;
    queueAfter?: number;
    answerAfter?: number;
    abandonAfter?: number;
    talk?: number;
    agentId?: string;
    survey?: number;
    transfers?: Transfer[];
    disposition?: CallRecord['disposition'];
  },
): CallRecord {
  const queued = o.queueAfter;
  const answered = queued !== undefined && o.answerAfter !== undefined ? queued + o.answerAfter : undefined;
  const left =
    answered ?? (queued !== undefined && o.abandonAfter !== undefined ? queued + o.abandonAfter : undefined);
  const end = (left ?? 30) + (o.talk ?? 0);
  const line = lines[o.line];
  return CallRecord.parse({
    type: 'call-record',
    version: 2,
    callId,
    idempotencyKey: `${callId}:record`,
    dialed: o.line,
    line,
    phase: { id: 'steady', kind: 'merged' },
    callerMasked: '138******00',
    times: {
      arrivedAt: at(o.local),
      ...(queued !== undefined ? { queueEnteredAt: at(o.local, queued) } : {}),
      ...(left !== undefined ? { queueLeftAt: at(o.local, left) } : {}),
      ...(answered !== undefined ? { agentAnsweredAt: at(o.local, answered) } : {}),
      endedAt: at(o.local, end),
    },
    durationSeconds: end,
    ...(queued !== undefined && left !== undefined ? { waitSeconds: left - queued } : {}),
    ...(o.talk !== undefined ? { talkSeconds: o.talk } : {}),
    ivrPath: [],
    prompts: [],
    ...(queued !== undefined
      ? { queue: { kind: 'pool', id: 'general', skill: line.topic, priority: 0 }, pool: 'general' }
      : {}),
    overflows: [],
    ...(o.agentId ? { agentId: o.agentId } : {}),
    offers: [],
    transfers: o.transfers ?? [],
    disposition:
      o.disposition ??
      (answered !== undefined ? 'answered' : queued !== undefined ? 'abandoned-queue' : 'self-service'),
    ...(o.survey !== undefined ? { surveyScore: o.survey } : {}),
  });
}

/**
 * Five calls over Monday 2 and Tuesday 3 November 2026. By line and day:
 * - 2026-11-02 hotline-12345: 3 calls, 3 offered, 2 answered (66.7%), within 15 s of queue entry 1
 *   (33.3%), of arrival 1, ASA (5 + 20) / 2 = 12.5 s, 1 abandoned (33.3%), talk (120 + 60) / 2 =
 *   90.0 s, surveys 5 and 3 (4.00);
 * - 2026-11-02 l12319: 1 call, self-service, nothing offered;
 * - 2026-11-03 l12319: 1 call offered and answered in 3 s (100%), talk 200 s, a three-way transfer
 *   to the sub-center sc-tax that connected.
 */
export function reportRecords(): CallRecord[] {
  return [
    reportRecord('c1', {
      line: '12345',
      local: '2026-11-02T09:10:00',
      queueAfter: 10,
      answerAfter: 5,
      talk: 120,
      agentId: 'a1001',
      survey: 5,
    }),
    reportRecord('c2', {
      line: '12345',
      local: '2026-11-02T09:40:00',
      queueAfter: 10,
      answerAfter: 20,
      talk: 60,
      agentId: 'a1002',
      survey: 3,
    }),
    reportRecord('c3', { line: '12345', local: '2026-11-02T10:05:00', queueAfter: 8, abandonAfter: 30 }),
    reportRecord('c4', { line: '12319', local: '2026-11-02T10:20:00' }),
    reportRecord('c5', {
      line: '12319',
      local: '2026-11-03T14:00:00',
      queueAfter: 12,
      answerAfter: 3,
      talk: 200,
      agentId: 'a1001',
      transfers: [
        {
          target: { kind: 'subcenter', id: 'sc-tax' },
          mode: 'three-way',
          startedAt: at('2026-11-03T14:00:00', 100),
          answeredAt: at('2026-11-03T14:00:00', 110),
          result: 'connected',
        },
      ],
    }),
  ];
}
