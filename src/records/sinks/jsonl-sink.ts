import type { Clock } from '../../clock.ts';
import type { CallRecord, RecordSink } from '../record.ts';
import { type SinkHealth, SpooledAppend, type SpooledAppendOptions } from './spool.ts';

export interface JsonlSinkOptions {
  clock: Clock;
  /** Spool tuning (tests): lines kept in memory, retry backoff. */
  maxSpooled?: number;
  retry?: SpooledAppendOptions['retry'];
  onFailure?: (error: string) => void;
  onRecovered?: (lines: number) => void;
}

const keyOf = (line: string): string | undefined => {
  try {
    const key = (JSON.parse(line) as { idempotencyKey?: unknown }).idempotencyKey;
    return typeof key === 'string' ? key : undefined;
  } catch {
    return undefined;
  }
};

/**
 * Appends one JSON line per final call record to a local file (the embedded default, when no
 * webhook or stream is configured). `write` resolves once the line is durable: on disk in the
 * file (fdatasync, grouped across concurrent writes) or, while the file cannot be written, in
 * the spool beside it (`<file>.spool`, see spool.ts), from which each record reaches the file
 * exactly once (by its idempotencyKey) when it works again. Live events are not kept here.
 */
export class JsonlRecordSink implements RecordSink {
  private readonly file: Promise<SpooledAppend>;
  private opened: SpooledAppend | undefined;
  written = 0;

  constructor(
    readonly path: string,
    o: JsonlSinkOptions,
  ) {
    this.file = SpooledAppend.open({
      path,
      sink: 'jsonl',
      keyOf,
      clock: o.clock,
      ...(o.maxSpooled !== undefined ? { maxSpooled: o.maxSpooled } : {}),
      ...(o.retry ? { retry: o.retry } : {}),
      ...(o.onFailure ? { onFailure: o.onFailure } : {}),
      ...(o.onRecovered ? { onRecovered: o.onRecovered } : {}),
    });
    this.file.then(
      (f) => {
        this.opened = f;
      },
      () => undefined,
    );
  }

  async write(record: CallRecord): Promise<void> {
    const file = await this.file;
    await file.append([`${JSON.stringify(record)}\n`]);
    this.written++;
  }

  health(): SinkHealth & { failures: Record<string, number> } {
    const h = this.opened?.health() ?? { ok: true, spooled: 0 };
    return { ...h, failures: { jsonl: this.opened?.failures ?? 0 } };
  }

  async close(): Promise<void> {
    await (await this.file).close();
  }
}
