import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTicketReceiver, type TicketReceiver } from '../../scripts/ticket-receiver.ts';
import { type Clock, ManualClock, systemClock } from '../../src/clock.ts';
import { buildCallRecord, type CallRecord } from '../../src/records/record.ts';
import { readRecordsConfig } from '../../src/records/sinks/config.ts';
import { type ConfiguredRecordSink, createRecordSink } from '../../src/records/sinks/factory.ts';
import { answeredCall } from './call-states.ts';

export const SECRET = 'test-secret-for-the-ticket-webhook';

export function tempDir(): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), 'hotline-records-'));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** A call record of a distinct call. */
export function recordOf(n: number): CallRecord {
  const s = answeredCall();
  s.id = `call-${n}`;
  s.callerChannel = s.id;
  return buildCallRecord(s);
}

/** Waits for a condition; `timeoutMs` is only a safety limit for a condition that never comes. */
export async function until(what: string, predicate: () => boolean | Promise<boolean>, timeoutMs = 15_000) {
  const start = Date.now();
  while (!(await predicate())) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * The courier's clock in a test: it moves only when `drive` moves it. It starts at the wall-clock
 * time because the receiver checks each signature's timestamp against its own clock.
 */
export const courierClock = (): ManualClock => new ManualClock(Date.now());

/**
 * Waits for a condition while the courier's time moves on only when the courier waits on it: a
 * timer pending on `clock` (a retry's backoff, or the courier's poll) means the courier has
 * finished its round, so moving `stepMs` fires it. `stepMs` must cover the longest backoff
 * (RECORDS_RETRY_MAX_MS) and poll. On a slow machine rounds only take longer: no retry comes
 * early and none is skipped. `timeoutMs` is a safety limit only.
 *
 * Time moves only at the start of a turn of the event loop: a round sets its timer a few
 * microtasks before it counts as finished, and a kick in between is dropped (the courier's own
 * poll would recover it, but here the poll is that very timer).
 */
export async function drive(
  clock: ManualClock,
  what: string,
  predicate: () => boolean | Promise<boolean>,
  stepMs = 60,
  timeoutMs = 15_000,
) {
  const start = Date.now();
  while (!(await predicate())) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
    if (clock.pending() > 0) clock.advance(stepMs);
  }
}

/**
 * The network between the hotline and the ticketing system: `refuse` drops connections,
 * `lose` forwards a request but drops the reply (the sender cannot know it arrived), `pass`
 * forwards. `plan` is consumed one request at a time, then `after` applies.
 */
export interface Network {
  url: string;
  plan: ('refuse' | 'lose' | 'pass')[];
  after: 'refuse' | 'pass';
  requests: number;
  close(): Promise<void>;
}

function readAll(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export async function startNetwork(
  receiver: TicketReceiver,
  after: 'refuse' | 'pass' = 'pass',
): Promise<Network> {
  const net: Network = { url: '', plan: [], after, requests: 0, close: async () => undefined };
  const server: Server = createServer(async (req, res) => {
    net.requests++;
    const step = net.plan.shift() ?? net.after;
    if (step === 'refuse') return void req.socket.destroy();
    const body = await readAll(req);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers))
      if (typeof v === 'string' && k !== 'host' && k !== 'content-length') headers[k] = v;
    const upstream = await fetch(receiver.url, { method: 'POST', headers, body });
    const text = await upstream.text();
    if (step === 'lose') return void req.socket.destroy();
    res.writeHead(upstream.status, { 'content-type': 'application/json' });
    res.end(text);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  net.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/records`;
  net.close = () =>
    new Promise<void>((r) => {
      server.close(() => r());
      server.closeAllConnections();
    });
  return net;
}

export async function receiver(): Promise<TicketReceiver> {
  return startTicketReceiver({ secret: SECRET, print: () => undefined });
}

/** Environment of a sink delivering to `url` through the file outbox in `dir`, with fast retries. */
export function fileEnv(url: string, dir: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    RECORDS_WEBHOOK_URL: url,
    RECORDS_WEBHOOK_SECRET: SECRET,
    RECORDS_WEBHOOK_TIMEOUT_MS: '10000',
    RECORDS_OUTBOX: 'file',
    RECORDS_OUTBOX_DIR: dir,
    RECORDS_RETRY_BASE_MS: '10',
    RECORDS_RETRY_MAX_MS: '60',
    RECORDS_MAX_ATTEMPTS: '30',
    ...extra,
  };
}

export function sinkFrom(
  env: NodeJS.ProcessEnv,
  closeTimeoutMs = 300,
  clock: Clock = systemClock,
): Promise<ConfiguredRecordSink> {
  return createRecordSink(readRecordsConfig(env), { clock, pollMs: 50, closeTimeoutMs });
}
