import { existsSync, lstatSync, readFileSync } from 'node:fs';
import { open, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Clock, TimerHandle } from '../../clock.ts';
import { backoffDelay, type RetryPolicy } from '../outbox.ts';
import { AppendFile } from './append-file.ts';

/** What a file-backed sink reports through `RecordSink.health`. */
export interface SinkHealth {
  ok: boolean;
  reason?: string;
  /** Lines written by no one yet but kept (in memory, and in the spool file when it works). */
  spooled: number;
}

export interface SpooledAppendOptions {
  /** The target file. The spool file is `<path>.spool` beside it. */
  path: string;
  /** The sink's name in reasons and metrics (`jsonl`, `outbox`). */
  sink: string;
  clock: Clock;
  /** Lines kept while nothing can be written; beyond that, appends are refused. Default 10 000. */
  maxSpooled?: number;
  /** Backoff between attempts to write the target again. Default 500 ms doubling up to 30 s. */
  retry?: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>;
  /**
   * The idempotency key of a line. With it, lines are written exactly once: a spool file found at
   * start-up is checked against the target, so lines that reached it before a crash are not
   * written again. Without it (the outbox journal, whose replay is idempotent), at least once.
   */
  keyOf?: (line: string) => string | undefined;
  random?: () => number;
  /** A write to the target failed (once per failure, not per line). */
  onFailure?: (error: string) => void;
  /** The target works again and the spool was written to it. */
  onRecovered?: (lines: number) => void;
}

interface Group {
  /** Whole lines, each ending with a newline. */
  lines: string[];
  resolve(): void;
  reject(err: unknown): void;
  /** Resolved already (the target or the spool file has it). */
  settled: boolean;
}

const describe = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * An append-only file that keeps what it cannot write. Appends go to the target in order,
 * grouped (AppendFile: written and fdatasync'd before they resolve). When a write fails (ENOSPC,
 * EACCES, EIO, ENOTDIR…) the lines go to the spool:
 *
 * - in memory, in order, bounded by `maxSpooled` lines (an append beyond it is refused: the
 *   caller counts a lost record, and memory does not grow without end);
 * - and appended to `<target>.spool` beside the target (fdatasync'd) when that file can be
 *   written — not beside a device such as /dev/full. An append resolves once its lines are
 *   durable: in the target, or in the spool file; lines in memory only resolve when they reach
 *   one of them (or are refused at close).
 *
 * While the spool is not empty, new appends join it behind the older lines (order is kept). A
 * retry, after a backoff on the injected clock, reopens the target (the file may have been
 * replaced or its directory fixed), writes every spooled line to it in one durable batch,
 * then removes the spool file. A failed batch is cut back out of the target (AppendFile), so a
 * retry does not write a line twice. A spool file left by a crash is read at open and written
 * to the target first, less the lines (by key) that the target already has.
 */
export class SpooledAppend {
  private target: AppendFile | undefined;
  private spoolFile: AppendFile | undefined;
  /** The spool file cannot be written (or must not be: beside a device). */
  private spoolFileError: string | undefined;
  private readonly spool: Group[] = [];
  private queue: Group[] = [];
  private chain: Promise<void> = Promise.resolve();
  private working = false;
  private failure: string | undefined;
  private attempts = 0;
  private timer: TimerHandle | undefined;
  private closed = false;
  /** Writes to the target that failed, since open. */
  failures = 0;

  private constructor(private readonly o: SpooledAppendOptions) {}

  get spoolPath(): string {
    return `${this.o.path}.spool`;
  }

  /** Opens the target; never fails for a target that cannot be written (the sink degrades). */
  static async open(o: SpooledAppendOptions): Promise<SpooledAppend> {
    const s = new SpooledAppend(o);
    s.recoverSpoolFile();
    try {
      s.target = await AppendFile.open(o.path);
    } catch (err) {
      s.failed(err);
    }
    if (s.spool.length > 0 && !s.failure) await s.run(() => s.flush());
    return s;
  }

  health(): SinkHealth {
    const spooled = this.spooledLines();
    if (this.failure === undefined && spooled === 0) return { ok: true, spooled: 0 };
    const where = this.spoolFile ? `in memory and in ${this.spoolPath}` : 'in memory only';
    const why = this.failure ?? 'writing the spool back';
    return {
      ok: false,
      reason: `${this.o.sink} cannot write: ${why}; ${spooled} line${spooled === 1 ? '' : 's'} spooled ${where}${
        this.spoolFileError && !this.spoolFile ? ` (spool file: ${this.spoolFileError})` : ''
      }`,
      spooled,
    };
  }

  /** Appends whole lines (each ending with a newline); resolves once they are durable. */
  append(lines: string[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`${this.o.path} is closed`));
    return new Promise((resolve, reject) => {
      this.queue.push({ lines, resolve, reject, settled: false });
      if (!this.working) {
        this.working = true;
        void this.run(() => this.work());
      }
    });
  }

  /** Tries the spooled lines once more, then closes; lines still in memory only are refused. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.timer?.cancel();
    await this.chain;
    if (this.spool.length > 0) await this.run(() => this.flush());
    const lost = new Error(
      `${this.o.sink} cannot write: ${this.failure ?? 'closed'}; the record was not kept`,
    );
    for (const g of this.spool) if (!g.settled) g.reject(lost);
    await this.target?.close().catch(() => undefined);
    await this.spoolFile?.close().catch(() => undefined);
  }

  private spooledLines(): number {
    let n = 0;
    for (const g of this.spool) n += g.lines.length;
    return n;
  }

  private run(step: () => Promise<void>): Promise<void> {
    this.chain = this.chain.then(step).catch(() => undefined);
    return this.chain;
  }

  private async work(): Promise<void> {
    this.working = false;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    if (this.failure === undefined && this.spool.length === 0 && this.target) {
      try {
        await this.target.append(batch.flatMap((g) => g.lines).join(''));
        for (const g of batch) g.resolve();
        return;
      } catch (err) {
        this.failed(err);
      }
    }
    await this.toSpool(batch);
  }

  private async toSpool(batch: Group[]): Promise<void> {
    const max = this.o.maxSpooled ?? 10_000;
    let room = max - this.spooledLines();
    const kept: Group[] = [];
    for (const g of batch) {
      if (g.lines.length > room) {
        g.reject(new Error(`${this.o.sink} cannot write: ${this.failure}; spool full (${max} lines)`));
        continue;
      }
      room -= g.lines.length;
      kept.push(g);
      this.spool.push(g);
    }
    if (kept.length === 0) return;
    const file = await this.openSpoolFile();
    if (!file) return;
    // Lines kept in memory only before the spool file worked go with these, in order.
    const unsettled = this.spool.filter((g) => !g.settled);
    try {
      await file.append(unsettled.flatMap((g) => g.lines).join(''));
      for (const g of unsettled) {
        g.settled = true;
        g.resolve();
      }
    } catch (err) {
      this.spoolFileError = describe(err);
      this.spoolFile = undefined;
      await file.close().catch(() => undefined);
    }
  }

  private async openSpoolFile(): Promise<AppendFile | undefined> {
    if (this.spoolFile) return this.spoolFile;
    try {
      const st = existsSync(this.o.path) ? lstatSync(this.o.path) : undefined;
      if (st && (st.isCharacterDevice() || st.isBlockDevice())) {
        this.spoolFileError = 'not kept beside a device';
        return undefined;
      }
      this.spoolFile = await AppendFile.open(this.spoolPath);
      return this.spoolFile;
    } catch (err) {
      this.spoolFileError = describe(err);
      return undefined;
    }
  }

  private failed(err: unknown): void {
    this.failures++;
    this.attempts++;
    const first = this.failure === undefined;
    this.failure = describe(err);
    if (first) this.o.onFailure?.(this.failure);
    this.schedule();
  }

  private schedule(): void {
    if (this.closed) return;
    this.timer?.cancel();
    const policy = {
      maxAttempts: Number.POSITIVE_INFINITY,
      baseDelayMs: 500,
      maxDelayMs: 30_000,
      ...this.o.retry,
    };
    this.timer = this.o.clock.after(backoffDelay(this.attempts, policy, this.o.random), () => {
      this.timer = undefined;
      void this.run(async () => {
        await this.flush();
        await this.work();
      });
    });
  }

  /** Reopens the target and writes the spool to it; on success the spool file goes. */
  private async flush(): Promise<void> {
    if (this.spool.length === 0 && this.failure === undefined) return;
    const groups = [...this.spool];
    try {
      if (this.failure !== undefined || !this.target) {
        await this.target?.close().catch(() => undefined);
        this.target = undefined;
        this.target = await AppendFile.open(this.o.path);
      }
      const text = groups.flatMap((g) => g.lines).join('');
      if (text) await this.target.append(text);
    } catch (err) {
      this.failed(err);
      return;
    }
    // The target has them: the spool file goes first, so a healthy sink never leaves one behind.
    await this.dropSpoolFile();
    this.spool.splice(0, groups.length);
    for (const g of groups) if (!g.settled) g.resolve();
    this.failure = undefined;
    this.attempts = 0;
    const lines = groups.reduce((n, g) => n + g.lines.length, 0);
    if (lines > 0) this.o.onRecovered?.(lines);
  }

  private async dropSpoolFile(): Promise<void> {
    await this.spoolFile?.close().catch(() => undefined);
    this.spoolFile = undefined;
    this.spoolFileError = undefined;
    if (!existsSync(this.spoolPath)) return;
    await unlink(this.spoolPath).catch(() => undefined);
    const dir = await open(dirname(this.spoolPath), 'r').catch(() => undefined);
    await dir
      ?.sync()
      .catch(() => undefined)
      .finally(() => dir.close());
  }

  /** A spool file left by an earlier run: its lines go first, less those the target already has. */
  private recoverSpoolFile(): void {
    let text: string;
    try {
      text = readFileSync(this.spoolPath, 'utf8');
    } catch {
      return;
    }
    let lines = text.split('\n').filter((l) => l.length > 0);
    // A torn last line (crash mid-write) was never acknowledged: dropped.
    if (!text.endsWith('\n')) lines = lines.slice(0, -1);
    const keyOf = this.o.keyOf;
    if (keyOf) {
      const have = new Set<string>();
      try {
        for (const l of readFileSync(this.o.path, 'utf8').split('\n')) {
          const k = l ? keyOf(l) : undefined;
          if (k !== undefined) have.add(k);
        }
      } catch {
        // No target (or unreadable): every spooled line is still to be written.
      }
      const seen = new Set<string>();
      lines = lines.filter((l) => {
        const k = keyOf(l);
        if (k === undefined) return true;
        if (have.has(k) || seen.has(k)) return false;
        seen.add(k);
        return true;
      });
    }
    if (lines.length === 0) return;
    this.spool.push({
      lines: lines.map((l) => `${l}\n`),
      resolve: () => undefined,
      reject: () => undefined,
      settled: true,
    });
  }
}
