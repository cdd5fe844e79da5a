import { mkdir, readdir, readFile, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Clock, TimerHandle } from '../clock.ts';
import type { RoutingPlan } from '../plan/compile.ts';
import type { CallerEncryptor } from './caller-crypto.ts';
import type { RecordSink } from './record.ts';
import { parseSafetyNetNote, type SafetyNetDelivery, safetyNetDelivery } from './safety-net-notes.ts';

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
  /** Records go to `write`; the outcome of a call the engine recorded goes to `event`, when the sink takes events. */
  records: Pick<RecordSink, 'write' | 'event'>;
  plan: () => RoutingPlan;
  encrypt?: CallerEncryptor | undefined;
  clock: Clock;
  logger: Logger;
  /** How often the folder is read again (default 30 s). */
  everyMs?: number;
}

/** What a reading of the spool did, in notes. */
export interface IntakeRound {
  /** Notes taken (moved to done/, or to be): `records` + `events` + those kept only in the note. */
  delivered: number;
  /** Call records written (calls the engine never recorded). */
  records: number;
  /** Outcome events sent for calls the engine shed and recorded itself (`recorded=engine`). */
  events: number;
  /** Notes not delivered this time (the sink failed): read again next round. */
  failed: number;
}

/**
 * Turns the notes the dialplan's safety net left (one `*.txt` per call, see safety-net-notes.ts)
 * into call records once the engine runs: at start, then every `everyMs`. A note is moved to
 * `done/` only after the record sink accepted its record (outbox or file); a crash in between
 * writes the same record again, with the same idempotency key (from the call's UNIQUEID), which
 * consumers drop. A spool that does not exist (no Asterisk, the simulator) is nothing to do.
 *
 * A note with `recorded=engine` is a call the engine shed and already recorded: no second record
 * is written; the safety net's outcome goes out as that call's next live event (the sink's
 * `event`), with an idempotency key of its own. A sink that takes no events leaves the outcome in
 * the note only (logged); the note goes to done/ either way.
 */
export class SafetyNetIntake {
  private timer?: TimerHandle;
  private running?: Promise<IntakeRound>;
  private stopped = false;
  /** Notes already recorded whose move failed (read-only spool): not written again by this process. */
  private readonly recorded = new Set<string>();
  /** Notes that are not notes, reported once. */
  private readonly rejected = new Set<string>();
  /** Totals since start. */
  readonly totals: IntakeRound = { delivered: 0, records: 0, events: 0, failed: 0 };
  /** Calls the dialplan's admission gate shed, recorded from their notes since start, by reason. */
  readonly shedByReason = new Map<string, number>();

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
    const result: IntakeRound = { delivered: 0, records: 0, events: 0, failed: 0 };
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
        let delivery: SafetyNetDelivery;
        try {
          delivery = safetyNetDelivery(parseSafetyNetNote(text), this.o.plan(), {
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
        const counted = await this.deliver(name, delivery);
        this.recorded.add(name);
        for (const totals of [result, this.totals]) {
          totals.delivered++;
          if (counted) totals[counted]++;
        }
      } catch (err) {
        result.failed++;
        this.totals.failed++;
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
    if (result.delivered > 0 || result.failed > 0)
      this.o.logger.info({ ...result }, 'safety-net notes read: records written, outcome events sent');
    return result;
  }

  /** Hands one note's record or event to the sink; says which count it adds to (none: kept in the note only). */
  private async deliver(name: string, d: SafetyNetDelivery): Promise<'records' | 'events' | undefined> {
    if (d.kind === 'record') {
      await this.o.records.write(d.record);
      const reason = d.record.disposition === 'shed' ? d.record.shedReason : undefined;
      if (reason) this.shedByReason.set(reason, (this.shedByReason.get(reason) ?? 0) + 1);
      // One line per note at debug (a surge sheds thousands); each round says what it did at info.
      this.o.logger.debug(
        {
          note: name,
          callId: d.record.callId,
          disposition: d.record.disposition,
          shedReason: d.record.shedReason,
        },
        'safety-net call recorded',
      );
      return 'records';
    }
    const { callId, detail } = d.event;
    if (!this.o.records.event) {
      this.o.logger.info(
        { note: name, callId, outcome: detail.outcome },
        'safety-net outcome of a call the engine recorded is kept only in the note (the records sink takes no events)',
      );
      return undefined;
    }
    await this.o.records.event(d.event);
    this.o.logger.debug(
      { note: name, callId, outcome: detail.outcome, key: d.event.idempotencyKey },
      "safety-net outcome sent as an event of the engine's record",
    );
    return 'events';
  }
}
