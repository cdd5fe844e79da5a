import { describe, expect, it } from 'vitest';
import { workerFailure } from '../src/budgeted-workers.ts';

describe('what a failed worker task stands for', () => {
  it('reads an aborted task as over its time', () => {
    expect(workerFailure(new DOMException('The operation was aborted', 'AbortError'))).toBe('time');
  });

  it('reads a worker killed by its heap limit as over its memory', () => {
    const err = Object.assign(
      new Error('Worker terminated due to reaching memory limit: JS heap out of memory'),
      {
        code: 'ERR_WORKER_OUT_OF_MEMORY',
      },
    );
    expect(workerFailure(err)).toBe('memory');
  });

  it("reads piscina's full queue as refused", () => {
    expect(workerFailure(new Error('Task queue is at limit'))).toBe('queue-full');
  });

  it("reads the task's own error as other, not as a budget", () => {
    expect(workerFailure(new Error('no such version'))).toBe('other');
    expect(workerFailure(undefined)).toBe('other');
  });
});
