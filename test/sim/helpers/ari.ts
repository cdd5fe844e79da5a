import type { EventEmitter } from 'node:events';
import http from 'node:http';
import { createRequire } from 'node:module';
import type { SteppedClock } from '../../../src/clock.ts';
import { createLogger } from '../../../src/log.ts';
import { type AriSimulator, type AriSimulatorOptions, startAriSimulator } from '../../../src/sim/index.ts';

/**
 * Test helpers: the real, unmodified ari-client (CommonJS, untyped) behind a small typed face,
 * and an event recorder with `waitFor`.
 */
export type AriOperation = (params?: Record<string, unknown>) => Promise<unknown>;
type Ops<K extends string> = Record<K, AriOperation>;

export interface AriClient extends EventEmitter {
  channels: Ops<
    | 'list'
    | 'get'
    | 'originate'
    | 'create'
    | 'hangup'
    | 'answer'
    | 'play'
    | 'dial'
    | 'startMoh'
    | 'stopMoh'
    | 'ring'
    | 'hold'
    | 'unhold'
    | 'continueInDialplan'
    | 'setChannelVar'
    | 'getChannelVar'
  >;
  bridges: Ops<
    'list' | 'get' | 'create' | 'destroy' | 'addChannel' | 'removeChannel' | 'startMoh' | 'stopMoh' | 'play'
  >;
  playbacks: Ops<'get' | 'stop' | 'control'>;
  applications: Ops<'list' | 'get' | 'subscribe' | 'unsubscribe' | 'filter'>;
  endpoints: Ops<'list' | 'listByTech' | 'get'>;
  asterisk: Ops<'getInfo' | 'ping'>;
  start(apps: string | string[], subscribeAll?: boolean): Promise<void>;
  stop(): void;
}

interface AriModule {
  connect(url: string, user: string, pass: string): Promise<AriClient>;
}

const require = createRequire(import.meta.url);
const ari = require('ari-client') as AriModule;

// Node 20's global HTTP agent times a socket out after 5 s without data, even while it waits for
// a response; ari-client's HTTP layer (swagger-client 2) ignores the error of a request aborted
// that way, so its promise never settles. On a busy machine an answer can take that long: the
// tests' ari-client uses an agent without that time limit.
http.globalAgent = new http.Agent({ keepAlive: true });

export interface AriEventRecord {
  type: string;
  [field: string]: unknown;
}

export async function startSim(options: AriSimulatorOptions = {}): Promise<AriSimulator> {
  return startAriSimulator({ timeScale: 0.01, logger: createLogger({ level: 'silent' }), ...options });
}

export class Connected {
  readonly events: AriEventRecord[] = [];
  private readonly waiters: Array<() => void> = [];

  constructor(readonly client: AriClient) {
    client.on('*', (event: AriEventRecord) => {
      this.events.push(event);
      for (const w of this.waiters.splice(0)) w();
    });
  }

  /** Resolves with the first recorded event matching `pred` (already recorded ones count). */
  async waitFor(pred: (e: AriEventRecord) => boolean, timeoutMs = 15_000, from = 0): Promise<AriEventRecord> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.slice(from).find(pred);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`timed out waiting for event; saw ${this.events.map((e) => e.type).join(',')}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  async waitForCount(n: number, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.events.length < n) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out: ${this.events.length}/${n} events`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  ofType(type: string): AriEventRecord[] {
    return this.events.filter((e) => e.type === type);
  }

  stop(): void {
    this.client.stop();
  }
}

export async function connectAri(
  sim: AriSimulator,
  apps: string | string[] = 'hotline',
  credentials: [string, string] = ['hotline', 'hotline'],
): Promise<Connected> {
  const client = await ari.connect(sim.url, credentials[0], credentials[1]);
  const connected = new Connected(client);
  await client.start(apps);
  return connected;
}

/** Calls an operation by resource and nickname, as the replay of a recorded request does. */
export function operationOf(client: AriClient, resource: string, nickname: string): AriOperation {
  const table = client as unknown as Record<string, Record<string, AriOperation | undefined> | undefined>;
  const op = table[resource]?.[nickname];
  if (!op) throw new Error(`ari-client has no ${resource}.${nickname}`);
  return op;
}

/** Connects with `subscribeAll=true` (the engine never does; tests compare with it). */
export async function connectAriWith(
  sim: AriSimulator,
  apps: string,
  subscribeAll: boolean,
): Promise<Connected> {
  const client = await ari.connect(sim.url, 'hotline', 'hotline');
  const connected = new Connected(client);
  await client.start(apps, subscribeAll);
  return connected;
}

export function channelOf(e: AriEventRecord): { id: string; state: string } | undefined {
  return e.channel as { id: string; state: string } | undefined;
}

/**
 * Waits until every event frame the simulator has sent has reached `conns` (the simulator's only
 * WebSockets): after it, an event not received was never sent. `timeoutMs` is a safety limit.
 */
export async function framesDelivered(
  sim: AriSimulator,
  conns: Connected[],
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const received = conns.reduce((n, c) => n + c.events.length, 0);
    const sent = sim.eventWire().framesSent;
    if (received >= sent) return;
    if (Date.now() > deadline) throw new Error(`timed out: ${received} of ${sent} event frames received`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/**
 * Runs a simulator on a SteppedClock until `done`: once every frame sent so far has been
 * received, it fires the next simulated timer, one at a time. The client acts between timers, as
 * fast or as slowly as the machine allows, so a busy machine cannot reorder what happens.
 */
export async function driveSim(
  sim: AriSimulator,
  clock: SteppedClock,
  conns: Connected[],
  what: string,
  done: () => boolean,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await framesDelivered(sim, conns, Math.max(0, deadline - Date.now()));
    if (done()) return;
    if (clock.fireNext()) continue;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
