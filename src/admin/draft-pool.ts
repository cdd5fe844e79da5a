import type { Logger } from 'pino';
import { BudgetedWorkers, type WorkerBudget, workerFailure } from '../budgeted-workers.ts';
import { type CompiledDraft, type DraftFiles, DraftsBusyError, DraftTooComplexError } from './draft.ts';

/** What one draft may cost: compile time and worker heap; how many compile at once and wait. */
export interface DraftBudget extends WorkerBudget {
  /** Workers compiling drafts at once. */
  threads: number;
  /** Drafts waiting for a worker; more are refused (429). */
  queue: number;
}

export const draftBudget: DraftBudget = { timeMs: 5_000, memoryMb: 256, threads: 1, queue: 8 };

export interface DraftTask {
  files: DraftFiles;
  bases: readonly string[];
  now: number;
  promptRoots?: readonly string[];
}

/**
 * Rules drafts compiled off the main thread, in a small pool of worker threads, each compile held
 * to a time budget (the worker running it is terminated) and each worker to a heap budget (it dies
 * of it alone). Either way the draft is refused with DraftTooComplexError naming the limit, and
 * the pool starts a fresh worker for the next draft. The pool starts on first use and keeps one
 * worker loaded; more (up to `threads`) exit after a minute idle.
 */
export class DraftPool {
  private readonly workers: BudgetedWorkers;
  /** A worker has loaded the compiler since the pool started or last lost a worker to a budget. */
  private ready = false;

  constructor(
    private readonly budget: DraftBudget = draftBudget,
    private readonly logger?: Logger,
  ) {
    // One worker stays loaded (and is replaced at once when a draft kills it): a worker's start
    // costs seconds of CPU on a busy machine, which the next draft should not wait for.
    this.workers = new BudgetedWorkers({
      file: new URL('./draft-worker.mjs', import.meta.url),
      memoryMb: budget.memoryMb,
      threads: budget.threads,
      keepOneLoaded: true,
      queue: budget.queue,
      what: 'rules draft',
      logger,
      onWorkerDied: () => {
        this.ready = false;
      },
    });
  }

  /** Compiles one draft within the budget (`timeMs`: this compile's own time budget, if not the pool's). */
  async compile(task: DraftTask, timeMs = this.budget.timeMs): Promise<CompiledDraft> {
    // A worker's start (loading the compiler) is not the draft's time: wait for one first.
    if (!this.ready) {
      await this.run({ warm: true }, undefined, timeMs);
      this.ready = true;
    }
    const result = (await this.run(task, timeMs, timeMs)) as CompiledDraft;
    if (result.ok) deepFreeze(result.plan);
    return result;
  }

  /** Runs one task (`budgetMs`: its time budget, none for the warm-up); `timeMs` names the draft's limit. */
  private async run(task: unknown, budgetMs: number | undefined, timeMs: number): Promise<unknown> {
    try {
      return await this.workers.run(task, budgetMs);
    } catch (err) {
      throw this.refusal(err, timeMs);
    }
  }

  private refusal(err: unknown, timeMs: number): unknown {
    const failure = workerFailure(err);
    if (failure === 'time' || failure === 'memory') this.ready = false;
    if (failure === 'time') {
      this.logger?.warn({ limitMs: timeMs }, 'a rules draft exceeded its compile time; worker replaced');
      return new DraftTooComplexError(
        'time',
        `the draft took longer than ${timeMs} ms to compile (the limit of one draft)`,
      );
    }
    if (failure === 'memory') {
      this.logger?.warn(
        { limitMb: this.budget.memoryMb },
        'a rules draft exceeded its compile memory; worker replaced',
      );
      return new DraftTooComplexError(
        'memory',
        `the draft needed more than ${this.budget.memoryMb} MiB to compile (the limit of one draft)`,
      );
    }
    if (failure === 'queue-full') return new DraftsBusyError();
    return err;
  }

  close(): Promise<void> {
    return this.workers.close();
  }
}

/** The plan is immutable on the main thread as when compiled there (a structured clone is not frozen). */
function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    if (value instanceof Map) {
      for (const v of value.values()) deepFreeze(v);
    } else if (!(value instanceof Set)) {
      for (const v of Object.values(value)) deepFreeze(v);
    }
  }
  return value;
}
