import { isAbsolute, join } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { type AppendLog, JsonlAppendLog, RedisAppendLog } from '../admin/append-log.ts';
import type { AccessEntry, AuditEntry } from '../admin/ledgers.ts';
import { RedisVersionStore } from '../admin/redis-versions.ts';
import { RulesAdmin } from '../admin/rules-admin.ts';
import { FileVersionStore, type VersionStore } from '../admin/rules-versions.ts';
import { issueToken, type TokenEntry, TokenSet, TokensFileError } from '../admin/tokens.ts';
import { buildApi } from '../api/server.ts';
import { type RosterEntry, rosterToAgents, startHotline } from '../app.ts';
import { systemClock } from '../clock.ts';
import { apps, ConfigError, readConfig } from '../config.ts';
import { createLogger } from '../log.ts';
import { loadPlan } from '../plan/load.ts';
import { formatProblem, RulesInvalidError } from '../plan/problems.ts';
import { loadRoster } from '../roster.ts';
import { type AriSimulator, startAriSimulator } from '../sim/index.ts';
import { demoRoster } from '../synthetic/demo-agents.ts';
import { Random } from '../synthetic/random.ts';
import { SyntheticTraffic } from '../synthetic/traffic.ts';
import type { CommandIO } from './io.ts';
import { projectRoot, rulesDir } from './paths.ts';

export const serveHelp = `hotline serve [--rules DIR] [--demo-rate CALLS_PER_MINUTE]
  Runs the engine and its HTTP API (HTTP_HOST:HTTP_PORT, default 127.0.0.1:8080).
  With ARI_URL, ARI_USER, ARI_PASSWORD (and ARI_APP) it drives a real Asterisk; without them
  it starts the built-in ARI simulator with demo agents and a stream of synthetic callers,
  so calls flow with no external service, and makes demo tokens (admin, supervisor, agent) and
  prints the web pages' addresses with them. REDIS_URL shares agents and queues, rules versions,
  the access ledger and the audit log between engines; without it the ACD state is in memory and
  the rest is kept under var/. HOTLINE_TOKENS names the tokens file (see \`hotline token\`).`;

const DEMO_AGENT = 'demo-agent';

/** A start-up failure worth one line: printed as is, exit code 1 (2 for the configuration). */
class StartupError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** How long a step of the start-up may wait on Redis before the start is abandoned. */
const REDIS_START_TIMEOUT_MS = 15_000;
/** After a failed start, the process exits within this even if a socket or timer lingers. */
const EXIT_GRACE_MS = 3_000;

export async function serveCommand(args: string[], io: CommandIO): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { rules: { type: 'string' }, 'demo-rate': { type: 'string' } },
    strict: true,
  });
  let config: ReturnType<typeof readConfig>;
  try {
    config = readConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      io.err(`configuration: ${err.message}`);
      return 2;
    }
    throw err;
  }
  const logger = createLogger({ level: config.LOG_LEVEL });
  // What has been started so far, stopped in reverse order when the start fails.
  const started: (() => Promise<unknown>)[] = [];
  let running: Running;
  try {
    running = await start(values, config, logger, io, started);
  } catch (err) {
    for (const stop of started.reverse()) await stop().catch(() => undefined);
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
  const { hotline, api, rules, sim, redis, plan, roster, rnd, demoTokens } = running;

__START_BODY__
  const timers: NodeJS.Timeout[] = [];
  if (sim) {
    const traffic = new SyntheticTraffic({
      plan,
      sim,
      engine: hotline.engine,
      store: hotline.store,
      clock: systemClock,
      rnd,
      apps: apps(config),
      roster: roster.filter((r) => r.id !== DEMO_AGENT),
    });
    await traffic.staff();
    sim.setEndpoint(`PJSIP/${DEMO_AGENT}`, { behaviour: 'answer', answerAfterMs: 1500, online: true });
    const base = `http://${config.HTTP_HOST === '0.0.0.0' ? '127.0.0.1' : config.HTTP_HOST}:${config.HTTP_PORT}`;
    const page = (path: string, role: string) =>
      `${base}${path}#token=${demoTokens.find((t) => t.role === role)?.token ?? ''}`;
    if (demoTokens.length > 0) {
      io.out(
        [
          'demo tokens for this run (not kept anywhere):',
          `  wallboard (supervisor): ${page('/web/wallboard.html', 'supervisor')}`,
          `  agent toolbar (${DEMO_AGENT}): ${page('/web/agent.html', 'agent')}`,
          `  rules (admin):          ${page('/web/rules.html', 'admin')}`,
          `  API reference:          ${page('/docs', 'admin')}`,
        ].join('\n'),
      );
    }
    const perMinute = Number(values['demo-rate'] ?? 6);
    const place = () => {
      traffic.placeCall();
      timers[0] = setTimeout(place, rnd.exponential(60_000 / Math.max(0.1, perMinute)));
    };
    place();
  }
  timers.push(
    setInterval(() => {
      const live = hotline.engine.liveCalls();
      logger.info(
        {
          live: live.length,
          ivr: live.filter((c) => c.stage === 'ivr').length,
          waiting: live.filter((c) => c.stage === 'queued').length,
          talking: live.filter((c) => c.stage === 'talking' || c.stage === 'transferred').length,
          ended: hotline.engine.stats.ended,
          records: hotline.engine.stats.recordsWritten,
        },
        'calls',
      );
    }, 10_000),
  );

  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  logger.info('shutting down');
  for (const t of timers) clearTimeout(t);
  await api.close();
  await rules.close();
  await hotline.close();
  await sim?.stop();
  await redis?.quit().catch(() => redis.disconnect());
  return 0;
}
