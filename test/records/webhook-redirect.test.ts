import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { courierClock, drive, fileEnv, recordOf, sinkFrom, tempDir } from './delivery-support.ts';

interface Seen {
  method: string;
  url: string;
  body: string;
}

/** An endpoint that answers each POST with the next status of `plan` (then 200), redirecting to /moved. */
async function redirectingEndpoint(plan: number[]) {
  const seen: Seen[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', body: Buffer.concat(chunks).toString() });
      // The redirect target would take anything: following it would look like a delivery.
      if (req.url === '/moved') return void res.writeHead(200).end('{}');
      const status = plan.shift() ?? 200;
      res.writeHead(status, status >= 300 && status < 400 ? { location: '/moved?token=secret' } : {});
      res.end(status < 300 ? '{}' : '');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/records`;
  const close = () =>
    new Promise<void>((r) => {
      server.close(() => r());
      server.closeAllConnections();
    });
  return { url, seen, close };
}

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

describe('a webhook answering with a redirect', () => {
  for (const status of [301, 302, 307, 308]) {
    it(`${status}: the record is not delivered, it is retried, and delivered once the endpoint answers 2xx; no GET is made`, async () => {
      const endpoint = await redirectingEndpoint([status, status]);
      cleanup.push(endpoint.close);
      const dir = tempDir();
      cleanup.push(dir.remove);
      const clock = courierClock();
      const sink = await sinkFrom(fileEnv(endpoint.url, dir.path), 300, clock);
      cleanup.push(() => sink.close());

      await sink.write(recordOf(1));
      // Time moves only inside drive: after two redirects, the third attempt waits on its backoff.
      await drive(clock, 'two redirected attempts', () => endpoint.seen.length >= 2);
      expect(await sink.outbox!.counts()).toEqual({ pending: 1, dead: 0 });
      await drive(clock, 'the delivery', async () => (await sink.outbox!.counts()).pending === 0);

      expect(endpoint.seen.map((s) => `${s.method} ${s.url}`)).toEqual([
        'POST /records',
        'POST /records',
        'POST /records',
      ]);
      expect(new Set(endpoint.seen.map((s) => s.body)).size).toBe(1);
      expect(await sink.outbox!.counts()).toEqual({ pending: 0, dead: 0 });
    });
  }

  it('puts the status and the Location (without its query) in the error of the retried message', async () => {
    const endpoint = await redirectingEndpoint([301, 301, 301, 301, 301, 301, 301, 301]);
    cleanup.push(endpoint.close);
    const dir = tempDir();
    cleanup.push(dir.remove);
    const clock = courierClock();
    const sink = await sinkFrom(fileEnv(endpoint.url, dir.path, { RECORDS_MAX_ATTEMPTS: '2' }), 300, clock);
    cleanup.push(() => sink.close());
    await sink.write(recordOf(2));
    await drive(
      clock,
      'the message to be dead-lettered',
      async () => (await sink.outbox!.counts()).dead === 1,
    );
    const [dead] = await sink.outbox!.deadLetters();
    expect(dead?.attempts).toBe(2);
    expect(dead?.lastError).toBe(
      `HTTP 301 redirect to ${endpoint.url.replace('/records', '/moved')} (not followed)`,
    );
    expect(endpoint.seen.every((s) => s.method === 'POST' && s.url === '/records')).toBe(true);
  });
});
