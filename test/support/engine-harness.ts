import { join } from 'node:path';
import { type Hotline, type RosterEntry, startHotline } from '../../src/app.ts';
import type { TicketingPort } from '../../src/calls/ticketing.ts';
import { ScaledClock } from '../../src/clock.ts';
import { createLogger, type Logger } from '../../src/log.ts';
import type { RoutingPlan } from '../../src/plan/compile.ts';
import { loadPlan } from '../../src/plan/load.ts';
import type { CallRecord, RecordSink } from '../../src/records/record.ts';
import { type AriSimulator, startAriSimulator } from '../../src/sim/index.ts';

export const root = join(import.meta.dirname, '../..');
export const plans = {
  sichuan: () => loadPlan(join(root, 'routing-rules')).plan,
  puyang: () => loadPlan(join(root, 'routing-rules/examples/puyang')).plan,
  jilin: () => loadPlan(join(root, 'routing-rules/examples/jilin')).plan,
};

export class MemoryRecords implements RecordSink {
  readonly records: CallRecord[] = [];
  async write(record: CallRecord): Promise<void> {
    this.records.push(record);
  }
  async close(): Promise<void> {}
}

export interface Rig {
  sim: AriSimulator;
  hotline: Hotline;
  records: MemoryRecords;
  clock: ScaledClock;
  /** Waits (real time) until the predicate holds. */
  until(what: string, predicate: () => boolean | Promise<boolean>, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** The engine against the simulator through the real ari-client, virtual time `speed`× faster. */
export async function startRig(options: {
  plan?: RoutingPlan;
  roster?: RosterEntry[];
  speed?: number;
  promptMs?: number;
  apps?: string[];
  redisUrl?: string;
  /** Virtual start time (ISO); default now. */
  at?: string;
  ticketing?: TicketingPort;
  /** Where the engine logs (default: nowhere). */
  logger?: Logger;
}): Promise<Rig> {
  const clock = new ScaledClock(options.speed ?? 20, options.at ? Date.parse(options.at) : Date.now());
  const logger = options.logger ?? createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const sim = await startAriSimulator({ clock, defaultPlaybackMs: options.promptMs ?? 2000, logger });
  const records = new MemoryRecords();
  const hotline = await startHotline({
    plan: options.plan ?? plans.sichuan(),
    ari: {
      url: sim.url,
      user: 'hotline',
      password: 'hotline',
      apps: options.apps ?? ['hotline'],
      maxConnections: 16,
    },
    ...(options.redisUrl
      ? { redisUrl: options.redisUrl, redisKeyPrefix: `hotline-test-${process.pid}-${Date.now()}` }
      : {}),
    roster: options.roster ?? [],
    records,
    engineId: 'engine-test',
    ...(options.ticketing ? { ticketing: options.ticketing } : {}),
    env: {},
    clock,
    logger,
  });
  const until = async (what: string, predicate: () => boolean | Promise<boolean>, timeoutMs = 8000) => {
    const start = Date.now();
    while (!(await predicate())) {
      if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  return {
    sim,
    hotline,
    records,
    clock,
    until,
    async close() {
      await hotline.close();
      await sim.stop();
    },
  };
}

/** Logs agents in and makes them ready, their softphones answering after `answerAfterMs`. */
export async function readyAgents(
  rig: Rig,
  agents: {
    id: string;
    endpoint: string;
    answerAfterMs?: number;
    hangupAfterMs?: number;
    behaviour?: 'answer' | 'busy' | 'no-answer' | 'unreachable';
  }[],
): Promise<void> {
  for (const a of agents) {
    rig.sim.setEndpoint(a.endpoint, {
      behaviour: a.behaviour ?? 'answer',
      answerAfterMs: a.answerAfterMs ?? 1000,
      ...(a.hangupAfterMs !== undefined ? { hangupAfterMs: a.hangupAfterMs } : {}),
      online: true,
    });
    await rig.hotline.store.login(a.id, a.endpoint);
    await rig.hotline.store.setDeviceAvailable(a.id, true);
    await rig.hotline.store.ready(a.id);
  }
}
