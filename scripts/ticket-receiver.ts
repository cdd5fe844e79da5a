/**
 * A reference receiver for the hotline's call-record webhook, to watch records arrive:
 *
 *   RECORDS_WEBHOOK_SECRET=… node --import tsx scripts/ticket-receiver.ts
 *   (then run the engine with RECORDS_WEBHOOK_URL=http://127.0.0.1:8090/records and the same secret)
 *
 * It verifies each delivery's signature and age (401 otherwise), drops duplicates by
 * idempotency key (the hotline delivers at least once), checks the body against the records
 * schema (400 otherwise) and prints one line per message — masked caller numbers only.
 * Settings: RECEIVER_HOST (127.0.0.1), RECEIVER_PORT (8090).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { type CallRecord, type LiveEvent, RecordMessage } from '../src/records/schema.ts';
import {
  IDEMPOTENCY_HEADER,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  verifySignature,
} from '../src/records/signature.ts';

export interface ReceiverOptions {
  secret: string | string[];
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Clock in ms (tests move it). */
  now?: () => number;
  toleranceSeconds?: number;
  /** Where lines go; default stdout. */
  print?: (line: string) => void;
  /** Idempotency keys remembered (oldest forgotten first). Default 100,000. */
  rememberKeys?: number;
}

export interface TicketReceiver {
  url: string;
  port: number;
  /** Messages accepted, duplicates left out. */
  readonly received: RecordMessage[];
  readonly stats: { accepted: number; duplicates: number; unauthorized: number; invalid: number };
  close(): Promise<void>;
}

const MAX_BODY = 1024 * 1024;

function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        resolve(undefined);
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function line(m: RecordMessage): string {
  if (m.type === 'call-event') {
    const e: LiveEvent = m;
    const detail = Object.entries(e.detail)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    return `event  ${e.callId} #${e.seq} ${e.at} ${e.what}${detail ? ` ${detail}` : ''}`;
  }
  const r: CallRecord = m;
  const parts = [
    `record ${r.callId}`,
    r.disposition,
    `dialed ${r.dialed} (${r.line.name}, ${r.phase.kind})`,
    `caller ${r.callerMasked}${r.callerEncrypted ? ` [encrypted, key ${r.callerEncrypted.keyId}]` : ''}`,
    r.agentId ? `agent ${r.agentId}` : undefined,
    r.queue ? `queue ${r.queue.kind}:${r.queue.id}` : undefined,
    r.transfers.length > 0
      ? `transfers ${r.transfers.map((t) => `${t.mode}→${t.target.kind}:${t.target.id}=${t.result}`).join(',')}`
      : undefined,
    r.surveyScore !== undefined ? `survey ${r.surveyScore}` : undefined,
    `${r.durationSeconds}s`,
  ];
  return parts.filter(Boolean).join(' | ');
}

export async function startTicketReceiver(o: ReceiverOptions): Promise<TicketReceiver> {
  const now = o.now ?? Date.now;
  const print = o.print ?? ((text: string) => process.stdout.write(`${text}\n`));
  const remember = o.rememberKeys ?? 100_000;
  const seen = new Set<string>();
  const received: RecordMessage[] = [];
  const stats = { accepted: 0, duplicates: 0, unauthorized: 0, invalid: 0 };

  const reply = (res: ServerResponse, status: number, body: Record<string, unknown>) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'POST') return reply(res, 405, { error: 'method-not-allowed' });
    const body = await readBody(req);
    if (!body) return reply(res, 413, { error: 'body-too-large' });
    const header = (name: string) => {
      const v = req.headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    const check = verifySignature({
      secrets: o.secret,
      timestamp: header(TIMESTAMP_HEADER),
      signature: header(SIGNATURE_HEADER),
      body,
      nowMs: now(),
      ...(o.toleranceSeconds !== undefined ? { toleranceSeconds: o.toleranceSeconds } : {}),
    });
    if (!check.ok) {
      stats.unauthorized++;
      print(`rejected: ${check.reason}`);
      return reply(res, 401, { error: check.reason });
    }
    let message: RecordMessage;
    try {
      const parsed = RecordMessage.safeParse(JSON.parse(body.toString('utf8')));
      if (!parsed.success) throw new Error(parsed.error.issues[0]?.message ?? 'invalid');
      message = parsed.data;
    } catch (err) {
      stats.invalid++;
      return reply(res, 400, { error: 'invalid-body', detail: (err as Error).message });
    }
    const key = header(IDEMPOTENCY_HEADER) ?? message.idempotencyKey;
    if (key !== message.idempotencyKey) {
      stats.invalid++;
      return reply(res, 400, { error: 'idempotency-key-mismatch' });
    }
    if (seen.has(key)) {
      stats.duplicates++;
      return reply(res, 200, { status: 'duplicate' });
    }
    seen.add(key);
    if (seen.size > remember) seen.delete(seen.values().next().value!);
    received.push(message);
    stats.accepted++;
    print(line(message));
    return reply(res, 200, { status: 'accepted' });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) reply(res, 500, { error: 'internal' });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, o.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${o.host ?? '127.0.0.1'}:${port}/records`,
    port,
    received,
    stats,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function main(): Promise<void> {
  const secret = process.env.RECORDS_WEBHOOK_SECRET;
  if (!secret) {
    process.stderr.write('set RECORDS_WEBHOOK_SECRET to the secret the hotline signs with\n');
    process.exitCode = 2;
    return;
  }
  const receiver = await startTicketReceiver({
    secret,
    host: process.env.RECEIVER_HOST ?? '127.0.0.1',
    port: Number(process.env.RECEIVER_PORT ?? 8090),
  });
  process.stdout.write(`ticket receiver listening on ${receiver.url} (Ctrl-C to stop)\n`);
  const stop = () => void receiver.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
