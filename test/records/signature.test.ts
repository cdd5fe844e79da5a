import { describe, expect, it } from 'vitest';
import { signedHeaders, signPayload, verifySignature } from '../../src/records/signature.ts';

const secret = 'a-shared-secret-of-the-hotline';
const now = Date.UTC(2026, 2, 2, 8, 0, 0);
const body = JSON.stringify({ type: 'call-record', callId: 'c1' });

function check(over: Partial<Parameters<typeof verifySignature>[0]> = {}) {
  const h = signedHeaders(secret, now, body, 'c1:record');
  return verifySignature({
    secrets: secret,
    timestamp: h['x-hotline-timestamp'],
    signature: h['x-hotline-signature'],
    body,
    nowMs: now + 2000,
    ...over,
  });
}

describe('webhook signatures', () => {
  it('accepts a delivery signed with the shared secret', () => {
    expect(check()).toEqual({ ok: true });
    expect(signedHeaders(secret, now, body, 'c1:record')['x-hotline-signature']).toMatch(/^v1=[0-9a-f]{64}$/);
  });

  it('rejects a tampered body', () => {
    expect(check({ body: body.replace('c1', 'c2') })).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it('rejects a timestamp older than five minutes, or as far ahead', () => {
    expect(check({ nowMs: now + 301_000 })).toEqual({ ok: false, reason: 'stale-timestamp' });
    expect(check({ nowMs: now - 301_000 })).toEqual({ ok: false, reason: 'stale-timestamp' });
    expect(check({ nowMs: now + 299_000 })).toEqual({ ok: true });
  });

  it('rejects a signature made for another timestamp', () => {
    const sig = signPayload(secret, Math.floor(now / 1000) - 1, body);
    expect(check({ signature: sig })).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it('rejects a wrong secret, missing headers and a malformed timestamp', () => {
    expect(check({ secrets: 'another-secret-entirely' })).toEqual({ ok: false, reason: 'bad-signature' });
    expect(check({ signature: undefined })).toEqual({ ok: false, reason: 'missing-headers' });
    expect(check({ timestamp: '12.5' })).toEqual({ ok: false, reason: 'bad-timestamp' });
    expect(check({ signature: 'v1=zz' })).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it('accepts either secret while one is being rotated', () => {
    const both = signPayload(['new-secret-0123456789', secret], Math.floor(now / 1000), body);
    expect(both.split(',')).toHaveLength(2);
    expect(check({ signature: both })).toEqual({ ok: true });
    expect(check({ secrets: ['new-secret-0123456789', secret] })).toEqual({ ok: true });
  });
});
