import { parseInstant } from '../../src/plan/zoned-time.ts';
import type { CallRecord } from '../../src/records/schema.ts';

/** Call records for what-if tests: only what the replay reads is set by the test. */
const iso = (local: string) => new Date(parseInstant(local, 'Asia/Shanghai') as number).toISOString();

let n = 0;
export function record(o: {
  at: string;
  dialed?: string;
  line?: string;
  disposition: CallRecord['disposition'];
  waitSeconds?: number;
  talkSeconds?: number;
  ivrPath?: CallRecord['ivrPath'];
}): CallRecord {
  n++;
  return {
    type: 'call-record',
    version: 2,
    callId: `c${n}`,
    idempotencyKey: `k${n}`,
    dialed: o.dialed ?? '12345',
    line: { id: o.line ?? 'hotline-12345', name: '12345', mode: 'main', topic: 'general' },
    phase: { id: 'default', kind: 'active' },
    callerMasked: '138****0000',
    times: { arrivedAt: iso(o.at), endedAt: iso(o.at) },
    durationSeconds: 60,
    ...(o.waitSeconds !== undefined ? { waitSeconds: o.waitSeconds } : {}),
    ...(o.talkSeconds !== undefined ? { talkSeconds: o.talkSeconds, agentId: 'a1' } : {}),
    ivrPath: o.ivrPath ?? [],
    prompts: [],
    overflows: [],
    offers: [],
    transfers: [],
    disposition: o.disposition,
  };
}
