import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CallerCipher, parseRecordsKey } from '../../src/records/caller-crypto.ts';

const key = (id: string) => ({ id, material: randomBytes(32) });

describe('caller number encryption', () => {
  it('decrypts with the key what it encrypted, and never repeats a ciphertext', () => {
    const cipher = new CallerCipher(key('k1'));
    const a = cipher.encrypt('13800138000', 'call-1');
    const b = cipher.encrypt('13800138000', 'call-1');
    expect(a.ciphertext).not.toBe(b.ciphertext);
    expect(a).toMatchObject({ alg: 'AES-256-GCM', keyId: 'k1' });
    expect(cipher.decrypt(a, 'call-1')).toBe('13800138000');
  });

  it('fails with the wrong key', () => {
    const value = new CallerCipher(key('k1')).encrypt('13800138000', 'call-1');
    expect(() => new CallerCipher(key('k1')).decrypt(value, 'call-1')).toThrow(
      expect.objectContaining({ code: 'caller-decrypt-failed' }),
    );
    expect(() => new CallerCipher(key('k2')).decrypt(value, 'call-1')).toThrow(
      expect.objectContaining({ code: 'unknown-records-key' }),
    );
  });

  it('fails when the ciphertext is altered or moved to another call', () => {
    const cipher = new CallerCipher(key('k1'));
    const value = cipher.encrypt('13800138000', 'call-1');
    const flipped = Buffer.from(value.ciphertext, 'base64');
    flipped[0] = flipped[0]! ^ 1;
    expect(() => cipher.decrypt({ ...value, ciphertext: flipped.toString('base64') }, 'call-1')).toThrow(
      expect.objectContaining({ code: 'caller-decrypt-failed' }),
    );
    expect(() => cipher.decrypt(value, 'call-2')).toThrow(
      expect.objectContaining({ code: 'caller-decrypt-failed' }),
    );
  });

  it('reads values of a previous key after a rotation and writes with the new one', () => {
    const old = key('2025');
    const value = new CallerCipher(old).encrypt('02887654321', 'call-9');
    const rotated = new CallerCipher(key('2026'), [old]);
    expect(rotated.decrypt(value, 'call-9')).toBe('02887654321');
    expect(rotated.encrypt('02887654321', 'call-9').keyId).toBe('2026');
  });

  it('accepts only a 32-byte base64 key and never shows the key material', () => {
    const good = randomBytes(32).toString('base64');
    const cipher = new CallerCipher(parseRecordsKey('k1', good));
    expect(JSON.stringify(cipher)).toBe('{"keyId":"k1"}');
    expect(JSON.stringify({ cipher })).not.toContain(good);
    expect(() => parseRecordsKey('k1', randomBytes(31).toString('base64'))).toThrow(
      expect.objectContaining({ code: 'invalid-records-key' }),
    );
    expect(() => parseRecordsKey('k1', 'not base64 at all!')).toThrow(
      expect.objectContaining({ code: 'invalid-records-key' }),
    );
    expect(() => parseRecordsKey('bad id', good)).toThrow(
      expect.objectContaining({ code: 'invalid-records-key' }),
    );
  });
});
