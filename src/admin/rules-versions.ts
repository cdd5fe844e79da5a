import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HotlineError } from '../errors.ts';

/** One published version of the rules: the files as written, who published them and when. */
export interface RulesVersion {
  version: number;
  author: string;
  at: string;
  message?: string;
  /** Set when this version republished an earlier one. */
  rollbackOf?: number;
  /**
   * The absolute rules folder the version was published from: its relative paths
   * (`center.prompts`) resolve against it, so the version loads whatever folder an engine is
   * started with. Versions published before this field existed resolve against the engine's own.
   */
  rulesDir?: string;
  files: Record<string, string>;
}

export type NewVersion = Omit<RulesVersion, 'version'>;

/** Someone published in between: the version the change was based on is no longer the latest. */
export class VersionConflictError extends HotlineError {
  constructor(expected: number, actual: number) {
    super('version-conflict', `the live rules are version ${actual}, not ${expected}; reload and try again`);
  }
}

export class NoSuchVersionError extends HotlineError {
  constructor(version: number) {
    super('no-such-version', `there is no rules version ${version}`);
  }
}

/**
 * Where versions are kept: numbered 1, 2, 3 … with no gaps; `append` is atomic and only succeeds
 * when the latest version is still `expectedLatest` (0 for the first). Every engine process of a
 * center reads the same store; `watch` reports versions other processes publish.
 */
export interface VersionStore {
  latestNumber(): Promise<number>;
  get(version: number): Promise<RulesVersion | undefined>;
  list(): Promise<RulesVersion[]>;
  append(expectedLatest: number, v: NewVersion): Promise<RulesVersion>;
  /** Calls `listener` with each newly published version number; returns a stop function. */
  watch(listener: (version: number) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

const fileName = (n: number) => `${String(n).padStart(6, '0')}.json`;

/**
 * Versions as files `000001.json`, … in a folder (default `var/rules-versions/`). A version file is
 * created with O_EXCL, so two processes cannot both write version N; other processes of the same
 * host notice new files by polling.
 */
export class FileVersionStore implements VersionStore {
  constructor(
    private readonly dir: string,
    private readonly pollMs = 2_000,
  ) {}

  async latestNumber(): Promise<number> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw err;
    }
    return names.reduce((max, n) => {
      const m = /^(\d{6})\.json$/.exec(n);
      return m ? Math.max(max, Number(m[1])) : max;
    }, 0);
  }

  async get(version: number): Promise<RulesVersion | undefined> {
    try {
      return JSON.parse(await readFile(join(this.dir, fileName(version)), 'utf8')) as RulesVersion;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async list(): Promise<RulesVersion[]> {
    const latest = await this.latestNumber();
    const out: RulesVersion[] = [];
    for (let n = 1; n <= latest; n++) {
      const v = await this.get(n);
      if (v) out.push(v);
    }
    return out;
  }

  async append(expectedLatest: number, v: NewVersion): Promise<RulesVersion> {
    await mkdir(this.dir, { recursive: true });
    const latest = await this.latestNumber();
    if (latest !== expectedLatest) throw new VersionConflictError(expectedLatest, latest);
    const version: RulesVersion = { version: latest + 1, ...v };
    try {
      await writeFile(join(this.dir, fileName(version.version)), JSON.stringify(version, null, 1), {
        flag: 'wx',
        mode: 0o640,
      });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new VersionConflictError(expectedLatest, await this.latestNumber());
      }
      throw err;
    }
    return version;
  }

  async watch(listener: (version: number) => void): Promise<() => Promise<void>> {
    let seen = await this.latestNumber();
    const timer = setInterval(() => {
      this.latestNumber().then(
        (n) => {
          if (n > seen) {
            seen = n;
            listener(n);
          }
        },
        () => undefined,
      );
    }, this.pollMs);
    timer.unref();
    return async () => clearInterval(timer);
  }

  async close(): Promise<void> {}
}
