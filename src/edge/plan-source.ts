import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { compileFiles } from '../admin/draft.ts';
import { RedisVersionStore } from '../admin/redis-versions.ts';
import type { RulesVersion } from '../admin/rules-versions.ts';
import type { RoutingPlan } from '../plan/compile.ts';
import { loadPlan } from '../plan/load.ts';
import { NumberCheck } from './number-check.ts';

/** Gives up reading the published versions at start after this: the folder is used. */
const VERSIONS_START_TIMEOUT_MS = 3_000;

/**
 * Which plan the edge answers numbers from, chosen as `hotline serve` chooses it: `--rules DIR`
 * always wins; otherwise, with Redis, the latest published rules version when it loads here (and
 * each version published later, as the engines reload it), else the rules folder. The numbers
 * are swapped whole once a version has compiled; an INVITE never waits on it (compiling takes
 * the event loop for some tens of ms, once per publish).
 */
export class PlanSource {
  private check: NumberCheck;
  private stopWatch: (() => Promise<void>) | undefined;

  private constructor(
    plan: RoutingPlan,
    /** Where the numbers come from, for the log. */
    public from: string,
    /** The center the plan is for (names the Redis keys). */
    readonly centerId: string = plan.center.id,
  ) {
    this.check = new NumberCheck(plan);
  }

  get numbers(): NumberCheck {
    return this.check;
  }

  static async open(o: {
    rulesDir: string;
    folderWins: boolean;
    redis?: Redis;
    logger: Logger;
  }): Promise<PlanSource> {
    const folder = loadPlan(o.rulesDir).plan;
    if (o.folderWins || !o.redis) return new PlanSource(folder, `the rules folder ${o.rulesDir}`);
    const centerId = folder.center.id;
    const versions = new RedisVersionStore(o.redis, centerId);
    const compile = (v: RulesVersion): RoutingPlan | string => {
      const compiled = compileFiles(v.files, v.rulesDir ? [v.rulesDir, o.rulesDir] : [o.rulesDir]);
      if (!compiled.ok) return `it does not load here (${compiled.problems.length} problems)`;
      if (compiled.plan.center.id !== centerId) return `it is for center "${compiled.plan.center.id}"`;
      return compiled.plan;
    };
    let source = new PlanSource(folder, `the rules folder ${o.rulesDir}`);
    try {
      let timer: NodeJS.Timeout | undefined;
      const latest = await Promise.race([
        versions.latestNumber().then((n) => (n > 0 ? versions.get(n) : undefined)),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('timeout')), VERSIONS_START_TIMEOUT_MS);
        }),
      ]).finally(() => clearTimeout(timer));
      if (latest) {
        const plan = compile(latest);
        if (typeof plan === 'string')
          o.logger.warn(
            { version: latest.version },
            `published rules version ${latest.version} is not used: ${plan}; numbers from the rules folder`,
          );
        else source = new PlanSource(plan, `published rules version ${latest.version}`);
      }
    } catch (err) {
      o.logger.warn(
        { err: String(err) },
        'cannot read the published rules versions; numbers from the rules folder',
      );
    }
    try {
      source.stopWatch = await versions.watch((n) => {
        versions
          .get(n)
          .then((v) => {
            if (!v) return;
            const plan = compile(v);
            if (typeof plan === 'string') {
              o.logger.warn({ version: n }, `published rules version ${n} is not used: ${plan}`);
              return;
            }
            source.check = new NumberCheck(plan);
            source.from = `published rules version ${n}`;
            o.logger.info(
              { version: n, numbers: plan.linesByNumber.size },
              `numbers from published rules version ${n}`,
            );
          })
          .catch((err: unknown) => o.logger.warn({ err: String(err) }, 'cannot read a published version'));
      });
    } catch (err) {
      o.logger.warn({ err: String(err) }, 'cannot watch the published rules versions');
    }
    return source;
  }

  async close(): Promise<void> {
    await this.stopWatch?.();
  }
}
