import type { Clock } from '../clock.ts';
import { systemClock } from '../clock.ts';
import { createLogger, type Logger } from '../log.ts';
import { SimAmiServer } from './ami-server.ts';
import { AriSimulator } from './control.ts';
import { controlHttp } from './control-http.ts';
import { SimCore } from './core.ts';
import { Faults } from './faults.ts';
import { applicationHandlers } from './rest/applications.ts';
import { bridgeHandlers } from './rest/bridges.ts';
import { channelHandlers } from './rest/channels.ts';
import { miscHandlers } from './rest/misc.ts';
import { recordingHandlers } from './rest/recordings.ts';
import { Router } from './rest/router.ts';
import { parseInput, simulatorOptionsSchema } from './schemas.ts';
import { SimServer } from './server.ts';

/**
 * The ARI simulator: an HTTP + WebSocket server that the unmodified `ari-client` connects to as
 * if it were Asterisk 22, with scripted callers and endpoints and a control API for tests.
 */
export interface AriSimulatorOptions {
  host?: string;
  port?: number;
  users?: Record<string, string>;
  /** Every simulated duration is multiplied by this (0.01: a 30 s prompt takes 300 ms). */
  timeScale?: number;
  clock?: Clock;
  /** Media URI → simulated ms. */
  promptDurations?: Record<string, number>;
  defaultPlaybackMs?: number;
  asteriskId?: string;
  /** Asterisk's `systemname` (unique ids `<name>-<epoch>.<seq>`), as each node of several sets it. */
  systemName?: string;
  logger?: Logger;
  /** Where calls the dialplan's safety net takes leave their notes (like `[hotline-fallback]`'s `h`). */
  safetyNetSpool?: string;
  /** Also serve AMI (Login, PJSIPShowEndpoints/Contacts, ContactStatus events) on a free port. */
  ami?: boolean;
}

export async function startAriSimulator(options: AriSimulatorOptions = {}): Promise<AriSimulator> {
  const { clock = systemClock, logger, ami, ...rest } = options;
  const opts = parseInput(simulatorOptionsSchema, rest);
  const log = (logger ?? createLogger({ level: process.env.LOG_LEVEL ?? 'warn' })).child({
    component: 'ari-sim',
  });
  const core = new SimCore({
    clock,
    timeScale: opts.timeScale,
    asteriskId: opts.asteriskId,
    systemName: opts.systemName,
    promptDurations: opts.promptDurations,
    defaultPlaybackMs: opts.defaultPlaybackMs,
    safetyNetSpool: opts.safetyNetSpool,
    logger: log,
  });
  const router = new Router({
    ...channelHandlers(core),
    ...bridgeHandlers(core),
    ...applicationHandlers(core),
    ...miscHandlers(core, clock.now()),
    ...recordingHandlers(core),
  });
  const faults = new Faults(() => clock.now());
  let control: ReturnType<typeof controlHttp> | undefined;
  const server = new SimServer(core, router, opts.users, faults, (method, path, query, body) => {
    if (!control) throw new Error('simulator not started');
    return control(method, path, query, body);
  });
  const port = await server.listen(opts.host, opts.port);
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  const sim = new AriSimulator(`http://${host}:${port}`, core, server, faults);
  control = controlHttp(sim);
  if (ami) {
    const server = new SimAmiServer(core, { host: opts.host, users: opts.users });
    const amiPort = await server.listen();
    const [user, secret] = Object.entries(opts.users)[0] ?? ['hotline', 'hotline'];
    sim.ami = { host: opts.host, port: amiPort, user, secret };
    sim.amiServer = server;
  }
  log.info({ url: sim.url, timeScale: opts.timeScale }, 'ARI simulator listening');
  return sim;
}

export type {
  CallerStep,
  CallOutcome,
  EndpointSettings,
  InjectCallParams,
  InjectedCall,
  RestFailure,
  SimChannelInfo,
  SimStats,
} from './control.ts';
export { AriSimulator } from './control.ts';
