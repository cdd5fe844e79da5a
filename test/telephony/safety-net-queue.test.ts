import { afterEach, describe, expect, it } from 'vitest';
import { MemoryAcdStore } from '../../src/acd/store/memory.ts';
import { systemClock } from '../../src/clock.ts';
import { createLogger } from '../../src/log.ts';
import type { SimAmiServer } from '../../src/sim/ami-server.ts';
import { type AriSimulator, startAriSimulator } from '../../src/sim/index.ts';
import { AmiClient } from '../../src/telephony/ami/ami-client.ts';
import { SAFETY_NET_QUEUE, SafetyNetQueue } from '../../src/telephony/ami/safety-net-queue.ts';

const silent = createLogger({ level: 'silent' });
let sim: AriSimulator | undefined;
let ami: AmiClient | undefined;
let sync: SafetyNetQueue | undefined;

afterEach(async () => {
  sync?.stop();
  await ami?.stop();
  await sim?.stop();
  sim = undefined;
  ami = undefined;
  sync = undefined;
});

async function until(what: string, predicate: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function setUp(options: { keeper?: boolean } = {}) {
  sim = await startAriSimulator({ ami: true, logger: silent });
  const store = new MemoryAcdStore({ centerId: 'c', clock: systemClock });
  await store.upsertAgents(
    ['a1', 'a2', 'a3'].map((id) => ({ id, name: id, centerId: 'c', endpoint: `PJSIP/${id}` })),
  );
  ami = new AmiClient({
    host: '127.0.0.1',
    port: sim.ami!.port,
    user: sim.ami!.user,
    secret: sim.ami!.secret,
    clock: systemClock,
    logger: silent,
    backoff: { initialMs: 20, maxMs: 100 },
    actionTimeoutMs: 2000,
  });
  sync = new SafetyNetQueue({ ami, store, logger: silent, ...options });
  sync.start();
  const server = sim.amiServer as SimAmiServer;
  const members = () =>
    server
      .members(SAFETY_NET_QUEUE)
      .map((m) => `${m.interface} ${m.name} ${m.paused ? `paused(${m.reason})` : 'ready'}`)
      .sort();
  return { store, server, members, sync, ami };
}

describe('the safety-net queue kept in step with the agents over AMI', () => {
  it('adds an agent at login (paused), unpauses when ready, pauses with a reason, removes at logout', async () => {
    const { store, members, sync, ami } = await setUp();
    await ami.start();
    await store.login('a1', 'PJSIP/a1');
    await until('the login', () => members().length === 1);
    await sync.settled();
    expect(members()).toEqual(['PJSIP/a1 a1 ready']);
    await store.notReady('a1', 'lunch');
    await until('not ready', () => members()[0] === 'PJSIP/a1 a1 paused(not-ready: lunch)');
    await store.ready('a1');
    await store.login('a2', 'PJSIP/a2');
    await store.ready('a2');
    await until('two ready', () => members().join() === 'PJSIP/a1 a1 ready,PJSIP/a2 a2 ready');
    await store.logout('a1');
    await until('the logout', () => members().join() === 'PJSIP/a2 a2 ready');
    expect(sync.refused).toBe(0);
    // removed behind the engine's back: the next change adds it again
    await ami.action({ action: 'QueueRemove', queue: SAFETY_NET_QUEUE, interface: 'PJSIP/a2' });
    await store.notReady('a2', 'training');
    await until('a2 back, paused', () => members().join() === 'PJSIP/a2 a2 paused(not-ready: training)');
    expect(sync.refused).toBe(0);
  });

  it('on (re)connection compares the queue with the agents and sends only the difference', async () => {
    const { store, server, members, sync, ami } = await setUp();
    // Before AMI is reached: a1 ready, a2 not ready; the queue holds a stale a3 and a wrong a1.
    await store.login('a1', 'PJSIP/a1');
    await store.ready('a1');
    await store.login('a2', 'PJSIP/a2');
    await store.notReady('a2', 'break');
    const probe = new AmiClient({
      host: '127.0.0.1',
      port: sim!.ami!.port,
      user: sim!.ami!.user,
      secret: sim!.ami!.secret,
      clock: systemClock,
      logger: silent,
    });
    await probe.start();
    await probe.action({
      action: 'QueueAdd',
      queue: SAFETY_NET_QUEUE,
      interface: 'PJSIP/a3',
      membername: 'a3',
    });
    await probe.action({
      action: 'QueueAdd',
      queue: SAFETY_NET_QUEUE,
      interface: 'PJSIP/a1',
      membername: 'a1',
      paused: 'true',
      reason: 'stale',
    });
    await probe.stop();
    await ami.start();
    await until('the full comparison', () => members().length === 2 && members()[0] === 'PJSIP/a1 a1 ready');
    await sync.settled();
    expect(members()).toEqual(['PJSIP/a1 a1 ready', 'PJSIP/a2 a2 paused(not-ready: break)']);

    // AMI drops; meanwhile a2 becomes ready and a1 logs out: the reconnection catches up.
    server.dropConnections();
    await until('the outage', () => !ami.connected);
    await store.ready('a2');
    await store.logout('a1');
    await until('the reconnection', () => ami.reconnects === 1);
    await until('the catch-up', () => members().join() === 'PJSIP/a2 a2 ready');
    await sync.settled();
    expect(sync.refused).toBe(0);
  });

  it('sends nothing while another engine keeps the queue, and compares everything once it keeps it', async () => {
    const { store, server, members, sync, ami } = await setUp({ keeper: false });
    await ami.start();
    await store.login('a1', 'PJSIP/a1');
    await store.ready('a1');
    await store.login('a2', 'PJSIP/a2');
    await store.notReady('a2', 'break');
    await sync.settled();
    expect(members()).toEqual([]);
    expect(sync.keeping).toBe(false);
    sync.setKeeper(true);
    await until('the keeper’s full comparison', () => members().length === 2);
    await sync.settled();
    expect(members()).toEqual(['PJSIP/a1 a1 ready', 'PJSIP/a2 a2 paused(not-ready: break)']);
    // standing by again: changes are left to the new keeper
    sync.setKeeper(false);
    await store.logout('a1');
    await sync.settled();
    expect(members()).toEqual(['PJSIP/a1 a1 ready', 'PJSIP/a2 a2 paused(not-ready: break)']);
    expect(server.members(SAFETY_NET_QUEUE)).toHaveLength(2);
  });
});
