import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.ts';
import { createLogger } from '../../src/log.ts';
import { type AriSimulator, startAriSimulator } from '../../src/sim/index.ts';
import { AriAdapter } from '../../src/telephony/ari/ari-adapter.ts';
import { MemoryAttemptClaims } from '../../src/telephony/attempt-claims.ts';
import type { TelephonyEvent } from '../../src/telephony/port.ts';

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function adapterOnSim(
  claims?: MemoryAttemptClaims,
): Promise<{ sim: AriSimulator; adapter: AriAdapter; events: TelephonyEvent[] }> {
  const sim = await startAriSimulator({ logger: createLogger({ level: 'silent' }) });
  cleanup.push(() => sim.stop());
  const adapter = new AriAdapter({
    url: sim.url,
    user: 'hotline',
    password: 'hotline',
    apps: ['hotline'],
    logger: createLogger({ level: 'silent' }),
    clock: systemClock,
    ...(claims ? { attemptClaims: claims } : {}),
  });
  cleanup.push(() => adapter.stop());
  const events: TelephonyEvent[] = [];
  await adapter.start((e) => events.push(e));
  return { sim, adapter, events };
}

async function until(what: string, predicate: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const entries = (events: TelephonyEvent[], channelId: string) =>
  events.filter((e) => e.kind === 'channel-entered' && e.channelId === channelId);

describe('what the apps own after a reconnect', () => {
  it('reports the empty Stasis bridges its caller claims, whatever their ids look like, and no other', async () => {
    const { adapter } = await adapterOnSim();
    await adapter.createBridge('holding-7');
    await adapter.createBridge('someone-b1');
    const claimed = await adapter.owned((id) => id === 'holding-7');
    expect(claimed.bridges).toEqual(['holding-7']);
    const unclaimed = await adapter.owned();
    expect(unclaimed.bridges).toEqual([]);
  });
});

// Several nodes behind the SIP edge: the carrier's call `sip-1` reached this node's channel while
// another node's channel ('b-1') held its claim (see AttemptGate).
describe('carrier calls in the listing after an outage', () => {
  const SIP = 'sip-1@carrier';

  it("leaves out a channel held on another node's claim, and lists a served one with its SIP Call-ID", async () => {
    const claims = new MemoryAttemptClaims(() => Date.now());
    await claims.claim(SIP, 'b-1', false);
    const { sim, adapter, events } = await adapterOnSim(claims);
    const held = sim.injectCall({
      app: 'hotline',
      dialed: '12345',
      callerNumber: '13800138000',
      sipCallId: SIP,
    }).channelId;
    const alone = sim.injectCall({
      app: 'hotline',
      dialed: '12345',
      callerNumber: '13800138001',
      sipCallId: 'sip-2@carrier',
    }).channelId;
    await until('the lone call served', () => entries(events, alone).length === 1);
    const before = adapter.restStats.requests;
    const listing = await adapter.owned();
    // The application, then the served channel alone: the held one costs no request.
    expect(adapter.restStats.requests - before).toBe(2);
    expect(listing.channels.map((c) => [c.id, c.sipCallId])).toEqual([[alone, 'sip-2@carrier']]);
    expect(entries(events, held)).toEqual([]);
    // b-1 goes away unanswered: the held channel is served, and listed from then on.
    await claims.release(SIP, 'b-1');
    await until('the held call served', () => entries(events, held).length === 1);
    expect((await adapter.owned()).channels.map((c) => c.id).sort()).toEqual([alone, held].sort());
  });

  it("hangs up, never hands to the engine, a listed channel whose call another node's channel answered", async () => {
    const claims = new MemoryAttemptClaims(() => Date.now());
    const { sim, adapter, events } = await adapterOnSim(claims);
    await claims.claim(SIP, 'b-1', false);
    await claims.answered(SIP, 'b-1');
    // A channel the engine meets in a listing only (here it had entered without a Call-ID; what
    // is asserted is what the claim does with a listed channel handed to `admit`).
    const { channelId } = sim.injectCall({ app: 'hotline', dialed: '12345', callerNumber: '13800138000' });
    await until('the channel entered', () => entries(events, channelId).length === 1);
    events.length = 0;
    adapter.admit(
      {
        kind: 'channel-entered',
        app: 'hotline',
        channelId,
        args: [],
        dialed: '12345',
        callerNumber: '13800138000',
        callerName: '',
        state: 'Ring',
      },
      SIP,
    );
    await until('the channel hung up', async () => !(await adapter.channelExists(channelId)));
    expect(entries(events, channelId)).toEqual([]);
    expect(adapter.attemptCounts?.refused).toBe(1);
  });

  it("keeps the claim of a call handed to the dialplan's safety net: another node's channel of it is refused", async () => {
    const claims = new MemoryAttemptClaims(() => Date.now());
    const { sim, adapter, events } = await adapterOnSim(claims);
    const { channelId } = sim.injectCall({
      app: 'hotline',
      dialed: '12345',
      callerNumber: '13800138000',
      sipCallId: SIP,
    });
    await until('the call served', () => entries(events, channelId).length === 1);
    await adapter.continueInDialplan(channelId, {
      context: 'hotline-safety-net',
      extension: 's',
      priority: 1,
    });
    await until('the claim marked', async () => (await claims.claim(SIP, 'b-1', false)) === 'refuse');
  });
});
