import { afterEach, describe, expect, it } from 'vitest';
import { startTicketReceiver, type TicketReceiver } from '../../scripts/ticket-receiver.ts';
import { CallerCipher } from '../../src/records/caller-crypto.ts';
import { buildCallRecord } from '../../src/records/record.ts';
import { signedHeaders } from '../../src/records/signature.ts';
import { transferredByAgent } from './call-states.ts';
import { SECRET } from './delivery-support.ts';

let rx: TicketReceiver | undefined;
afterEach(async () => {
  await rx?.close();
  rx = undefined;
});

const cipher = new CallerCipher({ id: 'k1', material: Buffer.alloc(32, 3) });
const record = buildCallRecord(transferredByAgent(), { encrypt: cipher });
const body = JSON.stringify(record);

function post(headers: Record<string, string>, text = body) {
  return fetch(rx!.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: text,
  });
}

describe('the reference ticket receiver', () => {
  it('accepts a signed record once and answers a re-sent copy as a duplicate', async () => {
    const lines: string[] = [];
    rx = await startTicketReceiver({ secret: SECRET, print: (l) => lines.push(l) });
    const headers = signedHeaders(SECRET, Date.now(), body, record.idempotencyKey);
    expect(await (await post(headers)).json()).toEqual({ status: 'accepted' });
    expect(await (await post(headers)).json()).toEqual({ status: 'duplicate' });
    expect(rx.received).toEqual([record]);
    expect(rx.stats).toMatchObject({ accepted: 1, duplicates: 1 });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('record call-transferred | transferred');
    expect(lines[0]).toContain('caller 138******00 [encrypted, key k1]');
    expect(lines[0]).toContain('three-way→subcenter:12360=busy');
    expect(lines.join('\n')).not.toContain('13800138000');
  });

  it('answers 401 to a tampered body', async () => {
    rx = await startTicketReceiver({ secret: SECRET, print: () => undefined });
    const headers = signedHeaders(SECRET, Date.now(), body, record.idempotencyKey);
    const res = await post(headers, body.replace('a1002', 'a1003'));
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: 'bad-signature' });
    expect(rx.received).toHaveLength(0);
  });

  it('answers 401 to a delivery signed more than five minutes ago', async () => {
    rx = await startTicketReceiver({ secret: SECRET, print: () => undefined });
    const res = await post(signedHeaders(SECRET, Date.now() - 6 * 60_000, body, record.idempotencyKey));
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: 'stale-timestamp' });
  });

  it('answers 401 without a signature and 400 to a signed body that is not a record', async () => {
    rx = await startTicketReceiver({ secret: SECRET, print: () => undefined });
    expect((await post({})).status).toBe(401);
    const junk = '{"type":"call-record","callId":"x"}';
    const res = await post(signedHeaders(SECRET, Date.now(), junk, 'x:record'), junk);
    expect(res.status).toBe(400);
    expect(rx.stats).toMatchObject({ unauthorized: 1, invalid: 1, accepted: 0 });
  });
});
