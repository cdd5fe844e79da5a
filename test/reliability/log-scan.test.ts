import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { newToken } from '../../src/admin/tokens.ts';
import { maskNumber } from '../../src/log.ts';
import { findSecrets } from '../../src/log-scan.ts';

const kinds = (line: string) => findSecrets(line).map((f) => f.kind);

describe('the log scan', () => {
  it.each([
    ['a mobile number', '{"caller":"13800138000"}'],
    ['a mobile number with +86', '{"msg":"from +8613800138000"}'],
    ['a landline with area code', '{"from":"028-87654321"}'],
    ['a landline without dash', '{"from":"02887654321"}'],
    ['an international number', '{"from":"+442071838750"}'],
  ])('finds %s', (_what, line) => {
    expect(kinds(line)).toContain('caller-number');
  });

  it('finds an API token, a bearer credential, URL credentials and 256-bit keys', () => {
    expect(kinds(`{"t":"${newToken('a1001')}"}`)).toContain('api-token');
    expect(kinds('{"authorization":"Bearer abcdefghijklmnopqrstuvwxyz"}')).toContain('bearer');
    expect(kinds('{"url":"redis://user:s3cret@10.0.0.5:6379/0"}')).toContain('url-credentials');
    expect(kinds(`{"k":"${randomBytes(32).toString('base64')}"}`)).toContain('key');
    expect(kinds(`{"k":"${randomBytes(32).toString('hex')}"}`)).toContain('key');
  });

  it('lets through masked numbers, timestamps, channel ids and service numbers', () => {
    const line = JSON.stringify({
      level: 30,
      time: '2026-11-24T15:25:22.932Z',
      at: 1795533750899,
      callId: '1795533746.2',
      leg: '1795533746.2-x7',
      caller: maskNumber('13800138000'),
      dialed: '12345',
      target: 'PJSIP/12366@sc-tax',
      url: 'http://127.0.0.1:40001/ari',
      id: '7f1c0e9a-4b7e-4c1a-9d8e-2f6b5a4c3d21',
    });
    expect(findSecrets(line)).toEqual([]);
  });

  it('prints a finding masked, never whole', () => {
    const [finding] = findSecrets('{"caller":"13800138000"}');
    expect(finding?.masked).toBe('138******00');
  });
});
