import type { Logger } from 'pino';
import { Piscina } from 'piscina';

/** What one task may cost in a worker: wall time and the worker's old-generation heap. */
export interface WorkerBudget {
  /** Wall time of one task, from when it is handed to the pool (ms). */
  timeMs: number;
  /** Old-generation heap of a worker (MiB); a task exceeding it kills its worker, not the process. */
  memoryMb: number;
}

export interface BudgetedWorkersOptions {
  /** The worker module (a URL, as from `new URL('./x-worker.mjs', import.meta.url)`). */
  file: URL;
  memoryMb: number;
  /** Workers running tasks at once (1 by default). */
  threads?: number;
  /** Keep one worker loaded from the first task on, replaced at once when one dies (false: all exit idle). */
  keepOneLoaded?: boolean;
  /** Tasks waiting for a worker; more are refused with `queue-full` (unbounded if not set). */
  queue?: number;
  /** What the workers do, for the log line when one fails (`a ${what} worker failed`). */
  what: string;
  logger?: Logger;
  /** Called when a worker dies between tasks (its heap limit), after the log line. */
  onWorkerDied?: () => void;
}

/** Why a task did not return: over its time, over the heap, refused by a full queue, or anything else (the task's own error). */
export type WorkerFailure = 'time' | 'memory' | 'queue-full' | 'other';

/** The failure a task's rejection stands for (piscina's abort, worker OOM, full queue, or anything else). */
export function workerFailure(err: unknown): WorkerFailure {
  const e = err as { name?: string; code?: string; message?: string } | undefined;
  if (e?.name === 'AbortError') return 'time';
  if (e?.code === 'ERR_WORKER_OUT_OF_MEMORY') return 'memory';
  if (typeof e?.message === 'string' && /queue is at limit/i.test(e.message)) return 'queue-full';
  return 'other';
}

/**
 * CPU-bound work (compiling rules, replaying a day) run off the main thread, in worker threads
 * held to a heap budget each, a task to a time budget (the worker running it is terminated). A
 * task over either budget, or a worker that dies, costs that worker only: the pool starts a
 * fresh one for the next task. Workers start on first use and exit after a minute idle (but
 * one, with `keepOneLoaded`).
 */
export class BudgetedWorkers {
  private pool: Piscina | undefined;

  constructor(private readonly options: BudgetedWorkersOptions) {}

  /** Runs one task; rejects with the worker's error (see `workerFailure`). `timeMs`: its time budget. */
  async run(task: unknown, timeMs?: number): Promise<unknown> {
    const pool = this.start();
    return pool.run(task, timeMs === undefined ? {} : { signal: AbortSignal.timeout(timeMs) });
  }

  private start(): Piscina {
    if (this.pool) return this.pool;
    const {
      file,
      memoryMb,
      threads = 1,
      keepOneLoaded = false,
      queue,
      what,
      logger,
      onWorkerDied,
    } = this.options;
    const pool = new Piscina({
      filename: file.href,
      minThreads: keepOneLoaded ? 1 : 0,
      maxThreads: threads,
      ...(queue === undefined ? {} : { maxQueue: queue }),
      idleTimeout: 60_000,
      resourceLimits: {
        maxOldGenerationSizeMb: memoryMb,
        maxYoungGenerationSizeMb: Math.min(32, Math.max(4, Math.floor(memoryMb / 8))),
        stackSizeMb: 4,
      },
    });
    // A worker dying between tasks (its heap limit) is reported here, not to a task.
    pool.on('error', (err) => {
      logger?.warn({ err }, `a ${what} worker failed`);
      onWorkerDied?.();
    });
    this.pool = pool;
    return pool;
  }

  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    await pool?.destroy();
  }
}
