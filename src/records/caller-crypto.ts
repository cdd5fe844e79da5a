import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { HotlineError } from '../errors.ts';
import type { EncryptedValue } from './schema.ts';

/**
 * Encryption of caller numbers in call records: AES-256-GCM under a configured 32-byte key,
 * a fresh 12-byte IV per value, and the call id as additional authenticated data, so a
 * ciphertext moved to another record does not decrypt. Reading needs the key named by the
 * value's `keyId`; previous keys are kept for reading after a rotation.
 */
export class RecordsKeyError extends HotlineError {
  constructor(
    code: 'invalid-records-key' | 'unknown-records-key' | 'caller-decrypt-failed',
    message: string,
  ) {
    super(code, message);
  }
}

const ALG = 'aes-256-gcm';
const aad = (callId: string) => Buffer.from(`hotline-caller:${callId}`, 'utf8');

/** Encrypts caller numbers for records (the builder only needs this side). */
export interface CallerEncryptor {
  encrypt(callerNumber: string, callId: string): EncryptedValue;
}

export interface RecordsKey {
  id: string;
  /** 32 bytes. */
  material: Buffer;
}

/** Reads a key given as base64 (`RECORDS_KEY`); it must decode to exactly 32 bytes. */
export function parseRecordsKey(id: string, base64: string): RecordsKey {
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(id))
    throw new RecordsKeyError(
      'invalid-records-key',
      'a records key id is 1-64 letters, digits, ".", "_" or "-"',
    );
  const material = Buffer.from(base64.trim(), 'base64');
  if (
    material.length !== 32 ||
    material.toString('base64').replace(/=+$/, '') !== base64.trim().replace(/=+$/, '')
  )
    throw new RecordsKeyError(
      'invalid-records-key',
      `records key "${id}" must be 32 bytes in base64 (e.g. openssl rand -base64 32)`,
    );
  return { id, material };
}

export class CallerCipher implements CallerEncryptor {
  readonly keyId: string;
  // Private fields stay out of JSON.stringify, inspection and logs.
  readonly #current: Buffer;
  readonly #all: Map<string, Buffer>;

  /** `current` encrypts; `current` and `previous` decrypt. */
  constructor(current: RecordsKey, previous: RecordsKey[] = []) {
    this.keyId = current.id;
    this.#current = current.material;
    this.#all = new Map(previous.map((k) => [k.id, k.material]));
    this.#all.set(current.id, current.material);
  }

  encrypt(callerNumber: string, callId: string): EncryptedValue {
    const iv = randomBytes(12);
    const cipher = createCipheriv(ALG, this.#current, iv);
    cipher.setAAD(aad(callId));
    const ciphertext = Buffer.concat([cipher.update(callerNumber, 'utf8'), cipher.final()]);
    return {
      alg: 'AES-256-GCM',
      keyId: this.keyId,
      iv: iv.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
      ciphertext: ciphertext.toString('base64'),
    };
  }

  /** The number in clear; throws when the key is unknown or the value was altered or moved. */
  decrypt(value: EncryptedValue, callId: string): string {
    const key = this.#all.get(value.keyId);
    if (!key)
      throw new RecordsKeyError('unknown-records-key', `no records key "${value.keyId}" is configured`);
    try {
      const decipher = createDecipheriv(ALG, key, Buffer.from(value.iv, 'base64'));
      decipher.setAAD(aad(callId));
      decipher.setAuthTag(Buffer.from(value.tag, 'base64'));
      return Buffer.concat([
        decipher.update(Buffer.from(value.ciphertext, 'base64')),
        decipher.final(),
      ]).toString('utf8');
    } catch {
      throw new RecordsKeyError(
        'caller-decrypt-failed',
        'the caller number does not decrypt with this key (wrong key, or the record was altered)',
      );
    }
  }

  toJSON(): { keyId: string } {
    return { keyId: this.keyId };
  }
}
