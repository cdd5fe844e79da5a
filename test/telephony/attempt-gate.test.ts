import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { createLogger } from '../../src/log.ts';
import { AttemptGate, CLAIM_POLL_MS, CLAIM_WAIT_MS } from '../../src/telephony/ari/attempt-gate.ts';
import { type AttemptClaims, MemoryAttemptClaims } from '../../src/telephony/attempt-claims.ts';
import type { TelephonyEvent } from '../../src/telephony/port.ts';

// The SIP edge gave one carrier call (SIP Call-ID `call-1`) to node a, then, a slow to answer, to
// node b: channel a-1 on node a, b-1 on node b, each seen by the gate of its node's adapter.

const SIP_CALL = 'call-1@carrier';
const flush = async () => {
  for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
};

const entered = (channelId: string): Extract<TelephonyEvent, { kind: 'channel-entered' }> => ({
  kind: 'channel-entered',
  app: 'hotline-1',
  channelId,
  args: ['12345'],
  dialed: '12345',
  callerNumber: '13800138000',
  callerName: '',
  state: 'Ring',
});
const ended = (channelId: string): TelephonyEvent => ({
  kind: 'channel-ended',
  channelId,
  cause: 16,
  causeText: '',
});

/** One node's gate over shared claims, recording what reached the engine and what it hung up. */
function node(claims: AttemptClaims, clock: ManualClock) {
  const delivered: TelephonyEvent[] = [];
  const hungUp: string[] = [];
  const gate = new AttemptGate({
    claims,
    hangup: async (id) => {
      hungUp.push(id);
    },
    deliver: (e) => delivered.push(e),
    clock,
    logger: createLogger({ level: 'silent' }),
  });
  /** An event through the gate as the adapter passes it: taken by the gate, or delivered. */
  const event = (e: TelephonyEvent) => {
    if (!gate.intercept(e)) delivered.push(e);
  };
  /** The engine was given the channel and answered it. */
  const engineAnswers = async (channelId: string) => {
    gate.answered(channelId);
    await flush();
  };
  return { gate, delivered, hungUp, event, engineAnswers };
}

/** Nodes a and b over the same claims, on one manual clock. */
function twoNodes() {
  const clock = new ManualClock();
  const claims = new MemoryAttemptClaims();
  return { clock, claims, a: node(claims, clock), b: node(claims, clock) };
}

describe('the gate of carrier-call channels (one served per SIP Call-ID)', () => {
  it('hands a lone channel to the engine once it holds the claim, with the events that came meanwhile', async () => {
    const { a } = twoNodes();
    a.gate.enter(entered('a-1'), SIP_CALL);
    a.event({ kind: 'dtmf', channelId: 'a-1', digit: '1' });
    expect(a.delivered).toEqual([]);
    await flush();
    expect(a.delivered.map((e) => e.kind)).toEqual(['channel-entered', 'dtmf']);
    expect(a.gate.counts.served).toBe(1);
    // afterwards its events go straight through
    a.event(ended('a-1'));
    expect(a.delivered.map((e) => e.kind)).toEqual(['channel-entered', 'dtmf', 'channel-ended']);
  });

  it('refuses the late channel of a call another node answered: hung up, none of its events reach the engine', async () => {
    const { a, b } = twoNodes();
    b.gate.enter(entered('b-1'), SIP_CALL);
    await flush();
    await b.engineAnswers('b-1');
    a.gate.enter(entered('a-1'), SIP_CALL);
    await flush();
    expect(a.hungUp).toEqual(['a-1']);
    a.event(ended('a-1'));
    expect(a.delivered).toEqual([]);
    expect(a.gate.counts).toMatchObject({ refused: 1, served: 0 });
  });

  it('makes the second channel wait while the first is unanswered, and refuses it once the first is answered', async () => {
    const { clock, a, b } = twoNodes();
    a.gate.enter(entered('a-1'), SIP_CALL);
    await flush();
    b.gate.enter(entered('b-1'), SIP_CALL);
    await flush();
    clock.advance(CLAIM_POLL_MS);
    await flush();
    expect(b.delivered).toEqual([]);
    expect(b.gate.holding).toBe(1);
    await a.engineAnswers('a-1');
    clock.advance(CLAIM_POLL_MS);
    await flush();
    expect(b.hungUp).toEqual(['b-1']);
    expect(b.delivered).toEqual([]);
  });

  it('serves the waiting channel once the first ends before its engine answered it (the edge cancelled it)', async () => {
    const { clock, claims: claimsOf, a, b } = twoNodes();
    a.gate.enter(entered('a-1'), SIP_CALL);
    await flush();
    b.gate.enter(entered('b-1'), SIP_CALL);
    await flush();
    a.event(ended('a-1'));
    await flush();
    clock.advance(CLAIM_POLL_MS);
    await flush();
    expect(b.delivered.map((e) => e.kind)).toEqual(['channel-entered']);
    expect(b.gate.counts).toMatchObject({ served: 1, waited: 1 });
    await b.engineAnswers('b-1');
    // a third channel of the call, later still, is refused
    const c = node(claimsOf, clock);
    c.gate.enter(entered('c-1'), SIP_CALL);
    await flush();
    expect(c.hungUp).toEqual(['c-1']);
  });

  it('drops a channel that ends while it waits: the engine never hears of it', async () => {
    const { clock, a, b } = twoNodes();
    a.gate.enter(entered('a-1'), SIP_CALL);
    await flush();
    b.gate.enter(entered('b-1'), SIP_CALL);
    await flush();
    b.event(ended('b-1'));
    clock.advance(CLAIM_POLL_MS);
    await flush();
    expect(b.delivered).toEqual([]);
    expect(b.gate.holding).toBe(0);
    expect(b.gate.counts.goneUnanswered).toBe(1);
  });

  it('takes over a claim that never answers after CLAIM_WAIT_MS (its engine gone)', async () => {
    const { clock, claims, b } = twoNodes();
    await claims.claim(SIP_CALL, 'a-1');
    b.gate.enter(entered('b-1'), SIP_CALL);
    for (let t = 0; t < CLAIM_WAIT_MS; t += CLAIM_POLL_MS) {
      await flush();
      expect(b.delivered).toEqual([]);
      clock.advance(CLAIM_POLL_MS);
    }
    await flush();
    expect(b.delivered).toHaveLength(1);
    expect(b.gate.counts.takenOver).toBe(1);
  });

  it('serves the channel without a claim when the claims cannot be read: the call is never dropped', async () => {
    const clock = new ManualClock();
    const broken: AttemptClaims = {
      claim: async () => {
        throw new Error('Connection is closed.');
      },
      answered: async () => false,
      release: async () => undefined,
    };
    const a = node(broken, clock);
    a.gate.enter(entered('a-1'), SIP_CALL);
    await flush();
    expect(a.delivered.map((e) => e.kind)).toEqual(['channel-entered']);
    expect(a.gate.counts.unchecked).toBe(1);
  });
});
