import type { CallerCipher } from './caller-crypto.ts';
import { tailRecords } from './records-tail.ts';
import type { CallRecord } from './schema.ts';

/** One earlier call of a caller, as the agent's screen pop shows it (the number masked). */
export interface EarlierCall {
  callId: string;
  /** When it arrived (ISO). */
  at: string;
  dialed: string;
  line: { id: string; name: string };
  /** The category: the queue's skill, else the line's topic. */
  topic: string;
  disposition: string;
  callerMasked: string;
  agentId?: string;
  /** The work order dispatched on it (派发工单), if any: where to, and the citizen's matter. */
  ticket?: { target: string; reason?: string };
}

export type CallerHistoryResult =
  | { available: true; calls: EarlierCall[] }
  /** The records cannot tell callers apart (no key to read the encrypted numbers), or none are kept. */
  | { available: false; reason: string; calls: [] };

/** A caller's earlier calls, most recent first. */
export interface CallerHistory {
  earlierCalls(callerNumber: string, exceptCallId: string, limit: number): Promise<CallerHistoryResult>;
}

/** The earlier calls the screen pop shows at most. */
export const MAX_EARLIER_CALLS = 10;

/** What a record shows of the call in a screen pop. */
export function earlierCall(r: CallRecord): EarlierCall {
  const ticket = r.transfers.findLast((t) => t.mode === 'ticket');
  const reason = ticket?.reason ?? r.ticketReason;
  return {
    callId: r.callId,
    at: r.times.arrivedAt,
    dialed: r.dialed,
    line: { id: r.line.id, name: r.line.name },
    topic: r.queue?.skill ?? r.line.topic,
    disposition: r.disposition,
    callerMasked: r.callerMasked,
    ...(r.agentId ? { agentId: r.agentId } : {}),
    ...(ticket
      ? {
          ticket: {
            target: `${ticket.target.kind}:${ticket.target.id}`,
            ...(reason ? { reason } : {}),
          },
        }
      : {}),
  };
}

/**
 * The records of `callerNumber` among `records` (their encrypted numbers read with `decrypt`; a
 * record without one, or that does not decrypt, is nobody's), `exceptCallId` left out, most
 * recent first, at most `limit`. Masked numbers are never compared: two callers share a mask.
 */
export function callsOf(
  records: Iterable<CallRecord>,
  callerNumber: string,
  exceptCallId: string,
  limit: number,
  decrypt: (r: CallRecord) => string | undefined,
): EarlierCall[] {
  const found = new Map<string, CallRecord>();
  for (const r of records) {
    if (r.callId === exceptCallId || !callerNumber || decrypt(r) !== callerNumber) continue;
    found.set(r.callId, r);
  }
  return [...found.values()]
    .sort((a, b) =>
      a.times.arrivedAt < b.times.arrivedAt ? 1 : a.times.arrivedAt > b.times.arrivedAt ? -1 : 0,
    )
    .slice(0, limit)
    .map(earlierCall);
}

/**
 * Earlier calls from the JSONL records file (the embedded sink's): its last `tailBytes` are read at
 * each look-up (the latest calls; older ones are the ticketing system's), each line checked
 * against the record schema. Callers are told apart by their encrypted numbers, so without the
 * records key (RECORDS_KEY) no history is given.
 */
export class JsonlCallerHistory implements CallerHistory {
  constructor(
    private readonly path: string,
    private readonly cipher: CallerCipher | undefined,
    private readonly tailBytes = 8 * 1024 * 1024,
  ) {}

  async earlierCalls(
    callerNumber: string,
    exceptCallId: string,
    limit: number,
  ): Promise<CallerHistoryResult> {
    const cipher = this.cipher;
    if (!cipher)
      return {
        available: false,
        reason: '通话记录未加密保存来电号码（未配置 RECORDS_KEY），无法查询该号码的历史来电',
        calls: [],
      };
    const decrypt = (r: CallRecord) => {
      if (!r.callerEncrypted) return undefined;
      try {
        return cipher.decrypt(r.callerEncrypted, r.callId);
      } catch {
        return undefined;
      }
    };
    const records = await this.tail();
    return { available: true, calls: callsOf(records, callerNumber, exceptCallId, limit, decrypt) };
  }

  private tail(): Promise<CallRecord[]> {
    return tailRecords(this.path, this.tailBytes);
  }
}
