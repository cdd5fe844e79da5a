import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { Courier } from '../../src/records/courier.ts';
import type { OutboxEntry, SendResult, Transport } from '../../src/records/outbox.ts';
import { FileOutbox } from '../../src/records/sinks/file-outbox.ts';
import { tempDir } from '../records/delivery-support.ts';

/** A destination that takes batches and answers each message by its id's last character. */
class BatchTransport implements Transport {
  readonly destination = 'database';
  readonly batches: string[][] = [];
  singles = 0;
  async send(): Promise<SendResult> {
    this.singles++;
    return { ok: true };
  }
  async sendBatch(entries: OutboxEntry[]): Promise<SendResult[]> {
    this.batches.push(entries.map((e) => e.id));
    return entries.map((e) =>
      e.id.endsWith('r') && e.attempts === 0
        ? { ok: false, retry: true, error: 'database away' }
        : e.id.endsWith('x')
          ? { ok: false, retry: false, error: 'not a call record' }
          : { ok: true },
    );
  }
}

const message = (key: string) => ({
  id: `database:${key}`,
  destination: 'database',
  kind: 'call-record' as const,
  callId: key,
  idempotencyKey: key,
  body: '{}',
  createdAt: 0,
});

describe('the courier with a destination that takes batches', () => {
  let remove: () => void = () => undefined;
  afterEach(() => remove());

  it('sends a round in one batch and settles each message by its own result', async () => {
    const dir = tempDir();
    remove = dir.remove;
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const outbox = await FileOutbox.open({ dir: dir.path, clock });
    const transport = new BatchTransport();
    const courier = new Courier({
      outbox,
      transports: [transport],
      clock,
      batch: 100,
      random: () => 0.5,
      policy: { maxAttempts: 5, baseDelayMs: 1000, maxDelayMs: 1000 },
    });
    await outbox.add(['a', 'b', 'c-r', 'd-x', 'e'].map(message));
    expect(await courier.flush(0)).toBe(false);
    expect(transport.batches).toEqual([
      ['database:a', 'database:b', 'database:c-r', 'database:d-x', 'database:e'],
    ]);
    expect(transport.singles).toBe(0);
    expect(courier.stats).toEqual({ delivered: 3, retried: 1, dead: 1 });
    expect((await outbox.deadLetters()).map((d) => d.id)).toEqual(['database:d-x']);
    clock.advance(1000);
    expect(await courier.flush(0)).toBe(true);
    expect(transport.batches.at(-1)).toEqual(['database:c-r']);
    expect(courier.stats).toEqual({ delivered: 4, retried: 1, dead: 1 });
    await outbox.close();
  });

  it('retries the whole batch when sending it throws', async () => {
    const dir = tempDir();
    remove = dir.remove;
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const outbox = await FileOutbox.open({ dir: dir.path, clock });
    const transport: Transport = {
      destination: 'database',
      send: async () => ({ ok: true }),
      sendBatch: async () => {
        throw new Error('connection reset');
      },
    };
    const courier = new Courier({ outbox, transports: [transport], clock });
    await outbox.add(['a', 'b'].map(message));
    await courier.flush(0);
    expect(courier.stats).toEqual({ delivered: 0, retried: 2, dead: 0 });
    expect(await outbox.counts()).toEqual({ pending: 2, dead: 0 });
    await outbox.close();
  });
});
