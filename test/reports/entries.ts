import type { OutboxEntry } from '../../src/records/outbox.ts';
import type { CallRecord } from '../../src/records/schema.ts';

/** A call record as the outbox hands it to the `database` destination. */
export function outboxEntry(r: CallRecord): OutboxEntry {
  return {
    id: `database:${r.idempotencyKey}`,
    destination: 'database',
    kind: 'call-record',
    callId: r.callId,
    idempotencyKey: r.idempotencyKey,
    body: JSON.stringify(r),
    createdAt: 0,
    attempts: 0,
    nextAt: 0,
  };
}
