import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export const root = join(import.meta.dirname, '../..');

/** The environment a test's `hotline serve` runs in: everything under `dir`, no Redis, no Asterisk. */
export function serveEnv(dir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) {
    if (/^(ARI_|REDIS_URL|RECORDS_|HOTLINE_|HTTP_|TICKETING_|ENGINE_ID|ADMISSION)/.test(k)) delete env[k];
  }
  return {
    ...env,
    // Whatever else the engine writes (a file outbox) stays in `dir` too.
    HOTLINE_STATE_DIR: dir,
    HOTLINE_RULES_VERSIONS: join(dir, 'versions'),
    HOTLINE_AUDIT_LOG: join(dir, 'audit.jsonl'),
    HOTLINE_ACCESS_LEDGER: join(dir, 'access.jsonl'),
    HOTLINE_RECORDS: join(dir, 'records.jsonl'),
    HTTP_HOST: '127.0.0.1',
    HTTP_PORT: '0',
    LOG_LEVEL: 'warn',
    // These tests are not about overload: a busy test machine must not shed their calls to the
    // safety net (admission control has its own tests, which turn it on).
    ADMISSION: 'off',
    ...extra,
  };
}

export interface ServeProcess {
  child: ChildProcess;
  /** Every line so far, by stream. */
  out: string[];
  err: string[];
  /** Resolves with the first line (of either stream, so far or to come) matching; rejects if the process ends first. */
  line(pattern: RegExp): Promise<string>;
  /** Resolves with the exit code once the process has ended. */
  exited: Promise<number | null>;
  /** SIGINT, then the exit code. */
  stop(): Promise<number | null>;
}

/** Starts `hotline serve ARGS` as a child process, its output read line by line. */
export function startServe(args: string[], env: NodeJS.ProcessEnv): ServeProcess {
  const child = spawn(process.execPath, [join(root, 'bin/hotline.js'), 'serve', ...args], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out: string[] = [];
  const err: string[] = [];
  const waiters: { pattern: RegExp; resolve: (l: string) => void; reject: (e: Error) => void }[] = [];
  let ended = false;
  const onLine = (into: string[]) => (l: string) => {
    into.push(l);
    for (const w of [...waiters]) {
      if (w.pattern.test(l)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(l);
      }
    }
  };
  const outDone = new Promise<void>((r) =>
    createInterface({ input: child.stdout! }).on('line', onLine(out)).on('close', r),
  );
  const errDone = new Promise<void>((r) =>
    createInterface({ input: child.stderr! }).on('line', onLine(err)).on('close', r),
  );
  const exited = new Promise<number | null>((resolve) => {
    child.on('exit', (code) => {
      Promise.all([outDone, errDone]).then(() => {
        ended = true;
        for (const w of waiters.splice(0)) {
          w.reject(
            new Error(
              `hotline serve ended (code ${code}) before a line matched ${w.pattern}:\n${[...out, ...err].join('\n')}`,
            ),
          );
        }
        resolve(code);
      });
    });
  });
  return {
    child,
    out,
    err,
    exited,
    line(pattern) {
      const seen = [...out, ...err].find((l) => pattern.test(l));
      if (seen !== undefined) return Promise.resolve(seen);
      if (ended) return Promise.reject(new Error(`hotline serve ended before a line matched ${pattern}`));
      return new Promise((resolve, reject) => waiters.push({ pattern, resolve, reject }));
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
      return exited;
    },
  };
}
