import type { Clock } from '../../clock.ts';
import type { Courier } from '../courier.ts';
import { type MessageKind, messageId, OutboxError, type OutboxStore, type Transport } from '../outbox.ts';
import type { CallRecord, LiveEvent, RecordSink } from '../record.ts';

export interface OutboxSinkOptions {
  outbox: OutboxStore;
  courier: Courier;
  transports: Transport[];
  clock: Clock;
  /** Destinations that also get live events (default: all). */
  liveEventsTo?: string[];
  /** How long `close` keeps delivering what is due before leaving the rest for the next start. Default 5 s. */
  closeTimeoutMs?: number;
}

/**
 * The sink in front of the outbox: `write` and `event` resolve once the message is durably in
 * the outbox, one copy per destination; the courier delivers them (retries, dead letters).
 * `close` waits for accepted writes, delivers what is due within its time limit and closes the
 * outbox; anything undelivered is still there at the next start.
 */
export class OutboxRecordSink implements RecordSink {
  private readonly accepted = new Set<Promise<void>>();
  private readonly destinations: string[];
  private readonly eventDestinations: string[];
  private closing: Promise<void> | undefined;

  constructor(private readonly o: OutboxSinkOptions) {
    this.destinations = o.transports.map((t) => t.destination);
    this.eventDestinations = this.destinations.filter((d) => !o.liveEventsTo || o.liveEventsTo.includes(d));
  }

  write(record: CallRecord): Promise<void> {
    return this.keep('call-record', record.callId, record.idempotencyKey, record, this.destinations);
  }

  event(event: LiveEvent): Promise<void> {
    return this.keep('call-event', event.callId, event.idempotencyKey, event, this.eventDestinations);
  }

  private keep(
    kind: MessageKind,
    callId: string,
    idempotencyKey: string,
    body: CallRecord | LiveEvent,
    destinations: string[],
  ): Promise<void> {
    if (this.closing) return Promise.reject(new OutboxError('outbox-closed', 'the records sink is closed'));
    if (destinations.length === 0) return Promise.resolve();
    const text = JSON.stringify(body);
    const createdAt = this.o.clock.now();
    const added = this.o.outbox
      .add(
        destinations.map((destination) => ({
          id: messageId(destination, idempotencyKey),
          destination,
          kind,
          callId,
          idempotencyKey,
          body: text,
          createdAt,
        })),
      )
      .then(() => this.o.courier.kick());
    this.accepted.add(added);
    void added.catch(() => undefined).finally(() => this.accepted.delete(added));
    return added;
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.allSettled([...this.accepted]);
      await this.o.courier.stop();
      await this.o.courier.flush(this.o.closeTimeoutMs ?? 5000);
      await this.o.outbox.close();
      for (const t of this.o.transports) await t.close?.();
    })();
    return this.closing;
  }
}
