import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpTicketing, ticketingFromEnv } from '../../src/ticketing/http-ticketing.ts';
import { statusPrompts, ticketPrompts } from '../../src/ticketing/ticket-status.ts';

/** A ticketing system on 127.0.0.1 whose answer per ticket number is scripted. */
const tickets: Record<string, (res: ServerResponse) => void> = {
  '2026030200001': (res) => json(res, 200, { number: '2026030200001', status: 'in-progress', daysOpen: 12 }),
  '2026030200002': (res) => json(res, 200, { status: 'closed', daysOpen: 30 }),
  '2026030200003': (res) => json(res, 200, { status: 'escalated' }),
  '2026030200004': (res) => json(res, 200, { state: 'closed' }),
  '2026030200005': (res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"status": "acc');
  },
  '2026030200500': (res) => json(res, 500, { error: 'database down' }),
  '2026030200503': (res) => json(res, 503, { error: 'maintenance' }),
  // Never answers (the connection is closed after the tests).
  '2026030200999': () => undefined,
};
const seen: { url: string; auth: string | undefined }[] = [];

function json(res: ServerResponse, status: number, body: unknown) {
  if (res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

let server: Server;
let baseUrl: string;
beforeAll(async () => {
  server = createServer((req: IncomingMessage, res) => {
    seen.push({ url: req.url ?? '', auth: req.headers.authorization });
    const number = decodeURIComponent((req.url ?? '').replace(/^\/api\/tickets\//, ''));
    const answer = tickets[number];
    if (answer) answer(res);
    else json(res, 404, { error: 'no such ticket' });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

/** A time limit no answer of the scripted server comes near, even on a busy machine. */
const port = (timeoutMs = 15_000) => new HttpTicketing({ baseUrl, timeoutMs, token: 'ticketing-token' });

describe('ticket progress lookups over HTTP', () => {
  it('reads the status and how many days the ticket has been open', async () => {
    expect(await port().lookup('2026030200001')).toEqual([
      'ticket-status-in-progress',
      'ticket-days-open',
      'num-10',
      'num-2',
      'ticket-days-unit',
    ]);
    expect(seen.at(-1)).toEqual({ url: '/api/tickets/2026030200001', auth: 'Bearer ticketing-token' });
  });

  it('reads a closed ticket without its age, and an unknown status as unknown', async () => {
    expect(await port().lookup('2026030200002')).toEqual(['ticket-status-closed']);
    expect(await port().lookup('2026030200003')).toEqual(['ticket-status-unknown']);
  });

  it('tells the caller a number the ticketing system does not know was not found', async () => {
    expect(await port().lookup('2026030200404')).toEqual(['ticket-not-found']);
  });

  it('resolves null on a timeout, so the caller hears the apology and is offered an agent', async () => {
    // The server never answers: only the time limit can end the lookup.
    expect(await port(300).lookup('2026030200999')).toBeNull();
  });

  it('resolves null on a server error or a body it cannot read', async () => {
    expect(await port().lookup('2026030200500')).toBeNull();
    expect(await port().lookup('2026030200503')).toBeNull();
    expect(await port().lookup('2026030200004')).toBeNull();
    expect(await port().lookup('2026030200005')).toBeNull();
  });

  it('resolves null when the ticketing system is unreachable', async () => {
    expect(await new HttpTicketing({ baseUrl: 'http://127.0.0.1:9', timeoutMs: 300 }).lookup('1')).toBeNull();
  });

  it('does not send what is not a ticket number', async () => {
    const before = seen.length;
    expect(await port().lookup('../admin')).toEqual(['ticket-not-found']);
    expect(seen.length).toBe(before);
  });
});

describe('status read-outs', () => {
  it('says "两天" for two days and has a text for every prompt it plays', () => {
    const prompts = statusPrompts({ status: 'dispatched', daysOpen: 2 });
    expect(prompts).toEqual([
      'ticket-status-dispatched',
      'ticket-days-open',
      'num-2-alone',
      'ticket-days-unit',
    ]);
    for (const status of ['accepted', 'dispatched', 'in-progress', 'replied', 'closed', 'unknown'] as const)
      for (const id of statusPrompts({ status, daysOpen: 3 }))
        if (!id.startsWith('num-')) expect(ticketPrompts).toHaveProperty(id);
  });

  it('leaves out the age of a ticket accepted today', () => {
    expect(statusPrompts({ status: 'accepted', daysOpen: 0 })).toEqual(['ticket-status-accepted']);
  });
});

describe('ticketing settings', () => {
  it('are off without TICKETING_URL and checked when given', () => {
    expect(ticketingFromEnv({})).toBeUndefined();
    expect(ticketingFromEnv({ TICKETING_URL: 'http://tickets:8080' })).toBeInstanceOf(HttpTicketing);
    expect(() => ticketingFromEnv({ TICKETING_URL: 'ftp://tickets' })).toThrow(
      expect.objectContaining({ code: 'invalid-config' }),
    );
    expect(() => ticketingFromEnv({ TICKETING_URL: 'http://tickets', TICKETING_TIMEOUT_MS: 'soon' })).toThrow(
      /TICKETING_TIMEOUT_MS/,
    );
  });
});
