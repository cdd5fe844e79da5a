import type { Logger } from 'pino';
import { Piscina } from 'piscina';
import type { VersionCompileTask, VersionNumbers } from './version-numbers.ts';

/** What one version's compile may cost: wall time (the worker's start included) and the worker's heap. */
export interface VersionCompileBudget {
  timeMs: number;
  memoryMb: number;
}

/**
 * 30 s: a compile takes tens of ms, a worker's start (loading the compiler) seconds on a busy
 * machine; a version that needs more is not used, the numbers stay.
 */
export const versionCompileBudget: VersionCompileBudget = { timeMs: 30_000, memoryMb: 256 };

const workerFile = new URL('./version-numbers-worker.mjs', import.meta.url).href;

/**
 * Published rules versions compiled for the edge off its event loop, in one worker thread, one at
 * a time: the tens of ms a compile takes are never spent while INVITEs wait. The worker starts on
 * first use and exits after a minute idle (versions are published a few times a day). A compile
 * over its budget, or a worker that dies, is a version not used: the answer says why.
 */
export class VersionCompiler {
  private pool: Piscina | undefined;

  constructor(
    private readonly budget: VersionCompileBudget = versionCompileBudget,
    private readonly logger?: Logger,
  ) {}

  async compile(task: VersionCompileTask): Promise<VersionNumbers> {
    const pool = this.start();
    try {
      return (await pool.run(task, { signal: AbortSignal.timeout(this.budget.timeMs) })) as VersionNumbers;
    } catch (err) {
      const e = err as { name?: string; code?: string; message?: string };
      if (e?.name === 'AbortError')
        return { ok: false, reason: `it took longer than ${this.budget.timeMs} ms to compile` };
      if (e?.code === 'ERR_WORKER_OUT_OF_MEMORY')
        return { ok: false, reason: `it needed more than ${this.budget.memoryMb} MiB to compile` };
      return { ok: false, reason: `its compile failed (${e?.message ?? String(err)})` };
    }
  }

  private start(): Piscina {
    if (this.pool) return this.pool;
    const pool = new Piscina({
      filename: workerFile,
      minThreads: 0,
      maxThreads: 1,
      idleTimeout: 60_000,
      resourceLimits: {
        maxOldGenerationSizeMb: this.budget.memoryMb,
        maxYoungGenerationSizeMb: 32,
        stackSizeMb: 4,
      },
    });
    // A worker dying between compiles is reported here, not to a compile: the next one starts afresh.
    pool.on('error', (err) => this.logger?.warn({ err }, 'a rules version compile worker failed'));
    this.pool = pool;
    return pool;
  }

  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    await pool?.destroy();
  }
}
