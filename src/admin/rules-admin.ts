import { resolve } from 'node:path';
import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import type { RoutingPlan } from '../plan/compile.ts';
import { type Explanation, explain } from '../plan/explain.ts';
import { displayPath, loadPlan } from '../plan/load.ts';
import { formatProblem, PlanQueryError, type RuleProblem, RulesInvalidError } from '../plan/problems.ts';
import { parseInstant } from '../plan/zoned-time.ts';
import {
  type CompiledDraft,
  compileFiles,
  type DraftFiles,
  DraftTooComplexError,
  readRulesFolder,
} from './draft.ts';
import { type DraftBudget, DraftPool } from './draft-pool.ts';
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
  /**
   * The rules folder: relative paths of drafts (`center.prompts`) resolve against it; it seeds
   * version 1 when the store is empty, and is served when the latest version does not load here.
   */
  rulesDir: string;
  /**
   * The folder was named explicitly (`hotline serve --rules DIR`): it wins over the published
   * versions, and is published as a new version when its files differ from the latest.
   */
  folderWins?: boolean;
  audit: AuditLog;
  clock: Clock;
  logger: Logger;
  /** What compiling one draft may cost (default `draftBudget`: 5 s, 256 MiB, one worker). */
  draftBudget?: DraftBudget;
  /** Folders a draft's prompt manifest may be in besides the rules folder and `ivr-prompts/`. */
  promptRoots?: readonly string[];
}

/** What `open` chose to serve, for the engine's first lines. */
export interface RulesStart {
  /** `serving rules version N published <time> by <author>` or `serving rules from DIR …` */
  line: string;
  /** Why the choice was not the obvious one (one line each, no trailing period). */
  warnings: string[];
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
  /** Drafts (and versions other engines publish) compile in workers, within a budget. */
  private readonly drafts: DraftPool;

  private constructor(
    private readonly o: RulesAdminOptions,
    version: RulesVersion,
    plan: RoutingPlan,
    /** What `open` chose and why. */
    readonly start: RulesStart,
    /** What the served rules warn about (a calendar without this year's holidays, a prompts path …). */
    readonly startWarnings: readonly RuleProblem[] = [],
  ) {
    this.liveVersion = version;
    this.livePlan = plan;
    this.drafts = new DraftPool(o.draftBudget, o.logger);
  }

  /**
   * Compiles files off the main thread; a draft exceeding a bound of its YAML is refused with
   * DraftTooComplexError naming it, as one exceeding the time or memory budget is.
   */
  private async compileDraft(files: DraftFiles, bases: readonly string[]): Promise<CompiledDraft> {
    const r = await this.drafts.compile({
      files,
      bases: bases.map((b) => resolve(b)),
      now: this.o.clock.now(),
      ...(this.o.promptRoots ? { promptRoots: this.o.promptRoots } : {}),
    });
    if (!r.ok && r.limit) {
      const first = r.problems.find((p) => 'limit' in p) ?? r.problems[0];
      const where = first
        ? `${first.file || 'a file'} ${first.message}`
        : `a file exceeds the ${r.limit} limit`;
      throw new DraftTooComplexError(r.limit, `the draft is refused: ${where}`, r.problems);
    }
    return r;
  }

  /**
   * Opens the store and chooses what to serve, by one rule:
   * - `folderWins` (the folder named with `--rules`): the folder is served; it is published as a
   *   new version unless its files are those of the latest version (which then stays live);
   * - otherwise the latest published version is served if it loads here (and is this folder's
   *   center); if the folder's files differ from it, a warning says how to serve the folder;
   * - an empty store is seeded with the folder as version 1; a latest version that does not load
   *   here is replaced by the folder, published as a new version, with a warning saying why.
   * Versions are published by `system`. Throws RulesInvalidError when the folder must be served
   * and does not load.
   */
  static async open(o: RulesAdminOptions): Promise<RulesAdmin> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await RulesAdmin.choose(o);
      } catch (err) {
        // Another engine published between our read and our write: choose again.
        if (!(err instanceof VersionConflictError) || attempt >= 3) throw err;
      }
    }
  }

  private static async choose(o: RulesAdminOptions): Promise<RulesAdmin> {
    const dir = resolve(o.rulesDir);
    const shown = displayPath(dir);
    const now = o.clock.now();
    const folder = loadFolder(dir, now, o);
    const latestNumber = await o.versions.latestNumber();
    const latest = latestNumber > 0 ? await o.versions.get(latestNumber) : undefined;
    const warnings: string[] = [];
    const ruleWarnings: RuleProblem[] = [];
    const publishFolder = async (files: DraftFiles, plan: RoutingPlan, message: string) => {
      const version = await o.versions.append(latestNumber, {
        author: 'system',
        at: new Date(now).toISOString(),
        message,
        rulesDir: dir,
        files,
      });
      return new RulesAdmin(
        o,
        version,
        plan,
        {
          line: `serving rules from ${shown}, published as version ${version.version}`,
          warnings,
        },
        ruleWarnings,
      );
    };

    if (!latest || o.folderWins) {
      if (!folder.ok) throw new RulesInvalidError([...folder.problems]);
      ruleWarnings.push(...folder.warnings);
      if (!latest) return publishFolder(folder.files, folder.plan, `seeded from ${shown}`);
      const same =
        sameFiles(latest.files, folder.files) && loadsHere(o, latest, folder.plan, now) === undefined;
      if (same) {
        return new RulesAdmin(
          o,
          latest,
          folder.plan,
          {
            line: `serving rules from ${shown}, the same as version ${latest.version} published ${latest.at} by ${latest.author}`,
            warnings,
          },
          ruleWarnings,
        );
      }
      return publishFolder(folder.files, folder.plan, `published from ${shown} by hotline serve --rules`);
    }

    const compiled = compileVersion(o, latest, now);
    const why = compiled.ok
      ? folder.ok && compiled.plan.center.id !== folder.plan.center.id
        ? `it is the plan of center "${compiled.plan.center.id}", the rules folder is "${folder.plan.center.id}"`
        : undefined
      : summarize(compiled.problems);
    if (compiled.ok && why === undefined) {
      ruleWarnings.push(...compiled.warnings);
      if (!folder.ok) {
        warnings.push(
          `the rules folder ${shown} does not load (${summarize(folder.problems)}); serving the latest published version`,
        );
      } else if (!sameFiles(latest.files, folder.files)) {
        const changed = changedFiles(latest.files, folder.files);
        warnings.push(
          `the rules folder ${shown} differs from version ${latest.version} (${changed.join(', ')}), ` +
            `which is served; to serve the folder, start with --rules ${shown}`,
        );
      }
      return new RulesAdmin(
        o,
        latest,
        compiled.plan,
        {
          line: `serving rules version ${latest.version} published ${latest.at} by ${latest.author}`,
          warnings,
        },
        ruleWarnings,
      );
    }
    if (!folder.ok) throw new RulesInvalidError([...folder.problems]);
    ruleWarnings.push(...folder.warnings);
    warnings.push(
      `the latest published rules version ${latest.version} does not load here (${why}); serving the rules folder ${shown} instead`,
    );
    return publishFolder(
      folder.files,
      folder.plan,
      `republished from ${shown}: version ${latest.version} does not load here (${why})`,
    );
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
    let compiled: CompiledDraft;
    try {
      compiled = await this.compileDraft(
        version.files,
        version.rulesDir ? [version.rulesDir, this.o.rulesDir] : [this.o.rulesDir],
      );
    } catch (err) {
      if (!(err instanceof DraftTooComplexError)) throw err;
      compiled = { ok: false, problems: [...err.problems] };
    }
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

  /** A draft compiled as validate does (off the main thread, within the draft budget): its plan or its problems. */
  compile(files: DraftFiles): Promise<CompiledDraft> {
    return this.compileDraft(files, [this.o.rulesDir]);
  }

  async validate(files: DraftFiles): Promise<{ problems: RuleProblem[]; warnings: RuleProblem[] }> {
    const r = await this.compileDraft(files, [this.o.rulesDir]);
    return r.ok ? { problems: [], warnings: r.warnings } : { problems: r.problems, warnings: [] };
  }

  /** The dry run of a call against a draft (when `files` is given) or the live plan. */
  async explain(query: ExplainRequest, files?: DraftFiles): Promise<Explanation> {
    let plan = this.livePlan;
    if (files) {
      const r = await this.compileDraft(files, [this.o.rulesDir]);
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
    options: { message?: string; baseVersion?: number; rollbackOf?: number; rulesDir?: string } = {},
  ): Promise<{ version: RulesVersion; diff: FileDiff[] }> {
    const run = this.chain.then(() => this.publishNow(files, author, options));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async publishNow(
    files: DraftFiles,
    author: string,
    options: { message?: string; baseVersion?: number; rollbackOf?: number; rulesDir?: string },
  ): Promise<{ version: RulesVersion; diff: FileDiff[] }> {
    // Relative paths resolve against the folder the files came from (a rollback: the earlier
    // version's), then this engine's own rules folder; the version records the first.
    const rulesDir = resolve(options.rulesDir ?? this.o.rulesDir);
    const compiled = await this.compileDraft(files, [rulesDir, this.o.rulesDir]);
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
      rulesDir,
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
    return this.publish(target.files, author, {
      ...options,
      rollbackOf: to,
      ...(target.rulesDir ? { rulesDir: target.rulesDir } : {}),
    });
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
    await this.drafts.close();
    await this.o.versions.close();
  }
}

/**
 * A published version compiled here, on the main thread (at start, before anything is served):
 * against the folder it was published from, then ours.
 */
function compileVersion(o: RulesAdminOptions, version: RulesVersion, now: number): CompiledDraft {
  const bases = version.rulesDir ? [version.rulesDir, o.rulesDir] : [o.rulesDir];
  return compileFiles(version.files, bases, now, o.promptRoots);
}

export { compileFiles };

/** Why a version does not load here (undefined: it does, and for the folder's center). */
function loadsHere(o: RulesAdminOptions, version: RulesVersion, folderPlan: RoutingPlan, now: number) {
  const compiled = compileVersion(o, version, now);
  if (!compiled.ok) return summarize(compiled.problems);
  if (compiled.plan.center.id !== folderPlan.center.id) return 'another center';
  return undefined;
}

type LoadedFolder =
  | { ok: true; files: DraftFiles; plan: RoutingPlan; warnings: readonly RuleProblem[] }
  | { ok: false; problems: readonly RuleProblem[] };

function loadFolder(dir: string, now: number, o: RulesAdminOptions): LoadedFolder {
  try {
    const { plan, warnings } = loadPlan(dir, {
      now,
      ...(o.promptRoots ? { promptRoots: o.promptRoots } : {}),
    });
    return { ok: true, files: readRulesFolder(dir), plan, warnings };
  } catch (err) {
    if (err instanceof RulesInvalidError) return { ok: false, problems: err.problems };
    throw err;
  }
}

/** The first problem and how many more, on one line. */
function summarize(problems: readonly RuleProblem[]): string {
  const [first] = problems;
  if (!first) return 'no problems';
  const more = problems.length - 1;
  return `${formatProblem(first)}${more > 0 ? ` and ${more} more problem${more > 1 ? 's' : ''}` : ''}`;
}

function changedFiles(a: DraftFiles, b: DraftFiles): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((n) => a[n] !== b[n]).sort();
}

function sameFiles(a: DraftFiles, b: DraftFiles): boolean {
  return changedFiles(a, b).length === 0;
}
