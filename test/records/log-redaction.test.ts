import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.ts';
import { readRecordsConfig } from '../../src/records/sinks/config.ts';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { logger: createLogger({ level: 'info', destination }), text: () => lines.join('') };
}

const key = Buffer.alloc(32, 9).toString('base64');

describe('logs never carry a caller number, key, secret or token', () => {
  it('masks caller numbers and redacts records secrets wherever they are logged', () => {
    const { logger, text } = capture();
    logger.info(
      {
        callerNumber: '13800138000',
        ticketNumber: '202603020001',
        command: { callerId: { name: '12345', number: '13800138000' } },
        env: {
          RECORDS_KEY: key,
          RECORDS_WEBHOOK_SECRET: 'webhook-secret-value',
          TICKETING_TOKEN: 'ticketing-token-value',
          REDIS_URL: 'redis://:redis-password@redis:6379',
        },
        webhook: { secrets: ['webhook-secret-value'] },
      },
      'start',
    );
    const out = text();
    for (const leak of [
      '13800138000',
      '202603020001',
      key,
      'webhook-secret-value',
      'ticketing-token-value',
      'redis-password',
    ])
      expect(out).not.toContain(leak);
    expect(out).toContain('138******00');
  });

  it('keeps the records key out of the parsed settings when they are logged', () => {
    const { logger, text } = capture();
    const config = readRecordsConfig({ RECORDS_KEY: key, RECORDS_KEY_ID: 'k1' });
    logger.info({ records: config }, 'records settings');
    expect(text()).not.toContain(key);
    expect(text()).toContain('"keyId":"k1"');
  });
});

describe('records settings', () => {
  it('refuse an unsigned webhook, a stream without Redis and a key without its id', () => {
    expect(() => readRecordsConfig({ RECORDS_WEBHOOK_URL: 'https://tickets.example/hook' })).toThrow(
      expect.objectContaining({
        code: 'records-config',
        message: expect.stringContaining('RECORDS_WEBHOOK_SECRET'),
      }),
    );
    expect(() => readRecordsConfig({ RECORDS_REDIS_STREAM: 'hotline:records' })).toThrow(/REDIS_URL/);
    expect(() => readRecordsConfig({ RECORDS_KEY: key })).toThrow(/RECORDS_KEY_ID/);
    expect(() => readRecordsConfig({ RECORDS_KEY: 'c2hvcnQ=', RECORDS_KEY_ID: 'k1' })).toThrow(/32 bytes/);
  });

  it('default to the local JSONL file and a file outbox without Redis', () => {
    const c = readRecordsConfig({});
    expect(c).toMatchObject({ jsonlPath: 'var/records.jsonl', outbox: { kind: 'file' }, cipher: undefined });
    expect(c.webhook).toBeUndefined();
    expect(readRecordsConfig({ REDIS_URL: 'redis://r:6379' }).outbox.kind).toBe('redis');
  });
});
