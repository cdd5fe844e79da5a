import { isAbsolute, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { admissionOptions } from '../admission/config.ts';
import type { ApiLimits } from '../api/server.ts';
import { type ServedHotline, type ServeSettings, StartupError, serveHotline } from '../app.ts';
import { amiConfig, amiNodes, apps, ariNodes, type Config, ConfigError, readConfig } from '../config.ts';
import { createLogger } from '../log.ts';
import { formatProblem, RulesInvalidError } from '../plan/problems.ts';
import { ensureStateDirs, StateDirError, stateDirsInUse } from '../state-dir.ts';
import { type CommandIO, processIO, UsageError } from './io.ts';
import { projectRoot, rulesDir } from './paths.ts';
import { StopSignal } from './stop-signal.ts';

export const serveHelp = `hotline serve [--rules DIR] [--demo-rate CALLS_PER_MINUTE]
  Runs the engine and its HTTP API (HTTP_HOST:HTTP_PORT, default 127.0.0.1:8080).
  With ARI_URL, ARI_USER, ARI_PASSWORD (and ARI_APP) it drives a real Asterisk; without them
  it starts the built-in ARI simulator with demo agents and a stream of synthetic callers,
  so calls flow with no external service, and makes demo tokens (admin, supervisor, agent) and
  prints the web pages' addresses with them. REDIS_URL shares agents and queues, rules versions,
  the access ledger and the audit log between engines; without it the ACD state is in memory and
  the rest is kept in the state directory (HOTLINE_STATE_DIR, default var/ under the working
  directory; the engine exits at once, with one line, when it cannot write there). HOTLINE_TOKENS names the tokens file (see \`hotline token\`).
  Which rules: --rules DIR always wins (published as a new version when its files differ from
  the latest). Without it, the latest published version is served if it loads here, else the
  rules folder (HOTLINE_RULES, default routing-rules/), published as a new version, with a
  warning saying why; the first line says which ("serving rules version N published … by …" or
  "serving rules from DIR …"). A start-up error ends the process with one line and exit code 1.`;

/** After a failed start, the process exits within this even if a socket or timer lingers. */
const EXIT_GRACE_MS = 3_000;

const DemoRate = z.coerce.number().min(0).default(6);

function demoRate(flag: string | undefined): number {
  const parsed = DemoRate.safeParse(flag);
  if (!parsed.success) throw new UsageError('--demo-rate takes a number of calls per minute');
  return parsed.data;
}

/** The settings of `hotline serve` from its arguments and the (checked) environment. */
export function serveSettings(
  values: { rules?: string | undefined; 'demo-rate'?: string | undefined },
  config: Config,
): ServeSettings {
  const underRoot = (p: string) => (isAbsolute(p) ? p : join(projectRoot, p));
  const ami = amiConfig(config);
  const nodes = ariNodes(config);
  const amiByNode = amiNodes(config);
  const admission = admissionOptions(config);
  return {
    rulesDir: rulesDir(values.rules ?? config.HOTLINE_RULES),
    folderWins: values.rules !== undefined,
    ...(config.ARI_URL
      ? { ari: { url: config.ARI_URL, user: config.ARI_USER ?? '', password: config.ARI_PASSWORD ?? '' } }
      : {}),
    ...(nodes
      ? {
          ari: { url: nodes[0]!.url, user: config.ARI_USER ?? '', password: config.ARI_PASSWORD ?? '' },
          nodes,
          nodeLostMs: config.NODE_LOST_SECONDS * 1000,
          nodeAffinity: config.NODE_AFFINITY,
        }
      : {}),
    ...(amiByNode ? { amiNodes: amiByNode } : {}),
    apps: apps(config),
    ariMaxConnections: config.ARI_MAX_CONNECTIONS,
    ariIdleSocketMs: config.ARI_IDLE_SOCKET_MS,
    ...(ami ? { ami } : {}),
    endpointPollMs: config.ENDPOINT_POLL_SECONDS * 1000,
    reconcileEveryMs: config.RECONCILE_SECONDS * 1000,
    ...(admission ? { admission } : {}),
    ...(config.REDIS_URL ? { redisUrl: config.REDIS_URL } : {}),
    ...(config.HOTLINE_ROSTER ? { rosterFile: config.HOTLINE_ROSTER } : {}),
    ...(config.HOTLINE_TOKENS ? { tokensFile: underRoot(config.HOTLINE_TOKENS) } : {}),
    // What the engine writes: under the state directory, relative paths from the working directory.
    recordsPath: resolve(config.HOTLINE_RECORDS),
    rulesVersionsDir: resolve(config.HOTLINE_RULES_VERSIONS),
    accessLedgerPath: resolve(config.HOTLINE_ACCESS_LEDGER),
    auditLogPath: resolve(config.HOTLINE_AUDIT_LOG),
    rosterEditsPath: resolve(config.HOTLINE_STATE_DIR, 'roster-edits.json'),
    http: {
      host: config.HTTP_HOST,
      port: config.HTTP_PORT,
      trustedProxies: config.HTTP_TRUSTED_PROXIES,
      limits: httpLimits(config),
    },
    authFailuresPerMinute: config.AUTH_FAILURES_PER_MINUTE,
    engineId: config.ENGINE_ID,
    ...(config.ENGINE_TAKEOVER ? { takeover: config.ENGINE_TAKEOVER.split(',') } : {}),
    demoRate: demoRate(values['demo-rate']),
    ...(config.RECORDING === 'on'
      ? {
          recording: {
            retentionDays: config.RECORDING_RETENTION_DAYS,
            sweepEveryMs: config.RECORDING_SWEEP_MINUTES * 60_000,
          },
        }
      : {}),
  };
}

export async function serveCommand(args: string[], io: CommandIO): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { rules: { type: 'string' }, 'demo-rate': { type: 'string' } },
    strict: true,
  });
  let config: Config;
  try {
    config = readConfig();
    ensureStateDirs(stateDirsInUse(config));
  } catch (err) {
    if (err instanceof ConfigError) {
      io.err(`configuration: ${err.message}`);
      return 2;
    }
    if (err instanceof StateDirError) {
      io.err(err.message);
      return 1;
    }
    throw err;
  }
  const logger = createLogger({ level: config.LOG_LEVEL });
  // Ctrl-C or SIGTERM, even during the start-up: finish starting, then shut down cleanly.
  // (A second Ctrl-C ends the process at once.)
  const signal = new StopSignal();
  let served: ServedHotline;
  try {
    served = await serveHotline(serveSettings(values, config), logger, {
      ...io,
      stop: (code) => signal.request(code),
    });
  } catch (err) {
    signal.forget();
    let code = 1;
    if (err instanceof StartupError) {
      io.err(err.message);
      code = err.exitCode;
    } else if (err instanceof RulesInvalidError) {
      for (const p of err.problems) io.err(formatProblem(p));
    } else {
      logger.debug({ err }, 'start-up failed');
      io.err(`hotline serve could not start: ${(err as Error).message ?? String(err)}`);
    }
    // Nothing is left to serve: do not let a lingering socket or timer keep the process up.
    if (io === processIO) setTimeout(() => process.exit(code), EXIT_GRACE_MS).unref();
    return code;
  }
  const exitCode = await signal.requested();
  signal.forget();
  logger.info({ exitCode }, 'shutting down');
  await served.stop();
  return exitCode;
}

/** The API's caps the environment sets (the others keep their defaults). */
function httpLimits(config: Config): Partial<ApiLimits> {
  const set: [keyof ApiLimits, number | undefined][] = [
    ['maxConnections', config.HTTP_MAX_CONNECTIONS],
    ['maxConnectionsPerAddress', config.HTTP_MAX_CONNECTIONS_PER_ADDRESS],
    ['eventStreamsPerToken', config.HTTP_EVENT_STREAMS_PER_TOKEN],
    ['eventStreamsPerAddress', config.HTTP_EVENT_STREAMS_PER_ADDRESS],
    ['requestsPerTokenPerMinute', config.HTTP_REQUESTS_PER_TOKEN_PER_MINUTE],
    ['requestsPerAddressPerMinute', config.HTTP_REQUESTS_PER_ADDRESS_PER_MINUTE],
  ];
  return Object.fromEntries(set.filter(([, v]) => v !== undefined));
}
