import { mkdirSync } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { dirname } from 'node:path';

interface Pending {
  text: string;
  resolve(): void;
  reject(err: unknown): void;
}

/**
 * An append-only file whose appends resolve once they are on disk (written and fdatasync'd).
 * Appends that arrive while a sync runs are grouped into the next write ("group commit"), so
 * a burst of records costs one sync, not one each. A failed write (ENOSPC, EIO…) rejects its
 * batch and is rolled back: the file is cut back to its length before the batch, so a retry
 * neither duplicates nor glues a torn line to the next; where the cut itself fails (a device),
 * the next write starts on a new line.
 */
export class AppendFile {
  private handle: FileHandle | undefined;
  private queue: Pending[] = [];
  private writing: Promise<void> | undefined;
  private closed = false;
  /** Length of the file as far as this instance knows (what a failed batch is cut back to). */
  private size = 0;
  /** A failed batch could not be cut back: the next write starts with a newline. */
  private torn = false;
  /** Bytes appended through this instance. */
  written = 0;

  private constructor(readonly path: string) {}

  static async open(path: string): Promise<AppendFile> {
    try {
      mkdirSync(dirname(path), { recursive: true });
    } catch {
      // Opening the file says why better (ENOTDIR rather than mkdir's EEXIST).
    }
    const file = new AppendFile(path);
    file.handle = await open(path, 'a');
    file.size = await file.handle.stat().then(
      (st) => st.size,
      () => 0,
    );
    return file;
  }

  /** Appends `text` (whole lines, newline included); resolves once it is durable. */
  append(text: string): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`${this.path} is closed`));
    return new Promise((resolve, reject) => {
      this.queue.push({ text, resolve, reject });
      if (!this.writing) this.writing = this.drain();
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      const text = (this.torn ? '\n' : '') + batch.map((p) => p.text).join('');
      try {
        await this.handle!.write(text);
        await this.handle!.datasync();
        const bytes = Buffer.byteLength(text);
        this.written += bytes;
        this.size += bytes;
        this.torn = false;
        for (const p of batch) p.resolve();
      } catch (err) {
        await this.handle!.truncate(this.size)
          .then(
            () => this.handle!.datasync(),
            () => {
              this.torn = true;
            },
          )
          .catch(() => undefined);
        for (const p of batch) p.reject(err);
      }
    }
    this.writing = undefined;
  }

  /** Waits for pending appends, then closes the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.writing) await this.writing;
    await this.handle?.close();
    this.handle = undefined;
  }
}
