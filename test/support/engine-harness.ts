/**
 * The engine against the ARI simulator, in virtual time that cannot race.
 *
 * `startRig()` runs the engine (real ari-client, real REST and WebSocket) against the simulator
 * on a `SteppedClock`: time only moves when the test drives it, and only once the system is
 * quiescent, so a slow or busy machine makes a test take longer, never behave differently.
 *
 *   rig.runUntil(what, predicate, { maxVirtualMs })  settle; while the predicate is false, fire
 *                                                    the next due timer and settle again
 *   rig.advance(ms)                                  settle, fire every timer due within `ms`
 *                                                    (settling after each), then move to now+ms
 *   rig.settle(what)                                 wait for quiescence without moving time
 *   rig.until(what, predicate)                       = runUntil (kept for older callers; a
 *                                                    number as third argument is ignored)
 *
 * Quiescent means: no ARI REST request in flight; every frame the simulator sent on an event
 * WebSocket read by the engine, and both ends agree which WebSockets are open; no reconnection
 * under way that does not wait for a timer (while the simulator refuses connections, time moves
 * on); no dispatcher round or upkeep pending; no ticket lookup in flight; with Redis, no command
 * awaiting its reply and the change feed caught up. Each check needs two event-loop turns in a
 * row to agree. Timers fire one at a time, earliest first.
 *
 * Real time only bounds a hung test (`realTimeoutMs`, default 60 s); the error names what was
 * awaited and what was still busy. `maxVirtualMs` (default one virtual hour) bounds virtual time:
 * past it the error says the awaited condition did not come about in that time.
 *
 * Compatible path: `startRig({ speed })` keeps the old real-time `ScaledClock` rig (virtual time
 * `speed`× the wall clock, `until` polling the wall clock). It races under load; it is only for
 * tests that cannot drive time themselves (a browser polling pages). `advance` refuses there.
 */

import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { AdmissionOptions } from '../../src/admission/config.ts';
import { openRedisConnections, startHotline } from '../../src/app.ts';
import type { TicketingPort } from '../../src/calls/runtime/ticketing.ts';
import { type Clock, ScaledClock, SteppedClock, type TimerHandle } from '../../src/clock.ts';
import type { Hotline } from '../../src/hotline.ts';
import { createLogger, type Logger } from '../../src/log.ts';
import type { RoutingPlan } from '../../src/plan/compile.ts';
import { loadPlan } from '../../src/plan/load.ts';
import type { RecordingSettings } from '../../src/recordings/recordings.ts';
import type { CallRecord, RecordSink } from '../../src/records/record.ts';
import type { RosterEntry } from '../../src/roster.ts';
import { type AriSimulator, startAriSimulator } from '../../src/sim/index.ts';
import { puyangWithMenu } from './puyang-menu.ts';

export const root = join(import.meta.dirname, '../..');
export const plans = {
  sichuan: () => loadPlan(join(root, 'routing-rules')).plan,
  puyang: () => loadPlan(join(root, 'routing-rules/examples/puyang')).plan,
  /** Puyang with its optional first-level 12345 menu switched on (off in the shipped plan). */
  puyangWithMenu,
  jilin: () => loadPlan(join(root, 'routing-rules/examples/jilin')).plan,
};

/** A roster entry of the general pool, on its own phone: a1001's is PJSIP/agent1001. */
export const generalAgent = (id: string): RosterEntry => ({
  id,
  name: id,
  endpoint: `PJSIP/agent${id.slice(1)}`,
  pools: ['general'],
  skills: { general: 5 },
});

export class MemoryRecords implements RecordSink {
  readonly records: CallRecord[] = [];
  async write(record: CallRecord): Promise<void> {
    this.records.push(record);
  }
  async close(): Promise<void> {}
}

export interface DriveOptions {
  /** Fail once virtual time has moved this far without the predicate holding (default 1 h). */
  maxVirtualMs?: number;
  /** Safety net for a hung test, in real ms (default 60 s). */
  realTimeoutMs?: number;
  /**
   * Do not wait for Redis (nor the dispatcher, which waits on it): for a Redis that is frozen on
   * purpose, while time should still pass for the calls.
   */
  ignoreRedis?: boolean;
}

/** What the driver watches: the simulator and the engines running against it now. */
export interface World {
  sim: AriSimulator;
  engines: () => Hotline[];
  /** Ticket lookups in flight (see `countingTicketing`). */
  lookups?: () => number;
}

const DEFAULT_MAX_VIRTUAL_MS = 3_600_000;
const DEFAULT_REAL_TIMEOUT_MS = 60_000;

/** Drives a `SteppedClock` in discrete-event fashion over a world of simulator and engines. */
export class VirtualTime {
  constructor(
    readonly clock: SteppedClock,
    private readonly world: World,
  ) {
    watchRedis();
  }

  /** Why the system is not quiescent now, or undefined when it is. */
  busy(options: DriveOptions = {}): string | undefined {
    const engines = this.world.engines();
    const wire = this.world.sim.eventWire();
    let open = 0;
    let read = 0;
    for (const h of engines) {
      if (h.telephony.restInFlight > 0) return `${h.telephony.restInFlight} ARI request(s) in flight`;
      const w = h.telephony.eventWire;
      if (w.open) {
        open += 'sockets' in w ? w.sockets : 1;
        read += w.framesRead;
      } else if (w.reconnecting && !wire.refusing) return 'the engine reconnecting its event WebSocket';
    }
    if (open !== wire.sockets)
      return `event WebSockets opening or closing (simulator ${wire.sockets}, engines ${open})`;
    if (read !== wire.framesSent)
      return `${wire.framesSent - read} event frame(s) not yet read by the engine`;
    const lookups = this.world.lookups?.() ?? 0;
    if (lookups > 0) return `${lookups} ticket lookup(s) in flight`;
    if (!options.ignoreRedis) {
      if (redisInFlight > 0) return `${redisInFlight} Redis command(s) awaiting a reply`;
      for (const h of engines) if (!h.dispatcher.idle) return 'a dispatcher round or upkeep under way';
      for (const h of engines)
        if (h.recovery && !h.recovery.idle) return 'the agent mirror reading or checking';
    }
    return undefined;
  }

  /** Waits (real time) until the system is quiescent; time does not move. */
  async settle(
    what = 'quiescence',
    options: DriveOptions = {},
    deadline = realDeadline(options),
  ): Promise<void> {
    let calm = 0;
    let barrierDone = false;
    while (calm < 2) {
      const reason = this.busy(options);
      if (reason === undefined) {
        calm++;
        if (calm === 2 && !barrierDone && !options.ignoreRedis) {
          // Changes published by Redis scripts reach the subscriber on its own connection: a
          // PING there is answered after every message published before it.
          barrierDone = true;
          const subscribers = this.world
            .engines()
            .map((h) => (h.store as unknown as { subscriber?: Redis }).subscriber)
            .filter((s): s is Redis => s !== undefined && s.status === 'ready');
          if (subscribers.length > 0) {
            await Promise.all(subscribers.map((s) => s.ping().catch(() => undefined)));
            calm = 0;
            continue;
          }
        }
        await new Promise<void>((r) => setImmediate(r));
      } else {
        calm = 0;
        barrierDone = false;
        if (Date.now() > deadline)
          throw new Error(`timed out (real time) waiting for ${what}: still busy with ${reason}`);
        await new Promise<void>((r) => setTimeout(r, 1));
      }
    }
  }

  /**
   * Settles; while `predicate` is false, fires the next due timer and settles again. Fails when
   * virtual time would pass `maxVirtualMs` from now, or real time `realTimeoutMs`.
   */
  async runUntil(
    what: string,
    predicate: () => boolean | Promise<boolean>,
    options: DriveOptions = {},
  ): Promise<void> {
    const deadline = realDeadline(options);
    const startedAt = this.clock.now();
    const limit = startedAt + (options.maxVirtualMs ?? DEFAULT_MAX_VIRTUAL_MS);
    for (;;) {
      await this.settle(what, options, deadline);
      if (await predicate()) return;
      const due = this.clock.nextDue();
      if (due !== undefined && due <= limit) {
        this.clock.fireNext();
        continue;
      }
      if (due !== undefined || this.clock.now() < limit) {
        // Nothing due within the limit: let the limit itself pass, then look once more.
        if (this.clock.now() < limit) {
          this.clock.moveTo(limit);
          continue;
        }
        throw new Error(
          `${what}: did not happen within ${limit - startedAt} ms of virtual time ` +
            `(now ${new Date(this.clock.now()).toISOString()})`,
        );
      }
      throw new Error(`${what}: did not happen, and no timer is left to fire`);
    }
  }

  /** Settles, fires every timer due within `ms` in order (settling after each), then moves to now + `ms`. */
  async advance(ms: number, options: DriveOptions = {}): Promise<void> {
    const deadline = realDeadline(options);
    const target = this.clock.now() + ms;
    const what = `${ms} ms of virtual time to pass`;
    await this.settle(what, options, deadline);
    while (this.clock.fireNext(target)) await this.settle(what, options, deadline);
    this.clock.moveTo(target);
    await this.settle(what, options, deadline);
  }

  /** Runs `fn` after `ms` of virtual time (a caller's or agent's delayed action in a test). */
  after(ms: number, fn: () => void): void {
    this.clock.after(ms, fn);
  }
}

function realDeadline(options: DriveOptions): number {
  return Date.now() + (options.realTimeoutMs ?? DEFAULT_REAL_TIMEOUT_MS);
}

/** Redis commands sent (by any ioredis client in this process) and not yet answered. */
let redisInFlight = 0;
let redisWatched = false;

/** Counts every ioredis command from sending to its reply (once per command, resends included). */
function watchRedis(): void {
  if (redisWatched) return;
  redisWatched = true;
  const proto = Redis.prototype as unknown as {
    sendCommand(this: Redis, command: { promise: Promise<unknown> }, ...rest: unknown[]): unknown;
  };
  const send = proto.sendCommand;
  const seen = new WeakSet<object>();
  proto.sendCommand = function (command, ...rest) {
    if (command && typeof command === 'object' && command.promise && !seen.has(command)) {
      seen.add(command);
      redisInFlight++;
      const done = () => {
        redisInFlight--;
      };
      command.promise.then(done, done);
    }
    return send.call(this, command, ...rest);
  };
}

/** A ticketing port that counts its lookups in flight, so time waits for their answers. */
export function countingTicketing(inner: TicketingPort): TicketingPort & { inFlight: () => number } {
  let n = 0;
  return {
    inFlight: () => n,
    async lookup(ticketNumber: string) {
      n++;
      try {
        return await inner.lookup(ticketNumber);
      } finally {
        n--;
      }
    },
  };
}

export interface Rig {
  sim: AriSimulator;
  hotline: Hotline;
  records: MemoryRecords;
  clock: Clock;
  /** The virtual-time driver (undefined on the real-time `speed` rig). */
  time: VirtualTime | undefined;
  /** Drives time until the predicate holds (see the top of this file). */
  runUntil(what: string, predicate: () => boolean | Promise<boolean>, options?: DriveOptions): Promise<void>;
  /** Lets `ms` of virtual time pass, firing what falls due, each once the system is quiescent. */
  advance(ms: number, options?: DriveOptions): Promise<void>;
  /** Waits for quiescence without moving time. */
  settle(what?: string, options?: DriveOptions): Promise<void>;
  /** = runUntil; on the `speed` rig, polls the wall clock for `timeoutMs` (default 8 s). */
  until(what: string, predicate: () => boolean | Promise<boolean>, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export interface RigOptions {
  plan?: RoutingPlan;
  roster?: RosterEntry[];
  /** Compatible path: real-time `ScaledClock` at this speed instead of stepped virtual time. */
  speed?: number;
  promptMs?: number;
  apps?: string[];
  redisUrl?: string;
  /** Virtual start time (ISO); default now. */
  at?: string;
  ticketing?: TicketingPort;
  /** Where the engine logs (default: nowhere). */
  logger?: Logger;
  /** Admission control's settings (default: off). */
  admission?: AdmissionOptions;
  /** Call recording (default: off). */
  recording?: RecordingSettings;
}

/** The engine against the simulator through the real ari-client, in stepped virtual time. */
export async function startRig(options: RigOptions): Promise<Rig> {
  const start = options.at ? Date.parse(options.at) : Date.now();
  const stepped = options.speed === undefined ? new SteppedClock(start) : undefined;
  const clock: Clock = stepped ?? new ScaledClock(options.speed ?? 20, start);
  const logger = options.logger ?? createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const sim = await startAriSimulator({ clock, defaultPlaybackMs: options.promptMs ?? 2000, logger });
  if (stepped) {
    // The end of a refusal is a moment on the clock, so that time stops there for the reconnection.
    const refuse = sim.refuseWebSockets.bind(sim);
    sim.refuseWebSockets = (ms: number) => {
      refuse(ms);
      stepped.after(ms, () => undefined);
    };
  }
  const records = new MemoryRecords();
  const ticketing = options.ticketing ? countingTicketing(options.ticketing) : undefined;
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
    ...(ticketing ? { ticketing } : {}),
    ...(options.admission ? { admission: options.admission } : {}),
    ...(options.recording ? { recording: options.recording } : {}),
    env: {},
    clock,
    logger,
  });
  const time = stepped
    ? new VirtualTime(stepped, {
        sim,
        engines: () => [hotline],
        ...(ticketing ? { lookups: ticketing.inFlight } : {}),
      })
    : undefined;
  const poll = async (what: string, predicate: () => boolean | Promise<boolean>, timeoutMs = 8000) => {
    const started = Date.now();
    while (!(await predicate())) {
      if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  const runUntil: Rig['runUntil'] = (what, predicate, o) =>
    time ? time.runUntil(what, predicate, o) : poll(what, predicate, o?.realTimeoutMs);
  return {
    sim,
    hotline,
    records,
    clock,
    time,
    runUntil,
    until: (what, predicate, timeoutMs) =>
      time ? time.runUntil(what, predicate) : poll(what, predicate, timeoutMs),
    advance: async (ms, o) => {
      if (!time) throw new Error('advance() needs the stepped clock: start the rig without `speed`');
      await time.advance(ms, o);
    },
    settle: async (what, o) => {
      await time?.settle(what, o);
    },
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

/** A clock over `inner` whose timers and deferred work stop running once `kill()` is called. */
export class KillableClock implements Clock {
  private dead = false;
  constructor(private readonly inner: Clock) {}
  kill(): void {
    this.dead = true;
  }
  now(): number {
    return this.inner.now();
  }
  elapsedMs(): number {
    return this.inner.elapsedMs();
  }
  after(ms: number, fn: () => void): TimerHandle {
    return this.inner.after(ms, () => {
      if (!this.dead) fn();
    });
  }
  defer(fn: () => void): void {
    this.inner.defer(() => {
      if (!this.dead) fn();
    });
  }
}

/**
 * A record sink shared by the engines of a crash test: every write is kept (rewrites included,
 * as the durable sinks would receive them before their idempotency check), and `writer()` gives
 * each engine its own door that stops answering (a write never resolves) once it is killed.
 */
export class CrashRecords {
  readonly writes: CallRecord[] = [];
  writer(): RecordSink & { kill(): void } {
    let dead = false;
    const writes = this.writes;
    return {
      kill: () => {
        dead = true;
      },
      write(record: CallRecord): Promise<void> {
        if (dead) return new Promise<void>(() => undefined);
        writes.push(record);
        return Promise.resolve();
      },
      close: async () => undefined,
    };
  }
  /** Writes per idempotency key. */
  byKey(): Map<string, CallRecord[]> {
    const m = new Map<string, CallRecord[]>();
    for (const r of this.writes) m.set(r.idempotencyKey, [...(m.get(r.idempotencyKey) ?? []), r]);
    return m;
  }
}

export interface CrashableEngine {
  hotline: Hotline;
  /**
   * The engine dies where it stands: its timers stop, its Redis connections and its PBX
   * connection are cut, its record writes never complete. Nothing is flushed or closed in order.
   */
  kill(): void;
  readonly dead: boolean;
}

/**
 * An engine on its own Redis connections and a killable view of the test's clock, so that a test
 * can crash it at any moment and start another with the same engine id on the same Redis and
 * simulator (the restart after a crash).
 */
export async function startCrashableEngine(o: {
  sim: AriSimulator;
  clock: Clock;
  redisUrl: string;
  keyPrefix: string;
  engineId: string;
  records: CrashRecords;
  roster: RosterEntry[];
  plan?: RoutingPlan;
  logger?: Logger;
}): Promise<CrashableEngine> {
  const logger = o.logger ?? createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const clock = new KillableClock(o.clock);
  const redis = openRedisConnections(o.redisUrl, logger);
  const records = o.records.writer();
  const hotline = await startHotline({
    plan: o.plan ?? plans.sichuan(),
    ari: { url: o.sim.url, user: 'hotline', password: 'hotline', apps: ['hotline'], maxConnections: 8 },
    redisUrl: o.redisUrl,
    redis,
    redisKeyPrefix: o.keyPrefix,
    roster: o.roster,
    records,
    engineId: o.engineId,
    clock,
    logger,
    env: {},
  });
  let dead = false;
  return {
    hotline,
    get dead() {
      return dead;
    },
    kill() {
      if (dead) return;
      dead = true;
      clock.kill();
      records.kill();
      redis.commands.disconnect();
      redis.changeFeed.disconnect();
      // Requests the dead engine's pending work would still send go nowhere.
      const rest = (hotline.telephony as unknown as { rest: { call: () => Promise<never> } }).rest;
      rest.call = () => new Promise<never>(() => undefined);
      void hotline.telephony.stop();
    },
  };
}
