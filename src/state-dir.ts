import { accessSync, constants, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { type Config, type StateFile, statePath } from './config.ts';
import { HotlineError } from './errors.ts';
import { readRecordsConfig } from './records/sinks/config.ts';

/** A directory the engine will write in, and the variable that chose it. */
export interface StateDir {
  /** Absolute. */
  dir: string;
  variable: StateFile | 'HOTLINE_STATE_DIR';
}

/** The engine cannot write where its settings say it keeps its state. */
export class StateDirError extends HotlineError {
  constructor(message: string, cause?: unknown) {
    super('state-dir-unwritable', message, { cause });
  }
}

/**
 * The directories `hotline serve` will write in, with these settings: without Redis the rules
 * versions, the access ledger and the audit log; the call records file when no webhook or stream
 * is configured, else the file outbox when the outbox is not in Redis. Relative paths are taken
 * from the working directory. A path left to its default is reported as HOTLINE_STATE_DIR's.
 */
export function stateDirsInUse(config: Config, env: NodeJS.ProcessEnv = process.env): StateDir[] {
  const used: { name: StateFile; isDir: boolean }[] = [];
  if (!config.REDIS_URL)
    used.push(
      { name: 'HOTLINE_RULES_VERSIONS', isDir: true },
      { name: 'HOTLINE_ACCESS_LEDGER', isDir: false },
      { name: 'HOTLINE_AUDIT_LOG', isDir: false },
    );
  let records: ReturnType<typeof readRecordsConfig> | undefined;
  try {
    records = readRecordsConfig(env);
  } catch {
    // Reported by the records sink at start-up, with every problem.
  }
  if (records && !records.webhook && !records.stream) used.push({ name: 'HOTLINE_RECORDS', isDir: false });
  else if (records?.outbox.kind === 'file') used.push({ name: 'RECORDS_OUTBOX_DIR', isDir: true });

  const out: StateDir[] = [];
  const stateDir = resolve(env.HOTLINE_STATE_DIR || 'var');
  for (const { name, isDir } of used) {
    const path = resolve(statePath(env, name));
    const { dir, variable } = env[name]
      ? { dir: isDir ? path : dirname(path), variable: name }
      : { dir: stateDir, variable: 'HOTLINE_STATE_DIR' as const };
    if (!out.some((d) => d.dir === dir)) out.push({ dir, variable });
  }
  return out;
}

/** Creates each directory if needed and checks it can be written; throws one line naming it and its variable. */
export function ensureStateDirs(dirs: readonly StateDir[]): void {
  for (const { dir, variable } of dirs) {
    try {
      mkdirSync(dir, { recursive: true });
      accessSync(dir, constants.W_OK);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      const what = variable === 'HOTLINE_STATE_DIR' ? 'the state directory' : `the directory of ${variable}`;
      throw new StateDirError(
        `hotline serve cannot write to ${what} ${dir} (${code}): make it writable by the engine's user, or set ${variable} to a directory it can write`,
        err,
      );
    }
  }
}
