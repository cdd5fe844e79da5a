import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import type { RoutingPlan } from '../plan/compile.ts';
import { type Explanation, explain } from '../plan/explain.ts';
import { PlanQueryError, type RuleProblem, RulesInvalidError } from '../plan/problems.ts';
import { parseInstant } from '../plan/zoned-time.ts';
import { compileDraft, type DraftFiles, readRulesFolder } from './draft.ts';
import type { AuditLog } from './ledgers.ts';
import { diffFiles, type FileDiff } from './line-diff.ts';
import {
  NoSuchVersionError,
  type RulesVersion,
  VersionConflictError,
  type VersionStore,
} from './rules-versions.ts';

export interface RulesAdminOptions {
  versions: VersionStore;
  /** The rules folder: drafts compile beside it; it seeds version 1 when the store is empty. */
  rulesDir: string;
  audit: AuditLog;
  clock: Clock;
  logger: Logger;
}

export interface ExplainRequest {
  number: string;
  at?: string;
  digits?: string;
  caller?: string;
}

/** A version as listed: who, when, and the line diff against the version before it. */
export interface VersionSummary {
  version: number;
  author: string;
  at: string;
  message?: string;
  rollbackOf?: number;
  diff: FileDiff[];
}

/**
 * Rules administration: the live version, drafts (validate, explain), publishing a draft as the
 * next numbered version, rollback, and keeping this engine on the latest version other engines
 * publish. Publishing swaps the plan new calls start on (`apply`, i.e. `hotline.setPlan`); calls
 * in progress finish on the plan they started with.
 */
export class RulesAdmin {
  private liveVersion: RulesVersion;
  private livePlan: RoutingPlan;
  private apply: ((plan: RoutingPlan) => Promise<void>) | undefined;
  private stopWatch: (() => Promise<void>) | undefined;
  /** Publications of this process run one at a time. */
  private chain: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly o: RulesAdminOptions,
    version: RulesVersion,
    plan: RoutingPlan,
  ) {
    this.liveVersion = version;
    this.livePlan = plan;
  }

  /**
   * Opens the store: the latest version is the live plan; an empty store is seeded with the rules
   * folder as version 1 (author `system`). Throws RulesInvalidError if that version does not load.
   */
  static async open(o: RulesAdminOptions): Promise<RulesAdmin> {
    let latest = await o.versions.latestNumber();
    let version = latest > 0 ? await o.versions.get(latest) : undefined;
    if (!version) {
      const files = readRulesFolder(o.rulesDir);
      const seeded = compileDraft(o.rulesDir, files, o.clock.now());
      if (!seeded.ok) throw new RulesInvalidError(seeded.problems);
      try {
        version = await o.versions.append(0, {
          author: 'system',
          at: new Date(o.clock.now()).toISOString(),
          message: `seeded from ${o.rulesDir}`,
          files,
        });
      } catch (err) {
        if (!(err instanceof VersionConflictError)) throw err;
        // Another engine seeded first.
        latest = await o.versions.latestNumber();
        version = await o.versions.get(latest);
        if (!version) throw new NoSuchVersionError(latest);
      }
    }
    const compiled = compileDraft(o.rulesDir, version.files, o.clock.now());
    if (!compiled.ok) throw new RulesInvalidError(compiled.problems);
    return new RulesAdmin(o, version, compiled.plan);
  }

  get version(): RulesVersion {
    return this.liveVersion;
  }

  get plan(): RoutingPlan {
    return this.livePlan;
  }

  /** Connects the engine: publications go to `apply`, and versions other engines publish too. */
  async attach(apply: (plan: RoutingPlan) => Promise<void>): Promise<void> {
    this.apply = apply;
    this.stopWatch = await this.o.versions.watch((n) => {
      this.chain = this.chain.then(() => this.follow(n)).catch(() => undefined);
    });
  }

  private async follow(n: number): Promise<void> {
    if (n <= this.liveVersion.version) return;
    const version = await this.o.versions.get(n);
    if (!version) return;
    const compiled = compileDraft(this.o.rulesDir, version.files, this.o.clock.now());
    if (!compiled.ok) {
      this.o.logger.error(
        { version: n, problems: compiled.problems.length },
        'a rules version published elsewhere does not load here; staying on the current one',
      );
      return;
    }
    await this.goLive(version, compiled.plan);
    this.o.logger.info({ version: n, author: version.author }, 'rules version published elsewhere is live');
  }

  private async goLive(version: RulesVersion, plan: RoutingPlan): Promise<void> {
    await this.apply?.(plan);
    this.liveVersion = version;
    this.livePlan = plan;
  }

  validate(files: DraftFiles): { problems: RuleProblem[]; warnings: RuleProblem[] } {
    const r = compileDraft(this.o.rulesDir, files, this.o.clock.now());
    return r.ok ? { problems: [], warnings: r.warnings } : { problems: r.problems, warnings: [] };
  }

  /** The dry run of a call against a draft (when `files` is given) or the live plan. */
  explain(query: ExplainRequest, files?: DraftFiles): Explanation {
    let plan = this.livePlan;
    if (files) {
      const r = compileDraft(this.o.rulesDir, files, this.o.clock.now());
      if (!r.ok) throw new RulesInvalidError(r.problems);
      plan = r.plan;
    }
    const atMs = query.at === undefined ? this.o.clock.now() : parseInstant(query.at, plan.center.timezone);
    if (atMs === undefined) {
      throw new PlanQueryError('at', `"${query.at}" is not an ISO 8601 date or date-time`);
    }
    return explain(plan, {
      number: query.number,
      atMs,
      ...(query.digits !== undefined ? { digits: query.digits } : {}),
      ...(query.caller !== undefined ? { caller: query.caller } : {}),
    });
  }

  /**
   * Publishes a draft as the next version. Nothing changes when it has problems (RulesInvalidError)
   * or when `baseVersion` is given and someone published since (VersionConflictError).
   */
  publish(
    files: DraftFiles,
    author: string,
    options: { message?: string; baseVersion?: number; rollbackOf?: number } = {},
  ): Promise<{ version: RulesVersion; diff: FileDiff[] }> {
    const run = this.chain.then(() => this.publishNow(files, author, options));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async publishNow(
    files: DraftFiles,
    author: string,
    options: { message?: string; baseVersion?: number; rollbackOf?: number },
  ): Promise<{ version: RulesVersion; diff: FileDiff[] }> {
    const compiled = compileDraft(this.o.rulesDir, files, this.o.clock.now());
    if (!compiled.ok) throw new RulesInvalidError(compiled.problems);
    const centerId = this.livePlan.center.id;
    if (compiled.plan.center.id !== centerId) {
      throw new RulesInvalidError([
        { file: '', path: 'center.id', message: `must stay "${centerId}" (this engine serves that center)` },
      ]);
    }
    // Catch up first if another engine published: the diff is against what is really live.
    await this.follow(await this.o.versions.latestNumber());
    const previous = this.liveVersion;
    const version = await this.o.versions.append(options.baseVersion ?? previous.version, {
      author,
      at: new Date(this.o.clock.now()).toISOString(),
      ...(options.message ? { message: options.message } : {}),
      ...(options.rollbackOf !== undefined ? { rollbackOf: options.rollbackOf } : {}),
      files,
    });
    await this.goLive(version, compiled.plan);
    const diff = diffFiles(previous.files, files);
    await this.o.audit.append({
      at: version.at,
      tokenId: author,
      action: options.rollbackOf !== undefined ? 'rollback' : 'publish',
      version: version.version,
      previous: previous.version,
      ...(options.rollbackOf !== undefined ? { rollbackOf: options.rollbackOf } : {}),
      ...(options.message ? { message: options.message } : {}),
      changes: diff
        .filter((d) => d.status !== 'unchanged')
        .map((d) => ({ file: d.file, status: d.status, added: d.added, removed: d.removed })),
    });
    this.o.logger.info({ version: version.version, author, previous: previous.version }, 'rules published');
    return { version, diff };
  }

  /** Publishes the files of an earlier version as a new version. */
  async rollback(
    to: number,
    author: string,
    options: { message?: string; baseVersion?: number } = {},
  ): Promise<{ version: RulesVersion; diff: FileDiff[] }> {
    const target = await this.o.versions.get(to);
    if (!target) throw new NoSuchVersionError(to);
    return this.publish(target.files, author, { ...options, rollbackOf: to });
  }

  async get(n: number): Promise<RulesVersion> {
    const v = await this.o.versions.get(n);
    if (!v) throw new NoSuchVersionError(n);
    return v;
  }

  /** Every version, newest first, each with its diff against the one before. */
  async history(): Promise<VersionSummary[]> {
    const all = await this.o.versions.list();
    return all
      .map((v, i) => ({
        version: v.version,
        author: v.author,
        at: v.at,
        ...(v.message ? { message: v.message } : {}),
        ...(v.rollbackOf !== undefined ? { rollbackOf: v.rollbackOf } : {}),
        diff: diffFiles(all[i - 1]?.files ?? {}, v.files),
      }))
      .reverse();
  }

  async close(): Promise<void> {
    await this.chain.catch(() => undefined);
    await this.stopWatch?.();
    await this.o.versions.close();
  }
}
