import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, logFormat } from '../../src/log.ts';

/** A stream that records what is written to it, a terminal or not (no dependence on the runner's own). */
function output(isTTY: boolean | undefined) {
  const chunks: string[] = [];
  const stream = Object.assign(
    new Writable({
      write(chunk, _enc, done) {
        chunks.push(chunk.toString());
        done();
      },
    }),
    isTTY === undefined ? {} : { isTTY },
  );
  return { stream, text: () => chunks.join('') };
}

function logCall(destination: ReturnType<typeof output>['stream']) {
  const logger = createLogger({ level: 'info', destination });
  logger.info(
    { callerNumber: '13800138000', env: { ARI_PASSWORD: 'ari-secret-value' }, line: '12345' },
    'call entered the queue',
  );
}

describe('log lines are pretty-printed for a terminal and JSON lines otherwise', () => {
  it('chooses pretty printing only for an output that is a terminal', () => {
    expect(logFormat({ isTTY: true })).toBe('pretty');
    expect(logFormat({ isTTY: false })).toBe('json');
    // A pipe or a file has no isTTY at all.
    expect(logFormat({})).toBe('json');
  });

  it('prints readable lines to a terminal, with the caller masked and the password redacted', async () => {
    const tty = output(true);
    logCall(tty.stream);
    await expect.poll(() => tty.text()).toContain('call entered the queue');
    const text = tty.text();
    expect(text).toContain('INFO');
    expect(text).toContain('138******00');
    expect(text).not.toContain('13800138000');
    expect(text).not.toContain('ari-secret-value');
    // Not a JSON line: a person reads it.
    expect(() => JSON.parse(text.split('\n')[0] ?? '')).toThrow();
  });

  it('writes JSON lines to anything else, masked the same way', async () => {
    const pipe = output(undefined);
    logCall(pipe.stream);
    await expect.poll(() => pipe.text()).toContain('call entered the queue');
    const line = JSON.parse(pipe.text().trim().split('\n').at(-1) ?? '');
    expect(line).toMatchObject({ msg: 'call entered the queue', callerNumber: '138******00', line: '12345' });
    expect(line.env.ARI_PASSWORD).toBe('[redacted]');
    const file = output(false);
    logCall(file.stream);
    await expect.poll(() => file.text()).toContain('"msg":"call entered the queue"');
  });
});
