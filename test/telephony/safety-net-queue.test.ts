import { afterEach, describe, expect, it } from 'vitest';
import { type Agent, type AgentStatus, initialStatus } from '../../src/acd/agent.ts';
import { MemoryAcdStore } from '../../src/acd/store/memory.ts';
import { systemClock } from '../../src/clock.ts';
import { createLogger } from '../../src/log.ts';
import type { SimAmiServer } from '../../src/sim/ami-server.ts';
import { type AriSimulator, startAriSimulator } from '../../src/sim/index.ts';
import { AmiClient } from '../../src/telephony/ami/ami-client.ts';
import {
  memberOf,
  memberOnNode,
  SAFETY_NET_QUEUE,
  SafetyNetQueue,
  type SafetyNetQueueOptions,
} from '../../src/telephony/ami/safety-net-queue.ts';

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

/** A second AMI connection to the simulator, as an operator's or another process's would be. */
function otherAmiClient(): AmiClient {
  return new AmiClient({
    host: '127.0.0.1',
    port: sim!.ami!.port,
    user: sim!.ami!.user,
    secret: sim!.ami!.secret,
    clock: systemClock,
    logger: silent,
  });
}

async function setUp(options: Pick<SafetyNetQueueOptions, 'keeper' | 'node'> = {}) {
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
  /** Interface, state interface, whether rung in use. */
  const wiring = () =>
    server
      .members(SAFETY_NET_QUEUE)
      .map((m) => `${m.interface} state=${m.stateInterface}${m.ringInUse ? ' ringinuse' : ''}`)
      .sort();
  return { store, server, members, wiring, sync, ami };
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
    const probe = otherAmiClient();
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

describe('the member an agent is', () => {
  const agentIn = (state: AgentStatus['state'], notReadyReason?: string): Agent => ({
    id: 'a1',
    name: 'a1',
    centerId: 'c',
    endpoint: 'PJSIP/a1',
    pools: [],
    skills: {},
    expertSeats: [],
    status: {
      ...initialStatus(0),
      state,
      endpoint: 'PJSIP/a1',
      ...(notReadyReason ? { notReadyReason } : {}),
    },
  });

  it('stays one paused member, reason busy, from an offer to the end of the wrap-up: no QueuePause per step of a call', () => {
    const busy = ['reserved', 'on-call', 'wrap-up'].map((s) => memberOf(agentIn(s as AgentStatus['state'])));
    expect(busy).toEqual(Array(3).fill({ interface: 'PJSIP/a1', name: 'a1', paused: true, reason: 'busy' }));
    expect(memberOf(agentIn('ready'))).toMatchObject({ paused: false, reason: '' });
    expect(memberOf(agentIn('not-ready', 'lunch'))).toMatchObject({
      paused: true,
      reason: 'not-ready: lunch',
    });
    expect(memberOf(agentIn('not-ready'))).toMatchObject({ paused: true, reason: 'not-ready' });
    expect(memberOf(agentIn('logged-out'))).toBeUndefined();
  });
});

describe('the safety-net queue of one node among several', () => {
  /** Where each phone is registered, as telephony/node-presence.ts would say. */
  function registrations(initial: Record<string, string[]> = {}) {
    const where = new Map(Object.entries(initial).map(([e, nodes]) => [e, new Set(nodes)]));
    return {
      where,
      locate: (endpoint: string) => where.get(endpoint),
      move: (endpoint: string, nodes: string[]) => where.set(endpoint, new Set(nodes)),
    };
  }

  async function readyAgent(id: string) {
    const store = new MemoryAcdStore({ centerId: 'c', clock: systemClock });
    await store.upsertAgents([{ id, name: id, centerId: 'c', endpoint: `PJSIP/${id}` }]);
    await store.login(id, `PJSIP/${id}`);
    await store.ready(id);
    return (await store.getAgent(id))!;
  }

  it('makes an agent registered on the queue’s own node a member at its own endpoint', async () => {
    const agent = await readyAgent('agent1001');
    const { locate } = registrations({ 'PJSIP/agent1001': ['a'] });
    expect(memberOnNode(agent, 'a', locate)).toEqual(memberOf(agent));
    expect(memberOnNode(agent, 'a', locate)).toEqual({
      interface: 'PJSIP/agent1001',
      name: 'agent1001',
      paused: false,
      reason: '',
    });
    // registered on this node and another: still the local phone
    expect(memberOnNode(agent, 'a', registrations({ 'PJSIP/agent1001': ['b', 'a'] }).locate)).toEqual(
      memberOf(agent),
    );
  });

  it('makes an agent registered only on another node a member through the inter-node trunk, with the trunk’s state', async () => {
    const agent = await readyAgent('agent1001');
    expect(memberOnNode(agent, 'a', registrations({ 'PJSIP/agent1001': ['b'] }).locate)).toEqual({
      interface: 'PJSIP/agent1001@node-b',
      stateInterface: 'PJSIP/node-b',
      name: 'agent1001',
      paused: false,
      reason: '',
    });
    // on two other nodes: the first of them, as the engine dials it
    expect(memberOnNode(agent, 'a', registrations({ 'PJSIP/agent1001': ['c', 'b'] }).locate)?.interface).toBe(
      'PJSIP/agent1001@node-b',
    );
  });

  it('keeps the agent’s own endpoint where its location is unknown, as a single node does', async () => {
    const agent = await readyAgent('agent1001');
    expect(memberOnNode(agent, 'a', registrations().locate)).toEqual(memberOf(agent));
    // registered nowhere any more
    expect(memberOnNode(agent, 'a', registrations({ 'PJSIP/agent1001': [] }).locate)).toEqual(
      memberOf(agent),
    );
  });

  it('adds an agent registered on another node through the trunk, rung although the trunk is in use', async () => {
    const reg = registrations({ 'PJSIP/a1': ['b'], 'PJSIP/a2': ['a'] });
    const { store, members, wiring, sync, ami } = await setUp({ node: { name: 'a', locate: reg.locate } });
    await ami.start();
    await store.login('a1', 'PJSIP/a1');
    await store.ready('a1');
    await store.login('a2', 'PJSIP/a2');
    await until('both added', () => members().length === 2);
    await sync.settled();
    expect(members()).toEqual(['PJSIP/a1@node-b a1 ready', 'PJSIP/a2 a2 ready']);
    expect(wiring()).toEqual(['PJSIP/a1@node-b state=PJSIP/node-b ringinuse', 'PJSIP/a2 state=PJSIP/a2']);
    // a pause reaches the member through the trunk too
    await store.notReady('a1', 'lunch');
    await until('a1 paused', () => members()[0] === 'PJSIP/a1@node-b a1 paused(not-ready: lunch)');
    expect(sync.refused).toBe(0);
  });

  it('replaces the member when the agent’s registration moves between nodes', async () => {
    const reg = registrations({ 'PJSIP/a1': ['a'] });
    const { store, members, wiring, sync, ami } = await setUp({ node: { name: 'a', locate: reg.locate } });
    await ami.start();
    await store.login('a1', 'PJSIP/a1');
    await store.notReady('a1', 'break');
    await until('a1 added', () => members().length === 1);
    await sync.settled();
    expect(wiring()).toEqual(['PJSIP/a1 state=PJSIP/a1']);

    // the phone registers on b instead of a
    reg.move('PJSIP/a1', ['b']);
    sync.registrationsMoved(['PJSIP/a1', 'PJSIP/unknown']);
    await until('through the trunk', () => wiring()[0] === 'PJSIP/a1@node-b state=PJSIP/node-b ringinuse');
    await sync.settled();
    expect(members()).toEqual(['PJSIP/a1@node-b a1 paused(not-ready: break)']);

    // then on c
    reg.move('PJSIP/a1', ['c']);
    sync.registrationsMoved(['PJSIP/a1']);
    await until(
      'through the other trunk',
      () => wiring()[0] === 'PJSIP/a1@node-c state=PJSIP/node-c ringinuse',
    );

    // back on a
    reg.move('PJSIP/a1', ['a']);
    sync.registrationsMoved(['PJSIP/a1']);
    await until('local again', () => wiring().join() === 'PJSIP/a1 state=PJSIP/a1');
    await sync.settled();
    expect(members()).toEqual(['PJSIP/a1 a1 paused(not-ready: break)']);
    expect(sync.refused).toBe(0);
  });

  it('on (re)connection counts a member at the wrong interface as a difference and replaces it', async () => {
    const reg = registrations({ 'PJSIP/a1': ['b'], 'PJSIP/a2': ['b'] });
    const { store, server, members, wiring, sync, ami } = await setUp({
      node: { name: 'a', locate: reg.locate },
    });
    await store.login('a1', 'PJSIP/a1');
    await store.ready('a1');
    await store.login('a2', 'PJSIP/a2');
    await store.ready('a2');
    // The queue holds a1 at its local endpoint (added while its phone was here) and a2 through
    // the right trunk but with the trunk's state forgotten: rung only when the trunk is idle.
    const probe = otherAmiClient();
    await probe.start();
    await probe.action({
      action: 'QueueAdd',
      queue: SAFETY_NET_QUEUE,
      interface: 'PJSIP/a1',
      membername: 'a1',
    });
    await probe.action({
      action: 'QueueAdd',
      queue: SAFETY_NET_QUEUE,
      interface: 'PJSIP/a2@node-b',
      membername: 'a2',
      stateinterface: 'PJSIP/node-b',
    });
    await probe.stop();
    await ami.start();
    await until(
      'the full comparison',
      () => wiring().every((w) => w.endsWith('ringinuse')) && wiring().length === 2,
    );
    await sync.settled();
    expect(wiring()).toEqual([
      'PJSIP/a1@node-b state=PJSIP/node-b ringinuse',
      'PJSIP/a2@node-b state=PJSIP/node-b ringinuse',
    ]);
    expect(members()).toEqual(['PJSIP/a1@node-b a1 ready', 'PJSIP/a2@node-b a2 ready']);

    // A member whose state interface is wrong (the queue's own, not the trunk's) is replaced too.
    server.dropConnections();
    await until('the outage', () => !ami.connected);
    const again = otherAmiClient();
    await again.start();
    await again.action({ action: 'QueueRemove', queue: SAFETY_NET_QUEUE, interface: 'PJSIP/a2@node-b' });
    await again.action({
      action: 'QueueAdd',
      queue: SAFETY_NET_QUEUE,
      interface: 'PJSIP/a2@node-b',
      membername: 'a2',
    });
    await again.stop();
    await until('the reconnection', () => ami.reconnects === 1);
    await until(
      'a2 replaced',
      () =>
        wiring().join() ===
        'PJSIP/a1@node-b state=PJSIP/node-b ringinuse,PJSIP/a2@node-b state=PJSIP/node-b ringinuse',
    );
    await sync.settled();
    expect(sync.refused).toBe(0);
  });
});
