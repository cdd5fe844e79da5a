import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { RedisVersionStore } from '../admin/redis-versions.ts';
import type { RulesVersion } from '../admin/rules-versions.ts';
import { loadPlan } from '../plan/load.ts';
import { NumberCheck, type PlanNumbers, planNumbers } from './number-check.ts';
import { VersionCompiler } from './version-compiler.ts';
import type { VersionNumbers } from './version-numbers.ts';

/** Gives up reading the published versions at start after this: the folder is used. */
const VERSIONS_START_TIMEOUT_MS = 3_000;

/**
 * Which plan the edge answers numbers from, chosen as `hotline serve` chooses it: `--rules DIR`
 * always wins; otherwise, with Redis, the latest published rules version when it loads here (and
 * each version published later, as the engines reload it), else the rules folder. The folder is
 * compiled at start, before any INVITE; a published version is compiled in a worker thread
 * (version-compiler.ts), which hands back only its numbers, swapped in whole: an INVITE never
 * waits on a compile. Versions are taken in order, one at a time; one that does not load here
 * leaves the numbers as they were.
 */
export class PlanSource {
  /** The center the plan is for (names the Redis keys). */
  readonly centerId: string;
  private check: NumberCheck;
  private stopWatch: (() => Promise<void>) | undefined;
  /** The published version the numbers are from (0: the folder's). */
  private applied = 0;
  /** The versions being taken, in the order published. */
  private queue: Promise<void> = Promise.resolve();
  private closed = false;

  private constructor(
    folderNumbers: PlanNumbers,
    /** Where the numbers come from, for the log. */
    public from: string,
    private readonly versions?: RedisVersionStore,
    private readonly compiler?: VersionCompiler,
    private readonly rulesDir = '',
    private readonly logger?: Logger,
  ) {
    this.check = new NumberCheck(folderNumbers);
    this.centerId = folderNumbers.centerId;
  }

  get numbers(): NumberCheck {
    return this.check;
  }

  static async open(o: {
    rulesDir: string;
    folderWins: boolean;
    redis?: Redis;
    /** First part of the rules versions' keys (default `hotline`, as `hotline serve`). */
    keyPrefix?: string;
    logger: Logger;
  }): Promise<PlanSource> {
    const folder = planNumbers(loadPlan(o.rulesDir).plan);
    const fromFolder = `the rules folder ${o.rulesDir}`;
    if (o.folderWins || !o.redis) return new PlanSource(folder, fromFolder);
    const versions = new RedisVersionStore(o.redis, folder.centerId, o.keyPrefix);
    const compiler = new VersionCompiler(undefined, o.logger.child({ component: 'edge-rules' }));
    const source = new PlanSource(folder, fromFolder, versions, compiler, o.rulesDir, o.logger);
    try {
      let timer: NodeJS.Timeout | undefined;
      const latest = await Promise.race([
        versions.latestNumber().then((n) => (n > 0 ? versions.get(n) : undefined)),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('timeout')), VERSIONS_START_TIMEOUT_MS);
        }),
      ]).finally(() => clearTimeout(timer));
      if (latest) await source.take(latest, '; numbers from the rules folder');
    } catch (err) {
      o.logger.warn(
        { err: String(err) },
        'cannot read the published rules versions; numbers from the rules folder',
      );
    }
    try {
      source.stopWatch = await versions.watch((n) => source.enqueue(n));
      // A version published between the read above and the subscription.
      versions
        .latestNumber()
        .then((n) => source.enqueue(n))
        .catch(() => undefined);
    } catch (err) {
      o.logger.warn({ err: String(err) }, 'cannot watch the published rules versions');
    }
    return source;
  }

  /** Takes version `n` after those before it, if it is newer than the numbers' own. */
  private enqueue(n: number): void {
    this.queue = this.queue.then(async () => {
      if (this.closed || n <= this.applied) return;
      try {
        const v = await this.versions?.get(n);
        if (v) await this.take(v);
      } catch (err) {
        this.logger?.warn({ err: String(err) }, 'cannot read a published version');
      }
    });
  }

  private async take(v: RulesVersion, unused = ''): Promise<void> {
    if (!this.compiler || v.version <= this.applied) return;
    const result: VersionNumbers = await this.compiler.compile({
      files: v.files,
      bases: v.rulesDir ? [v.rulesDir, this.rulesDir] : [this.rulesDir],
      centerId: this.centerId,
    });
    if (this.closed) return;
    if (!result.ok) {
      this.logger?.warn(
        { version: v.version },
        `published rules version ${v.version} is not used: ${result.reason}${unused}`,
      );
      return;
    }
    this.check = new NumberCheck(result.numbers);
    this.applied = v.version;
    this.from = `published rules version ${v.version}`;
    this.logger?.info(
      { version: v.version, numbers: this.check.size },
      `numbers from published rules version ${v.version}`,
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.stopWatch?.();
    await this.compiler?.close();
  }
}
