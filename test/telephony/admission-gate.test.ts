import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.ts';
import { AriAdmissionGate } from '../../src/telephony/ari/admission-gate.ts';

/** A REST client that records the globals written, answering each write when the test says. */
function fakeRest(failing = false) {
  const writes: string[] = [];
  const pending: (() => void)[] = [];
  const rest = {
    call: (
      _op: string,
      method: string,
      path: string,
      query?: Record<string, string | number | undefined>,
    ) => {
      if (method !== 'POST' || path !== '/asterisk/variable') throw new Error(`unexpected ${method} ${path}`);
      return new Promise<never>((resolve, reject) => {
        pending.push(() => {
          writes.push(`${query?.variable}=${query?.value}`);
          if (failing) reject(new Error('503 Service Unavailable'));
          else resolve(undefined as never);
        });
      });
    },
  };
  const answerAll = async () => {
    for (let i = 0; i < 50; i++) {
      while (pending.length > 0) pending.shift()!();
      await new Promise((r) => setImmediate(r));
    }
  };
  return { rest, writes, answerAll };
}

const logger = createLogger({ level: 'silent' });

describe('the dialplan admission gate on Asterisk', () => {
  it('writes nothing before the ARI connection opens, then the wanted value for every app', async () => {
    const { rest, writes, answerAll } = fakeRest();
    const gate = new AriAdmissionGate(rest as never, ['hotline-1', 'hotline-2'], logger);
    void gate.set('loopDelayMs');
    await answerAll();
    expect(writes).toEqual([]);
    const done = gate.reassert();
    await answerAll();
    await done;
    expect(writes).toEqual(['HOTLINE_GATE_HOTLINE_1=loopDelayMs', 'HOTLINE_GATE_HOTLINE_2=loopDelayMs']);
  });

  it('lands quick changes as the last one wanted, skips what is written already, and writes again after a reconnect', async () => {
    const { rest, writes, answerAll } = fakeRest();
    const gate = new AriAdmissionGate(rest as never, ['hotline'], logger);
    void gate.reassert();
    void gate.set('rest503');
    void gate.set('rest503');
    const last = gate.set('');
    await answerAll();
    await last;
    // Each write sends the value wanted when it leaves: the closed state was overtaken before any
    // write left, so the gate was written once, open, and never closed by a stale value.
    expect(writes).toEqual(['HOTLINE_GATE_HOTLINE=']);
    void gate.set('pendingCommands');
    await answerAll();
    expect(writes.at(-1)).toBe('HOTLINE_GATE_HOTLINE=pendingCommands');
    void gate.set('');
    await answerAll();
    writes.length = 0;
    const again = gate.reassert();
    await answerAll();
    await again;
    expect(writes).toEqual(['HOTLINE_GATE_HOTLINE=']);
  });

  it('tries again at the next change when a write failed', async () => {
    const failing = fakeRest(true);
    const gate = new AriAdmissionGate(failing.rest as never, ['hotline'], logger);
    const first = gate.reassert();
    await failing.answerAll();
    await first;
    // Not written: the same value is sent again rather than taken as done.
    const second = gate.set('');
    await failing.answerAll();
    await second;
    expect(failing.writes).toEqual(['HOTLINE_GATE_HOTLINE=', 'HOTLINE_GATE_HOTLINE=']);
  });
});
