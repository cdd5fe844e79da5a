import { legFailureOf } from '../calls/core/q850.ts';
import type { CallState, TransferLog } from '../calls/core/types.ts';
import type { Transfer } from './schema.ts';

/** The call state as the records builder reads it (with the recording reference when recording is on). */
export type RecordableState = CallState & { recording?: string };

const iso = (ms: number) => new Date(ms).toISOString();

function splitTarget(value: unknown): { kind: string; id: string } {
  const text = String(value ?? '');
  const i = text.indexOf(':');
  return i > 0
    ? { kind: text.slice(0, i), id: text.slice(i + 1) }
    : { kind: 'unknown', id: text || 'unknown' };
}

/**
 * IVR-level transfers of a call state saved before the session kept `transfers` (restored
 * after an upgrade): read from the event log, else from `state.target`.
 */
function fromEventLog(s: CallState): TransferLog[] {
  const out: TransferLog[] = [];
  let open: TransferLog | undefined;
  for (const e of s.events) {
    if (e.what === 'dial') {
      open = {
        id: `ivr-${out.length}`,
        target: splitTarget(e.detail?.target),
        mode: 'ivr',
        startedAt: e.at,
        result: 'dialing',
      };
      out.push(open);
      continue;
    }
    if (!open) continue;
    const cause = typeof e.detail?.cause === 'number' ? e.detail.cause : undefined;
    if (e.what === 'target-connected') {
      open.answeredAt = e.at;
      open.result = 'connected';
    } else if (e.what === 'target-failed' || e.what === 'target-left') {
      open.endedAt = e.at;
      if (e.what === 'target-failed') open.result = legFailureOf(cause);
      if (cause !== undefined) open.cause = cause;
      open = undefined;
    }
  }
  if (out.length === 0 && s.target) {
    const t = s.target;
    out.push({
      id: 'ivr-0',
      target: { kind: t.kind, id: t.id },
      mode: 'ivr',
      startedAt: t.startedAt,
      ...(t.answeredAt !== undefined ? { answeredAt: t.answeredAt } : {}),
      result: t.answeredAt !== undefined ? 'connected' : 'dialing',
    });
  }
  return out;
}

/** Every transfer of the call in the order they started, as the record states them once the call has ended. */
export function transfersOf(s: RecordableState): Transfer[] {
  const ended = s.endedAt ?? s.events.at(-1)?.at ?? s.arrivedAt;
  const log = s.transfers ?? fromEventLog(s);
  return [...log]
    .sort((a, b) => a.startedAt - b.startedAt)
    .map((t) => {
      // Still ringing when the call ended: the transfer was cancelled with it.
      const result: Transfer['result'] = t.result === 'dialing' ? 'cancelled' : t.result;
      const endedAt = t.endedAt ?? (t.mode === 'ticket' || t.result === 'queued' ? undefined : ended);
      return {
        target: { kind: t.target.kind, id: t.target.id },
        mode: t.mode,
        startedAt: iso(t.startedAt),
        ...(t.answeredAt !== undefined ? { answeredAt: iso(t.answeredAt) } : {}),
        ...(endedAt !== undefined ? { endedAt: iso(endedAt) } : {}),
        result,
        ...(t.cause !== undefined ? { cause: t.cause } : {}),
        ...(t.reason !== undefined ? { reason: t.reason } : {}),
      };
    });
}
