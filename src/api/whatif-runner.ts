import type { Logger } from 'pino';
import { BudgetedWorkers, type WorkerBudget, workerFailure } from '../budgeted-workers.ts';
import { HotlineError } from '../errors.ts';
import type { WhatIfTask, WhatIfTaskResult } from './whatif-task.ts';

/** What one what-if (both replays) may cost: wall time and the worker's heap. */
export type WhatIfBudget = WorkerBudget;

/**
 * 50 s: a day of 20,000 calls replays through both rule sets in under 10 s; and the answer must
 * come before the API closes a socket idle for `idleSocketMs` (60 s by default).
 */
export const whatIfBudget: WhatIfBudget = { timeMs: 50_000, memoryMb: 512 };

/** A what-if is already running in this process (409): one at a time, the engine's calls first. */
export class WhatIfBusyError extends HotlineError {
  constructor(since: string) {
    super(
      'whatif-in-progress',
      `a what-if started at ${since} is still running (one at a time): try again when it has finished`,
    );
  }
}

/** A what-if exceeded its time or memory budget (422, naming the limit). */
export class WhatIfTooLargeError extends HotlineError {
  readonly statusCode = 422;
  constructor(
    readonly limit: 'time' | 'memory',
    message: string,
  ) {
    super('whatif-too-large', message);
  }
}

/**
 * What-ifs replayed off the main thread, in one worker thread, one at a time: the replay of a
 * day is CPU-bound for seconds and must never delay the engine's calls or the API. A second
 * what-if while one runs is refused at once (WhatIfBusyError), not queued. A what-if over its time
 * budget has its worker terminated; one over the heap budget kills only its worker. The worker
 * starts on first use and exits after a minute idle.
 */
export class WhatIfRunner {
  private readonly workers: BudgetedWorkers;
  private running: string | undefined;

  constructor(
    private readonly budget: WhatIfBudget = whatIfBudget,
    private readonly logger?: Logger,
  ) {
    // A queue of one: the what-if claimed (one at a time) waits for the worker, no other.
    this.workers = new BudgetedWorkers({
      file: new URL('./whatif-worker.mjs', import.meta.url),
      memoryMb: budget.memoryMb,
      queue: 1,
      what: 'what-if',
      logger,
    });
  }

  /** The start of the what-if running now (ISO), if one is. */
  get busySince(): string | undefined {
    return this.running;
  }

  /**
   * Claims the runner for one what-if (synchronously, so two requests can never both pass):
   * `release` must be called when it is done, whether it ran or not.
   */
  claim(nowIso: string): { release: () => void } {
    if (this.running !== undefined) throw new WhatIfBusyError(this.running);
    this.running = nowIso;
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.running = undefined;
      },
    };
  }

  /** Runs one what-if in the worker, within the budget. */
  async run(task: WhatIfTask): Promise<WhatIfTaskResult> {
    try {
      return (await this.workers.run(task, this.budget.timeMs)) as WhatIfTaskResult;
    } catch (err) {
      throw this.refusal(err);
    }
  }

  private refusal(err: unknown): unknown {
    const failure = workerFailure(err);
    if (failure === 'time') {
      this.logger?.warn({ limitMs: this.budget.timeMs }, 'a what-if exceeded its time; worker replaced');
      return new WhatIfTooLargeError(
        'time',
        `the what-if took longer than ${this.budget.timeMs} ms (the limit of one what-if): try fewer calls`,
      );
    }
    if (failure === 'memory') {
      this.logger?.warn({ limitMb: this.budget.memoryMb }, 'a what-if exceeded its memory; worker replaced');
      return new WhatIfTooLargeError(
        'memory',
        `the what-if needed more than ${this.budget.memoryMb} MiB (the limit of one what-if): try fewer calls`,
      );
    }
    return err;
  }

  close(): Promise<void> {
    return this.workers.close();
  }
}
