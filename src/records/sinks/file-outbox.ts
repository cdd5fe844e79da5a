import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { type Clock, systemClock } from '../../clock.ts';
import {
  type DeadLetter,
  type OutboxCounts,
  type OutboxEntry,
  OutboxError,
  type OutboxMessage,
  type OutboxStore,
} from '../outbox.ts';
import { type SinkHealth, SpooledAppend, type SpooledAppendOptions } from './spool.ts';

/**
 * The outbox without Redis: an append-only journal `outbox.jsonl` in a directory under `var/`.
 * Every change is one JSON line, on disk (fdatasync) before the call resolves; the state is
 * rebuilt by replaying the journal at open. Compaction rewrites the journal to the live state
 * (temporary file, fsync, rename, fsync of the directory) when it has grown four times larger
 * than what it holds, at open and at close. A torn last line (crash mid-write) is dropped.
 * One process at a time owns the directory (`outbox.lock` holds its `pid@host`; a dead owner's
 * lock is taken over, a lock of another host — another container's pid namespace — never is).
 * Others may read it: `FileOutbox.read` takes a snapshot of the journal without the lock (what
 * `hotline records status` and `dead-letters` show while the engine runs).
 *
 * A journal that cannot be written (ENOSPC, EIO…) does not lose changes: they are applied in
 * memory (the courier keeps delivering) and kept in the journal's spool (spool.ts: in memory,
 * bounded, and in `outbox.jsonl.spool` when that can be written), retried with backoff, and
 * written to the journal in order when it works again; no compaction runs meanwhile. `add`
 * resolves once its message is on disk in the journal or the spool file. At open, a spool file
 * left behind is replayed after the journal (its changes are idempotent) and folded into the
 * compacted journal.
 */
type Op =
  | { op: 'add'; m: OutboxMessage; attempts?: number; nextAt?: number; lastError?: string }
  | { op: 'done'; id: string }
  | { op: 'retry'; id: string; attempts: number; nextAt: number; error: string }
  | { op: 'dead'; id: string; attempts: number; error: string; at: number }
  | { op: 'replay'; id: string; at: number };

const JOURNAL = 'outbox.jsonl';
const LOCK = 'outbox.lock';
const COMPACT_MIN_LINES = 1000;

export interface FileOutboxOptions {
  dir: string;
  /** Problems met while reading the journal (skipped lines), and failed journal writes. */
  onWarning?: (message: string) => void;
  /** Times the retries of a journal that cannot be written. Default: the system clock. */
  clock?: Clock;
  /** Spool tuning (tests): journal lines kept in memory, retry backoff. */
  maxSpooled?: number;
  retry?: SpooledAppendOptions['retry'];
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const heldHere = new Set<string>();
/** A lock file with no owner written yet is being taken; older than this, its taker died. */
const FRESH_LOCK_MS = 10_000;

const errno = (err: unknown) => (err as NodeJS.ErrnoException).code;

/** The lock file's owner (`pid@host`; a bare pid from earlier versions is this host's), if any. */
function lockOwner(path: string): { pid: number; host: string } | 'none' | 'being-taken' {
  let text: string;
  try {
    text = readFileSync(path, 'utf8').trim();
  } catch (err) {
    if (errno(err) === 'ENOENT') return 'none';
    throw err;
  }
  const m = /^(\d+)(?:@(.+))?$/.exec(text);
  if (!m) {
    let age = Number.POSITIVE_INFINITY;
    try {
      age = Date.now() - statSync(path).mtimeMs;
    } catch {
      return 'none';
    }
    return age < FRESH_LOCK_MS ? 'being-taken' : { pid: 0, host: hostname() };
  }
  return { pid: Number(m[1]), host: m[2] ?? hostname() };
}

function takeLock(dir: string): void {
  const path = join(dir, LOCK);
  if (heldHere.has(path))
    throw new OutboxError('outbox-locked', `the outbox ${dir} is already open in this process`);
  const owner = lockOwner(path);
  if (owner === 'being-taken')
    throw new OutboxError('outbox-locked', `the outbox ${dir} is being opened by another process`);
  if (owner !== 'none') {
    if (owner.host !== hostname())
      throw new OutboxError(
        'outbox-locked',
        `the outbox ${dir} is in use by process ${owner.pid} on host ${owner.host} (if that engine has stopped, remove ${path})`,
      );
    if (owner.pid > 0 && owner.pid !== process.pid && alive(owner.pid))
      throw new OutboxError('outbox-locked', `the outbox ${dir} is in use by process ${owner.pid}`);
    rmSync(path, { force: true });
  }
  let fd: number;
  try {
    fd = openSync(path, 'wx');
  } catch (err) {
    // Another process took it between the look and the take.
    if (errno(err) === 'EEXIST')
      throw new OutboxError('outbox-locked', `the outbox ${dir} was just opened by another process`);
    throw err;
  }
  try {
    writeSync(fd, `${process.pid}@${hostname()}`);
  } finally {
    closeSync(fd);
  }
  heldHere.add(path);
}

export class FileOutbox implements OutboxStore {
  private readonly pending = new Map<string, OutboxEntry>();
  private readonly dead = new Map<string, DeadLetter>();
  private readonly inflight = new Set<string>();
  private journal!: SpooledAppend;
  private lines = 0;
  private compacting: Promise<void> | undefined;
  private closed = false;
  /** A snapshot read without the lock: nothing is written, not even at close. */
  private readOnly = false;

  private constructor(private readonly o: FileOutboxOptions) {}

  /**
   * The outbox as its journal (and spool file) hold it now, read without taking the lock: the
   * owner may be running. Its changes are refused (`outbox-read-only`); close writes nothing. A
   * line being appended as it is read is skipped (the next read has it).
   */
  static async read(o: FileOutboxOptions): Promise<FileOutbox> {
    const outbox = new FileOutbox(o);
    outbox.readOnly = true;
    try {
      if (!statSync(o.dir).isDirectory())
        throw new OutboxError('outbox-unreadable', `the outbox ${o.dir} is not a directory`);
      await outbox.load();
    } catch (err) {
      if (err instanceof OutboxError) throw err;
      if (errno(err) === 'ENOENT') throw new OutboxError('outbox-missing', `there is no outbox at ${o.dir}`);
      throw new OutboxError(
        'outbox-unreadable',
        `the outbox ${o.dir} cannot be read (${errno(err) ?? (err as Error).message})`,
        err,
      );
    }
    return outbox;
  }

  static async open(o: FileOutboxOptions): Promise<FileOutbox> {
    mkdirSync(o.dir, { recursive: true });
    takeLock(o.dir);
    const outbox = new FileOutbox(o);
    try {
      await outbox.load();
      await outbox.rewrite().catch((err: Error) => {
        // A full disk does not stop the engine: the old journal (reopened) and its spool serve.
        if (!outbox.journal) throw err;
        o.onWarning?.(`outbox journal ${outbox.journalPath} could not be compacted at open (${err.message})`);
      });
    } catch (err) {
      heldHere.delete(join(o.dir, LOCK));
      rmSync(join(o.dir, LOCK), { force: true });
      throw err;
    }
    return outbox;
  }

  get journalPath(): string {
    return join(this.o.dir, JOURNAL);
  }

  get spoolPath(): string {
    return `${this.journalPath}.spool`;
  }

  /** The journal, then the spool a journal that could not be written left behind. */
  private async load(): Promise<void> {
    for (const path of [this.journalPath, this.spoolPath]) {
      // Only a regular file holds journal lines (a device such as /dev/full would read forever).
      // A journal that cannot be looked at (EACCES) is an error, not an empty outbox.
      let isFile: boolean;
      try {
        isFile = statSync(path).isFile();
      } catch (err) {
        if (errno(err) === 'ENOENT') continue;
        throw err;
      }
      if (!isFile) continue;
      // Gone since the look: the owner folded the spool file into a compacted journal.
      const text = await readFile(path, 'utf8').catch((err: unknown) => {
        if (errno(err) === 'ENOENT') return '';
        throw err;
      });
      const lines = text.split('\n');
      lines.forEach((line, i) => {
        if (!line) return;
        let op: Op;
        try {
          op = JSON.parse(line) as Op;
        } catch {
          const last = i >= lines.length - 2;
          // Read while its owner runs, a last line may be still being written.
          if (last && this.readOnly) return;
          const where = last ? 'a torn last line' : `line ${i + 1}`;
          this.o.onWarning?.(`outbox journal ${path}: skipped ${where} that is not JSON`);
          return;
        }
        this.apply(op);
      });
    }
  }

  /** Whether the journal is being written (not while its changes wait in the spool). */
  health(): SinkHealth & { failures: Record<string, number> } {
    const h = this.journal?.health() ?? { ok: true, spooled: 0 };
    return { ...h, failures: { outbox: this.journal?.failures ?? 0 } };
  }

  private openJournal(): Promise<SpooledAppend> {
    return SpooledAppend.open({
      path: this.journalPath,
      sink: 'outbox',
      clock: this.o.clock ?? systemClock,
      ...(this.o.maxSpooled !== undefined ? { maxSpooled: this.o.maxSpooled } : {}),
      ...(this.o.retry ? { retry: this.o.retry } : {}),
      onFailure: (error) =>
        this.o.onWarning?.(
          `outbox journal ${this.journalPath} cannot be written (${error}); changes spooled`,
        ),
    });
  }

  private apply(op: Op): void {
    switch (op.op) {
      case 'add':
        if (!this.pending.has(op.m.id) && !this.dead.has(op.m.id))
          this.pending.set(op.m.id, {
            ...op.m,
            attempts: op.attempts ?? 0,
            nextAt: op.nextAt ?? op.m.createdAt,
            ...(op.lastError ? { lastError: op.lastError } : {}),
          });
        return;
      case 'done':
        this.pending.delete(op.id);
        this.dead.delete(op.id);
        return;
      case 'retry': {
        const e = this.pending.get(op.id);
        if (e)
          this.pending.set(op.id, { ...e, attempts: op.attempts, nextAt: op.nextAt, lastError: op.error });
        return;
      }
      case 'dead': {
        const e = this.pending.get(op.id);
        if (!e) return;
        this.pending.delete(op.id);
        this.dead.set(op.id, { ...e, attempts: op.attempts, lastError: op.error, deadAt: op.at });
        return;
      }
      case 'replay': {
        const d = this.dead.get(op.id);
        if (!d) return;
        this.dead.delete(op.id);
        const { deadAt: _, lastError: __, ...entry } = d;
        this.pending.set(op.id, { ...entry, attempts: 0, nextAt: op.at });
        return;
      }
    }
  }

  /** Applies the changes in memory and writes them to the journal; resolves when on disk. */
  private async commit(ops: Op[]): Promise<void> {
    if (this.readOnly)
      throw new OutboxError('outbox-read-only', `the outbox ${this.o.dir} was opened to be read only`);
    if (this.closed) throw new OutboxError('outbox-closed', 'the outbox is closed');
    if (this.compacting) await this.compacting;
    for (const op of ops) this.apply(op);
    this.lines += ops.length;
    await this.journal.append(ops.map((op) => `${JSON.stringify(op)}\n`));
    if (
      this.journal.health().ok &&
      this.lines > COMPACT_MIN_LINES &&
      this.lines > 4 * (this.pending.size + this.dead.size) &&
      !this.compacting
    )
      this.compacting = this.rewrite()
        .catch((err: Error) =>
          this.o.onWarning?.(`outbox journal ${this.journalPath} could not be compacted (${err.message})`),
        )
        .finally(() => {
          this.compacting = undefined;
        });
  }

  /**
   * Rewrites the journal to the live state, atomically; the state includes what the spool held,
   * so the spool file goes. When the new journal cannot be written, the old one (and the spool
   * file) stay as they were, and the journal is reopened.
   */
  private async rewrite(): Promise<void> {
    if (this.journal) await this.journal.close();
    try {
      await this.writeSnapshot();
    } catch (err) {
      if (!this.closed) this.journal = await this.openJournal();
      throw err;
    }
    if (existsSync(this.spoolPath)) {
      await unlink(this.spoolPath);
      const dir = await open(this.o.dir, 'r');
      await dir.sync().finally(() => dir.close());
    }
    if (!this.closed) this.journal = await this.openJournal();
  }

  private async writeSnapshot(): Promise<void> {
    const tmp = `${this.journalPath}.tmp`;
    const handle = await open(tmp, 'w');
    let lines = 0;
    try {
      const out: string[] = [];
      for (const e of this.pending.values()) {
        const { attempts, nextAt, lastError, ...m } = e;
        out.push(JSON.stringify({ op: 'add', m, attempts, nextAt, ...(lastError ? { lastError } : {}) }));
      }
      for (const d of this.dead.values()) {
        const { attempts, nextAt, lastError, deadAt, ...m } = d;
        out.push(JSON.stringify({ op: 'add', m, attempts, nextAt }));
        out.push(JSON.stringify({ op: 'dead', id: d.id, attempts, error: lastError ?? '', at: deadAt }));
      }
      lines = out.length;
      await handle.write(out.length > 0 ? `${out.join('\n')}\n` : '');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, this.journalPath);
    const dir = await open(this.o.dir, 'r');
    await dir.sync().finally(() => dir.close());
    this.lines = lines;
  }

  async add(messages: OutboxMessage[]): Promise<void> {
    const fresh = messages.filter((m) => !this.pending.has(m.id) && !this.dead.has(m.id));
    if (fresh.length > 0) await this.commit(fresh.map((m) => ({ op: 'add', m })));
  }

  async claim(now: number, limit: number): Promise<OutboxEntry[]> {
    const out: OutboxEntry[] = [];
    for (const e of this.pending.values()) {
      if (out.length >= limit) break;
      if (e.nextAt <= now && !this.inflight.has(e.id)) {
        this.inflight.add(e.id);
        out.push({ ...e });
      }
    }
    return out;
  }

  async delivered(id: string): Promise<void> {
    this.inflight.delete(id);
    await this.commit([{ op: 'done', id }]);
  }

  async retryLater(entry: OutboxEntry, nextAt: number, error: string): Promise<void> {
    this.inflight.delete(entry.id);
    await this.commit([{ op: 'retry', id: entry.id, attempts: entry.attempts, nextAt, error }]);
  }

  async bury(entry: OutboxEntry, error: string, now: number): Promise<void> {
    this.inflight.delete(entry.id);
    await this.commit([{ op: 'dead', id: entry.id, attempts: entry.attempts, error, at: now }]);
  }

  async deadLetters(limit = 1000): Promise<DeadLetter[]> {
    return [...this.dead.values()].sort((a, b) => a.deadAt - b.deadAt).slice(0, limit);
  }

  async replay(ids: string[] | 'all', now: number): Promise<number> {
    const chosen = ids === 'all' ? [...this.dead.keys()] : ids.filter((id) => this.dead.has(id));
    if (chosen.length > 0) await this.commit(chosen.map((id) => ({ op: 'replay', id, at: now })));
    return chosen.length;
  }

  async counts(): Promise<OutboxCounts> {
    return { pending: this.pending.size, dead: this.dead.size };
  }

  async nextDueAt(): Promise<number | undefined> {
    let next: number | undefined;
    for (const e of this.pending.values())
      if (!this.inflight.has(e.id) && (next === undefined || e.nextAt < next)) next = e.nextAt;
    return next;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    if (this.readOnly) {
      this.closed = true;
      return;
    }
    if (this.compacting) await this.compacting.catch(() => undefined);
    this.closed = true;
    try {
      await this.rewrite();
    } catch (err) {
      // The journal and its spool file are kept as they are; the next open replays both.
      this.o.onWarning?.(
        `outbox journal ${this.journalPath} could not be compacted at close (${(err as Error).message})`,
      );
    }
    const lock = join(this.o.dir, LOCK);
    heldHere.delete(lock);
    rmSync(lock, { force: true });
  }
}
