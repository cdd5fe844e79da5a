import type { CallRecord, RecordSink } from '../record.ts';
import { AppendFile } from './append-file.ts';

/**
 * Appends one JSON line per final call record to a local file (the embedded default, when no
 * webhook or stream is configured). `write` resolves once the line is on disk (fdatasync,
 * grouped across concurrent writes). Live events are not kept here.
 */
export class JsonlRecordSink implements RecordSink {
  private readonly file: Promise<AppendFile>;
  written = 0;

  constructor(readonly path: string) {
    this.file = AppendFile.open(path);
    // A failure to open is reported by the first write or by close.
    this.file.catch(() => undefined);
  }

  async write(record: CallRecord): Promise<void> {
    const file = await this.file;
    await file.append(`${JSON.stringify(record)}\n`);
    this.written++;
  }

  async close(): Promise<void> {
    await (await this.file).close();
  }
}
