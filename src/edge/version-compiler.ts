import type { Logger } from 'pino';
import { BudgetedWorkers, type WorkerBudget, workerFailure } from '../budgeted-workers.ts';
import type { VersionCompileTask, VersionNumbers } from './version-numbers.ts';

/** What one version's compile may cost: wall time (the worker's start included) and the worker's heap. */
export type VersionCompileBudget = WorkerBudget;

/**
 * 30 s: a compile takes tens of ms, a worker's start (loading the compiler) seconds on a busy
 * machine; a version that needs more is not used, the numbers stay.
 */
export const versionCompileBudget: VersionCompileBudget = { timeMs: 30_000, memoryMb: 256 };

/**
 * Published rules versions compiled for the edge off its event loop, in one worker thread, one at
 * a time: the tens of ms a compile takes are never spent while INVITEs wait. The worker starts on
 * first use and exits after a minute idle (versions are published a few times a day). A compile
 * over its budget, or a worker that dies, is a version not used: the answer says why.
 */
export class VersionCompiler {
  private readonly workers: BudgetedWorkers;

  constructor(
    private readonly budget: VersionCompileBudget = versionCompileBudget,
    logger?: Logger,
  ) {
    this.workers = new BudgetedWorkers({
      file: new URL('./version-numbers-worker.mjs', import.meta.url),
      memoryMb: budget.memoryMb,
      what: 'rules version compile',
      logger,
    });
  }

  async compile(task: VersionCompileTask): Promise<VersionNumbers> {
    try {
      return (await this.workers.run(task, this.budget.timeMs)) as VersionNumbers;
    } catch (err) {
      const failure = workerFailure(err);
      if (failure === 'time')
        return { ok: false, reason: `it took longer than ${this.budget.timeMs} ms to compile` };
      if (failure === 'memory')
        return { ok: false, reason: `it needed more than ${this.budget.memoryMb} MiB to compile` };
      const e = err as { message?: string } | undefined;
      return { ok: false, reason: `its compile failed (${e?.message ?? String(err)})` };
    }
  }

  close(): Promise<void> {
    return this.workers.close();
  }
}
