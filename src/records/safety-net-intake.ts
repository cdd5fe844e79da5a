import { mkdir, readdir, readFile, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Clock, TimerHandle } from '../clock.ts';
import type { RoutingPlan } from '../plan/compile.ts';
import type { CallerEncryptor } from './caller-crypto.ts';
import type { RecordSink } from './record.ts';
import { parseSafetyNetNote, safetyNetRecord } from './safety-net-notes.ts';

/** Where the notes are (HOTLINE_SPOOL of dialplan/extensions.conf) and how often to look. */
export const SafetyNetConfigSchema = z.object({
  SAFETY_NET_SPOOL: z.string().min(1).default('/var/spool/hotline/fallback'),
  SAFETY_NET_SCAN_SECONDS: z.coerce.number().min(1).max(3600).default(30),
});

export interface SafetyNetConfig {
  spool: string;
  everyMs: number;
}

/** Reads and checks the intake's settings from the environment (throws zod's error when invalid). */
export function readSafetyNetConfig(env: Record<string, string | undefined>): SafetyNetConfig {
  const c = SafetyNetConfigSchema.parse({
    SAFETY_NET_SPOOL: env.SAFETY_NET_SPOOL || undefined,
    SAFETY_NET_SCAN_SECONDS: env.SAFETY_NET_SCAN_SECONDS || undefined,
  });
  return { spool: c.SAFETY_NET_SPOOL, everyMs: c.SAFETY_NET_SCAN_SECONDS * 1000 };
}

export interface SafetyNetIntakeOptions {
  /** The spool folder; delivered notes go to its `done/` subfolder. */
  dir: string;
  records: Pick<RecordSink, 'write'>;
  plan: () => RoutingPlan;
  encrypt?: CallerEncryptor | undefined;
  clock: Clock;
  logger: Logger;
  /** How often the folder is read again (default 30 s). */
  everyMs?: number;
}

export interface IntakeRound {
  delivered: number;
  failed: number;
}

/**
 * Turns the notes the dialplan's safety net left (one `*.txt` per call, see safety-net-notes.ts)
 * into call records once the engine runs: at start, then every `everyMs`. A note is moved to
 * `done/` only after the record sink accepted its record (outbox or file); a crash in between
 * writes the same record again, with the same idempotency key (from the call's UNIQUEID), which
 * consumers drop. A spool that does not exist (no Asterisk, the simulator) is nothing to do.
 */
export class SafetyNetIntake {
  private timer?: TimerHandle;
  private running?: Promise<IntakeRound>;
  private stopped = false;
  /** Notes already recorded whose move failed (read-only spool): not written again by this process. */
  private readonly recorded = new Set<string>();
  /** Notes that are not notes, reported once. */
  private readonly rejected = new Set<string>();
  delivered = 0;

  constructor(private readonly o: SafetyNetIntakeOptions) {}

  start(): void {
    this.stopped = false;
    void this.scan();
  }

  /** Stops the periodic reading and waits for a round in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    await this.running?.catch(() => undefined);
  }

  /** Reads the folder once (a round already running is waited for instead of starting another). */
  scan(): Promise<IntakeRound> {
    if (this.running) return this.running;
    this.timer?.cancel();
    this.running = this.round().finally(() => {
      this.running = undefined;
      if (!this.stopped) this.timer = this.o.clock.after(this.o.everyMs ?? 30_000, () => void this.scan());
    });
    return this.running;
  }

  private async round(): Promise<IntakeRound> {
    const result: IntakeRound = { delivered: 0, failed: 0 };
    let names: string[];
    try {
      names = (await readdir(this.o.dir)).filter((n) => n.endsWith('.txt')).sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
        this.o.logger.warn(
          { dir: this.o.dir, err: (err as Error).message },
          'safety-net notes: cannot read the spool',
        );
      return result;
    }
    for (const name of names) {
      if (this.stopped) break;
      if (this.recorded.has(name) || this.rejected.has(name)) continue;
      const path = join(this.o.dir, name);
      try {
        const [text, info] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
        let record: ReturnType<typeof safetyNetRecord>;
        try {
          record = safetyNetRecord(parseSafetyNetNote(text), this.o.plan(), {
            encrypt: this.o.encrypt,
            fileTimeMs: info.mtimeMs,
          });
        } catch (err) {
          this.rejected.add(name);
          this.o.logger.warn(
            { note: name, err: (err as Error).message },
            'safety-net note not understood; left in the spool',
          );
          continue;
        }
        await this.o.records.write(record);
        this.recorded.add(name);
        result.delivered++;
        this.delivered++;
        this.o.logger.info(
          { note: name, callId: record.callId, disposition: record.disposition },
          'safety-net call recorded',
        );
      } catch (err) {
        result.failed++;
        this.o.logger.warn({ note: name, err: (err as Error).message }, 'safety-net note not recorded yet');
        continue;
      }
      try {
        await mkdir(join(this.o.dir, 'done'), { recursive: true });
        await rename(path, join(this.o.dir, 'done', name));
        this.recorded.delete(name);
      } catch (err) {
        // Recorded: kept in `recorded` so this process does not write it again; another would, with the same key.
        this.o.logger.warn(
          { note: name, err: (err as Error).message },
          'safety-net note recorded but not moved to done/',
        );
      }
    }
    return result;
  }
}
