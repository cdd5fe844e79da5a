import type { Logger } from 'pino';
import { parseRecordingName } from '../calls/core/recording-name.ts';
import type { Clock } from '../clock.ts';
import { PeriodicTask } from '../periodic-task.ts';
import type { RecordingStore } from './store.ts';

export interface RetentionOptions {
  store: RecordingStore;
  clock: Clock;
  logger: Logger;
  /** Recordings are kept this many days from when they began (RECORDING_RETENTION_DAYS). */
  retentionDays: number;
  /** How often the sweep runs (RECORDING_SWEEP_MINUTES); the first runs one period after start. */
  everyMs: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Keeps the recordings for the retention period and no longer: every period it lists the stored
 * recordings and deletes (ARI `DELETE /recordings/stored/{name}`) the engine's recordings begun
 * more than `retentionDays` ago. The date is the one in the name (recording-name.ts); a recording
 * not named by the engine is never touched.
 */
export class RetentionSweep {
  private readonly task: PeriodicTask<string[]>;

  constructor(private readonly o: RetentionOptions) {
    this.task = new PeriodicTask({
      clock: o.clock,
      everyMs: o.everyMs,
      run: () => this.run(),
      onError: (err) => o.logger.warn({ err: err.message }, 'recording retention sweep failed'),
    });
  }

  start(): void {
    this.task.start();
  }

  /** Stops the periodic sweep and waits for one under way. */
  stop(): Promise<void> {
    return this.task.stop();
  }

  /** One sweep: deletes the engine's recordings older than the retention; returns their names. */
  sweep(): Promise<string[]> {
    return this.task.runNow();
  }

  private async run(): Promise<string[]> {
    const { store, clock, logger, retentionDays } = this.o;
    const before = clock.now() - retentionDays * DAY_MS;
    const old = (await store.list()).filter((r) => {
      const parsed = parseRecordingName(r.name);
      return parsed !== undefined && parsed.startedAt < before;
    });
    const deleted: string[] = [];
    for (const r of old) {
      try {
        if (await store.remove(r.name)) deleted.push(r.name);
      } catch (err) {
        logger.warn({ recording: r.name, err: (err as Error).message }, 'could not delete an old recording');
      }
    }
    if (deleted.length > 0)
      logger.info({ deleted: deleted.length, retentionDays }, 'recordings past their retention deleted');
    return deleted;
  }
}
