import { maskNumber } from '../log.ts';
import {
  type CallRecord,
  Disposition,
  RECORD_VERSION,
  type Transfer,
  TransferMode,
  TransferResult,
} from '../records/schema.ts';
import { Random } from '../synthetic/random.ts';

/**
 * Synthetic final call records, varied as a center's are: every disposition, several lines,
 * phases, pools, expert seats and agents, transfers of every mode and result, answered calls
 * inside and outside the 15 s service level, survey scores, and arrivals spread over `days` from
 * `start` (midnight on the center's clock included). Seeded: the same options give the same
 * records. For the reports' tests (database against memory) and the insert bench.
 */
export interface SampleOptions {
  count: number;
  seed: number;
  /** Arrivals are spread uniformly over [start, start + days). */
  start: number;
  days: number;
  /** Caller numbers are encrypted with this, else only masked. */
  encrypt?: (number: string, callId: string) => CallRecord['callerEncrypted'];
  /** Prefix of the call ids (distinct runs, distinct keys). Default `sample`. */
  idPrefix?: string;
}

const LINES = [
  { id: 'main', name: '12345', mode: 'main', topic: 'general' },
  { id: 'housing', name: '住建热线', mode: 'whole-merge', topic: 'housing' },
  { id: 'tax', name: '12366', mode: 'dual-number', topic: 'tax' },
  { id: 'medical', name: '医保热线', mode: 'sub-center', topic: 'medical' },
] as const;
const PHASES = [
  { id: 'transition-2026', kind: 'transition' },
  { id: 'merged-2026', kind: 'merged' },
  { id: 'active', kind: 'active' },
] as const;
const POOLS = ['general', 'housing', 'tax'];
const EXPERTS = ['policy-expert', 'medical-expert'];
const AGENTS = Array.from({ length: 12 }, (_, i) => `agent-${String(i + 1).padStart(3, '0')}`);
const TARGETS = [
  { kind: 'subcenter', id: 'sc-tax' },
  { kind: 'emergency', id: '110' },
  { kind: 'emergency', id: '120' },
  { kind: 'expert', id: 'policy-expert' },
  { kind: 'center', id: 'provincial' },
];

const iso = (ms: number) => new Date(ms).toISOString();

export function* sampleRecords(o: SampleOptions): Generator<CallRecord> {
  const rnd = new Random(o.seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd.next() * xs.length)]!;
  const dispositions = Disposition.options;
  const span = o.days * 86_400_000;
  for (let i = 0; i < o.count; i++) {
    const callId = `${o.idPrefix ?? 'sample'}-${o.seed}-${i}`;
    const arrivedAt = o.start + Math.floor(rnd.next() * span);
    const line = pick(LINES);
    const disposition = pick(dispositions);
    const caller = `1${rnd.int(30, 99)}${String(rnd.int(0, 99_999_999)).padStart(8, '0')}`;
    // Most calls ask for a person; self-service and IVR hang-ups do not.
    const queued = !['self-service', 'abandoned-ivr', 'deregistered-notice', 'shed'].includes(disposition);
    const answered = queued && ['answered', 'transferred', 'ticketed'].includes(disposition);
    const ivrMs = rnd.int(2_000, 25_000);
    const queueEnteredAt = queued ? arrivedAt + ivrMs : undefined;
    // Waits around the 15 s line, some long.
    const waitMs = rnd.chance(0.6) ? rnd.int(0, 15_000) : rnd.int(15_001, 180_000);
    const agentAnsweredAt = answered ? queueEnteredAt! + waitMs : undefined;
    const talkMs = answered ? rnd.int(20_000, 900_000) : 0;
    const endedAt = (agentAnsweredAt ?? (queueEnteredAt ?? arrivedAt) + (queued ? waitMs : 0)) + talkMs + 500;
    const expert = queued && rnd.chance(0.2);
    const queue = queued
      ? expert
        ? { kind: 'expert' as const, id: pick(EXPERTS), skill: line.topic, priority: 1 }
        : { kind: 'pool' as const, id: pick(POOLS), skill: line.topic, priority: 0 }
      : undefined;
    const transfers: Transfer[] = [];
    const nTransfers = disposition === 'transferred' ? rnd.int(1, 2) : answered && rnd.chance(0.1) ? 1 : 0;
    for (let t = 0; t < nTransfers; t++) {
      const startedAt = (agentAnsweredAt ?? arrivedAt) + rnd.int(5_000, 60_000);
      const result = pick(TransferResult.options);
      transfers.push({
        target: pick(TARGETS),
        mode: pick(TransferMode.options),
        startedAt: iso(startedAt),
        ...(['connected', 'completed', 'target-left'].includes(result)
          ? { answeredAt: iso(startedAt + 4_000) }
          : {}),
        endedAt: iso(startedAt + 30_000),
        result,
      });
    }
    const record: CallRecord = {
      type: 'call-record',
      version: RECORD_VERSION,
      callId,
      idempotencyKey: `${callId}:record`,
      dialed: line.name,
      line: { ...line },
      phase: { ...pick(PHASES) },
      callerMasked: maskNumber(caller),
      times: {
        arrivedAt: iso(arrivedAt),
        answeredAt: iso(arrivedAt + 300),
        ...(queueEnteredAt !== undefined
          ? {
              ivrEndedAt: iso(queueEnteredAt),
              queueEnteredAt: iso(queueEnteredAt),
              queueLeftAt: iso(queueEnteredAt + waitMs),
            }
          : {}),
        ...(agentAnsweredAt !== undefined
          ? { agentOfferedAt: iso(agentAnsweredAt - 2_000), agentAnsweredAt: iso(agentAnsweredAt) }
          : {}),
        endedAt: iso(endedAt),
      },
      durationSeconds: Math.round((endedAt - arrivedAt) / 1000),
      ...(queued ? { waitSeconds: Math.round(waitMs / 1000) } : {}),
      ...(answered ? { talkSeconds: Math.round(talkMs / 1000) } : {}),
      ivrPath: [{ menu: 'main', keys: String(rnd.int(0, 9)), outcome: 'queue' }],
      prompts: ['welcome'],
      ...(queue ? { queue, ...(queue.kind === 'pool' ? { pool: queue.id } : { expertSeat: queue.id }) } : {}),
      overflows: [],
      ...(answered ? { agentId: pick(AGENTS) } : {}),
      offers: [],
      transfers,
      disposition,
      ...(answered && rnd.chance(0.5) ? { surveyScore: rnd.int(1, 5) } : {}),
    };
    const encrypted = o.encrypt?.(caller, callId);
    if (encrypted) record.callerEncrypted = encrypted;
    yield record;
  }
}
