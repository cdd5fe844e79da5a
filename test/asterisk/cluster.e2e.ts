import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { gateVariable } from '../../src/admission/gate.ts';
import type { CallRecord } from '../../src/records/record.ts';
import { passed } from './lab/checks.ts';
import { type Cluster, hasDrachtio, startCluster } from './lab/cluster.ts';
import { ASTERISK_PREFIX, waitFor } from './lab/node.ts';
import { headerValues, killAllSipp, type SippRun } from './lab/sipp.ts';

// Issue 19 on the real servers: two Asterisk 22.10.1 nodes (systemname a and b, the project's own
// dialplan/ with the generated inter-node trunks), two engines (`hotline serve`, ARI_NODES to both
// nodes, apps hotline-1,2 and hotline-3,4), Redis, the SIP edge (`hotline edge` on a private
// drachtio-server), SIPp as the carrier (through the edge) and as the agents' softphones, each
// registered on one node. See test/asterisk/lab/cluster.ts. Skipped without drachtio-server
// (../shared/tools/drachtio/install.sh) or Asterisk.

const runnable = hasDrachtio() && existsSync(join(ASTERISK_PREFIX, 'sbin/asterisk'));
/** The edge's OPTIONS interval (EDGE_OPTIONS_MS, the contract's default). */
const OPTIONS_MS = 1000;
/** NODE_LOST_SECONDS, the contract's default. */
const NODE_LOST_SECONDS = 3;

let cluster: Cluster;
/** Set once a node is SIGKILLed: its calls' other legs may linger until their RTP timeout. */
let nodeKilled = false;
const loggedIn = new Set<string>();
let callerSeq = 0;
/** A caller number unique in the file: it finds the call's channel on whichever node it landed. */
const nextCaller = () => `1390000${String(++callerSeq).padStart(4, '0')}`;

const AGENTS = [
  { id: 'agent6001', node: 'a' },
  { id: 'agent6002', node: 'a' },
  { id: 'agent6003', node: 'b' },
  { id: 'agent6004', node: 'b' },
  { id: 'agent6005', node: 'b' },
  { id: 'agent6006', node: 'b' },
];

interface Channel {
  id: string;
  name: string;
  state: string;
  caller: { number: string };
}

/** The node whose Asterisk holds the carrier's channel of the call from `caller`, and the channel. */
async function whereIs(caller: string): Promise<{ node: string; channel: Channel } | undefined> {
  for (const n of cluster.nodes.values()) {
    if (!n.running()) continue;
    const chans = (await n.ari('GET', '/channels')).body as Channel[];
    const c = chans.find((x) => x.name.startsWith('PJSIP/carrier-') && x.caller.number === caller);
    if (c) return { node: n.name, channel: c };
  }
  return undefined;
}

/** Waits until the call from `caller` is Up and bridged with an agent leg on its node. */
async function bridged(caller: string, ms = 45_000): Promise<{ node: string; channel: Channel }> {
  return waitFor(
    `the call from ${caller.slice(-4)} bridged with an agent`,
    async () => {
      const at = await whereIs(caller);
      if (at?.channel.state !== 'Up') return undefined;
      const node = cluster.nodes.get(at.node)!;
      const bridges = (await node.ari('GET', '/bridges')).body as { channels: string[] }[];
      const b = bridges.find((x) => x.channels.includes(at.channel.id));
      return b && b.channels.length >= 2 ? at : undefined;
    },
    ms,
    250,
  );
}

async function readyAgent(id: string, behaviour: Parameters<Cluster['agent']>[1]): Promise<SippRun> {
  const run = await cluster.agent(id, behaviour);
  loggedIn.add(id);
  await cluster.ready(id);
  return run;
}

/** The records of calls from these callers' channels (call ids), waiting until all are written. */
async function recordsOf(callIds: string[], ms = 30_000): Promise<CallRecord[]> {
  return waitFor(
    () =>
      `records of ${callIds.join(', ')} (have ${cluster
        .records()
        .map((r) => r.callId)
        .join(', ')})`,
    () => {
      const all = cluster.records();
      const mine = callIds.map((id) => all.find((r) => r.callId === id));
      return mine.every(Boolean) ? (mine as CallRecord[]) : undefined;
    },
    ms,
    250,
  );
}

interface AgentView {
  id: string;
  state: string;
  callId?: string;
  deviceAvailable: boolean;
}
const agentViews = async () =>
  ((await cluster.api('GET', '/agents')).body as { agents: AgentView[] }).agents ?? [];

describe.skipIf(!runnable)('two Asterisk nodes, two engines and the SIP edge on the real servers', () => {
  beforeAll(async () => {
    cluster = await startCluster({ nodes: ['a', 'b'], engines: 2, agents: AGENTS });
  });

  afterEach(async () => {
    killAllSipp();
    for (const id of loggedIn) {
      await cluster.logout(id).catch(() => undefined);
      await cluster.unregister(id).catch(() => undefined);
    }
    loggedIn.clear();
    if (!nodeKilled) await cluster.settled('after the scenario');
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  it('gives every node its own name: channel ids start with the node name', async () => {
    for (const n of cluster.nodes.values()) {
      expect(await n.rx('core show settings')).toMatch(new RegExp(`System name:\\s+${n.name}\\s`));
      // the inter-node trunks of the generated file, one per node
      const endpoints = await n.rx('pjsip show endpoints');
      for (const other of cluster.nodes.keys()) expect(endpoints).toContain(`node-${other}`);
    }
  });

  it('refuses a number the plan does not answer with 404 (Q.850 cause 1) at the edge', async () => {
    const caller = nextCaller();
    const run = cluster.refused({ dialed: '99999', caller, status: 404 });
    await passed(run, 30_000);
    const refusal = run.received('404')[0]!;
    expect(headerValues(refusal, 'Reason').join(' ')).toMatch(/Q\.850;\s*cause=1\b/);
    // no node saw the call, and the edge's log never names the caller in full
    for (const n of cluster.nodes.values()) {
      expect(n.log()).not.toContain(caller);
      expect(n.log()).not.toContain('99999@');
    }
    expect(cluster.edgeOutput()).not.toContain(caller);
  });

  it('spreads calls over both nodes: their records name both nodes in their call ids', async () => {
    const ids = ['agent6001', 'agent6002', 'agent6003', 'agent6004'];
    for (const id of ids) await readyAgent(id, { kind: 'answers' });
    const callers = ids.map(() => nextCaller());
    const calls = callers.map((caller) => cluster.call({ dialed: '12345', caller, talkMs: 3000 }));
    const where = await Promise.all(callers.map((c) => bridged(c)));
    for (const run of calls) await passed(run);
    const records = await recordsOf(where.map((w) => w.channel.id));
    expect(new Set(where.map((w) => w.node))).toEqual(new Set(['a', 'b']));
    expect(new Set(records.map((r) => r.callId.split('-')[0]))).toEqual(new Set(['a', 'b']));
    for (const r of records) {
      expect(r.disposition).toBe('answered');
      expect(ids).toContain(r.agentId);
    }
  });

  it('lets an agent registered on node b answer a call that arrived on node a', async () => {
    await readyAgent('agent6003', { kind: 'answers' });
    const trunkLegs = await cluster.engineCounter('hotline_node_trunk_legs_total');
    const caller = nextCaller();
    // straight to node a (not through the edge): the call is on a whatever the edge would pick
    const run = cluster.call({ dialed: '12345', caller, to: 'a', talkMs: 4000 });
    const at = await bridged(caller);
    expect(at.node).toBe('a');
    // on node a the agent's leg leaves over the inter-node trunk; on node b it rings the softphone
    const a = cluster.nodes.get('a')!;
    const b = cluster.nodes.get('b')!;
    const onA = (await a.ari('GET', '/channels')).body as Channel[];
    expect(onA.some((c) => c.name.startsWith('PJSIP/node-b-'))).toBe(true);
    const shown = await b.rx('core show channels concise');
    expect(shown).toMatch(/^PJSIP\/agent6003-/m);
    // the engines count the leg that crossed nodes
    expect(await cluster.engineCounter('hotline_node_trunk_legs_total')).toBeGreaterThan(trunkLegs);
    await passed(run);
    const [record] = await recordsOf([at.channel.id]);
    expect(record!.callId.startsWith('a-')).toBe(true);
    expect(record!.agentId).toBe('agent6003');
    expect(record!.disposition).toBe('answered');
  });

  it("hands a SIGKILLed engine's calls over to the other engine, which ends and records them", async () => {
    const ids = ['agent6001', 'agent6002', 'agent6003', 'agent6004'];
    for (const id of ids) await readyAgent(id, { kind: 'answers' });
    const callers = ids.map(() => nextCaller());
    const e1 = cluster.engines[0]!;
    const e2 = cluster.engines[1]!;
    // The dialplan picks an app at random, so four calls could all land on e2. The first call
    // is made certain to be e1's: e2's apps are gated shut (share 0) on every node while it
    // enters, the way a shedding engine would, and opened again for the other three.
    const gateE2 = async (value: string) => {
      for (const n of cluster.nodes.values())
        for (const app of e2.apps) {
          const q = `variable=${gateVariable(app)}&value=${encodeURIComponent(value)}`;
          expect((await n.ari('POST', `/asterisk/variable?${q}`)).status).toBe(204);
        }
    };
    await gateE2('test:0');
    const calls = new Map<string, SippRun>();
    const where = new Map<string, { node: string; channel: Channel }>();
    try {
      calls.set(callers[0]!, cluster.call({ dialed: '12345', caller: callers[0]!, talkMs: 15_000 }));
      where.set(callers[0]!, await bridged(callers[0]!));
    } finally {
      await gateE2('');
    }
    for (const caller of callers.slice(1))
      calls.set(caller, cluster.call({ dialed: '12345', caller, talkMs: 15_000 }));
    for (const c of callers.slice(1)) where.set(c, await bridged(c));
    // which engine serves each call: the Stasis app its channel entered
    const appOf = async (c: string) => {
      const w = where.get(c)!;
      const ch = (await cluster.nodes.get(w.node)!.ari('GET', `/channels/${w.channel.id}`)).body as {
        dialplan?: { app_data?: string };
      };
      return (ch.dialplan?.app_data ?? '').split(',')[0];
    };
    const ofE1: string[] = [];
    for (const c of callers) if (e1.apps.includes((await appOf(c)) ?? '')) ofE1.push(c);
    expect(ofE1.length).toBeGreaterThan(0);

    await cluster.killEngine(0);
    // the calls carry on to the caller's hang-up; each ends with one record, written by e2
    for (const run of calls.values()) await passed(run);
    const ids1 = ofE1.map((c) => where.get(c)!.channel.id);
    const records = await recordsOf(ids1, 30_000);
    for (const r of records) {
      expect(r.disposition).toBe('answered');
      expect(ids).toContain(r.agentId);
    }
    for (const id of ids1) expect(cluster.records().filter((r) => r.callId === id)).toHaveLength(1);
    // and no agent stays on them
    await waitFor(
      'no agent on a call of the killed engine',
      async () =>
        (await agentViews()).every((v) => !(v.callId && ids1.includes(v.callId) && v.state === 'on-call')),
      15_000,
      250,
    );
    // the killed engine comes back and gets its identity back
    await cluster.startEngine(0);
  });

  it("answers once a call whose first node stalled past the edge's Trying timeout: the late channel refused, one record, one agent", async () => {
    // Node a stops (SIGSTOP) as a call arrives: if the edge gave it to a first, a sends no 100
    // Trying, and the edge moves the call on to b. Resumed, a takes the INVITE late: without the
    // claim on the call's SIP Call-ID, a's engine would answer it too (a second 200 to the
    // carrier, a second agent, a second record).
    const ids = ['agent6003', 'agent6004'];
    for (const id of ids) await readyAgent(id, { kind: 'answers' });
    const a = cluster.nodes.get('a')!;
    const b = cluster.nodes.get('b')!;
    const edgeCount = async (name: string, node: string) =>
      Number(
        new RegExp(`${name}\\{node="${node}"\\} (\\d+)`).exec(
          (await cluster.edgeHttp('/metrics')).body,
        )?.[1] ?? 0,
      );
    const engineCount = (outcome: string) =>
      cluster.engineCounter(`hotline_carrier_call_channels_total{outcome="${outcome}"}`);
    const answeredToday = async () =>
      (await agentViews()).reduce(
        (n, v) => n + ((v as { today?: { callsAnswered?: number } }).today?.callsAnswered ?? 0),
        0,
      );
    const onB = async (caller: string) =>
      ((await b.ari('GET', '/channels')).body as Channel[]).find(
        (c) => c.name.startsWith('PJSIP/carrier-') && c.caller.number === caller,
      );
    let movedOn = false;
    // The edge gives calls to the nodes in turn: of three calls in a row, one goes to a first.
    for (let i = 0; i < 3 && !movedOn; i++) {
      await waitFor('the edge to see node a up', async () => {
        const health = JSON.parse((await cluster.edgeHttp('/health')).body) as {
          nodes: { name: string; up: boolean }[];
        };
        return health.nodes.find((n) => n.name === 'a')?.up;
      });
      const failuresBefore = await edgeCount('hotline_edge_node_failures_total', 'a');
      const answeredBefore = await answeredToday();
      const refusedBefore = {
        refused: await engineCount('refused'),
        gone: await engineCount('gone-unanswered'),
        served: await engineCount('served'),
      };
      const caller = nextCaller();
      process.kill(a.pid, 'SIGSTOP');
      let run: SippRun;
      let channel: Channel;
      try {
        run = cluster.call({ dialed: '12345', caller, talkMs: 2000 });
        channel = await waitFor(`the call from ${caller.slice(-4)} on node b`, () => onB(caller), 20_000, 50);
      } finally {
        process.kill(a.pid, 'SIGCONT');
      }
      // SIPp fails a call that gets a second 200 (another dialog) or an unexpected message
      await passed(run);
      movedOn = (await edgeCount('hotline_edge_node_failures_total', 'a')) > failuresBefore;
      if (!movedOn) continue;
      await recordsOf([channel.id]);
      await cluster.settled('after the call a stalled node took late');
      const masked = `${caller.slice(0, 3)}******${caller.slice(-2)}`;
      const records = cluster.records().filter((r) => r.callerMasked === masked);
      expect(records.map((r) => [r.callId, r.disposition])).toEqual([[channel.id, 'answered']]);
      expect(await answeredToday()).toBe(answeredBefore + 1);
      // b's channel went through the claim (the SIP Call-ID reached its engine)
      expect(await engineCount('served')).toBe(refusedBefore.served + 1);
      // a's late channel: refused by its engine, gone before it answered, or cancelled by the edge
      // before it reached an engine (then no engine counts it)
      console.log(
        `cluster: a call moved on from a stalled node, answered once; late channels refused ${
          (await engineCount('refused')) - refusedBefore.refused
        }, gone unanswered ${(await engineCount('gone-unanswered')) - refusedBefore.gone}`,
      );
    }
    expect(movedOn).toBe(true);
  });

  it('loses only the calls of a SIGKILLed node: recorded pbx-lost, the other node untouched, new calls to the other node, no agent left reserved', async () => {
    const first = ['agent6001', 'agent6002', 'agent6003', 'agent6004'];
    for (const id of first) await readyAgent(id, { kind: 'answers' });
    const callers = first.map(() => nextCaller());
    const calls = new Map(
      callers.map((caller) => [caller, cluster.call({ dialed: '12345', caller, talkMs: 20_000 })]),
    );
    const where = new Map<string, { node: string; channel: Channel }>();
    for (const c of callers) where.set(c, await bridged(c));
    const onA = callers.filter((c) => where.get(c)!.node === 'a');
    const onB = callers.filter((c) => where.get(c)!.node === 'b');
    expect(onA.length).toBeGreaterThan(0);
    expect(onB.length).toBeGreaterThan(0);
    // two more agents on node b, free for the calls that come after the kill
    for (const id of ['agent6005', 'agent6006']) await readyAgent(id, { kind: 'answers' });

    const lostAgents = (await agentViews())
      .filter((v) => v.callId && onA.some((c) => where.get(c)!.channel.id === v.callId))
      .map((v) => v.id);
    expect(lostAgents.length).toBe(onA.length);
    let lastViews: AgentView[] = [];
    nodeKilled = true;
    await cluster.killNode('a');
    const killedAt = Date.now();
    // one new call at once (the edge still believes a is up: it must move on to b) and one an
    // OPTIONS interval later (by then a must be down at the edge)
    const newCallers = [nextCaller(), nextCaller()];
    // each new call is watched from the start: it may be over before the checks below are
    const watch = (caller: string) => {
      const p = bridged(caller);
      p.catch(() => undefined);
      return p;
    };
    const newCalls = [cluster.call({ dialed: '12345', caller: newCallers[0]!, talkMs: 8000 })];
    const newBridged = [watch(newCallers[0]!)];
    await new Promise((r) => setTimeout(r, Math.max(0, killedAt + OPTIONS_MS - Date.now())));
    newCalls.push(cluster.call({ dialed: '12345', caller: newCallers[1]!, talkMs: 8000 }));
    newBridged.push(watch(newCallers[1]!));

    // the dead node's calls end with records, as pbx-lost
    const lostIds = onA.map((c) => where.get(c)!.channel.id);
    const lost = await recordsOf(lostIds, (NODE_LOST_SECONDS + 20) * 1000);
    for (const r of lost) expect(r.disposition).toBe('pbx-lost');
    const lostWithin = Math.max(...lost.map((r) => Date.parse(r.times.endedAt))) - killedAt;
    expect(lostWithin).toBeLessThan((NODE_LOST_SECONDS + 5) * 1000);

    // no agent stays reserved for, or on, one of the lost calls
    await waitFor(
      () => `no agent reserved for or on a lost call (agents ${JSON.stringify(lastViews)})`,
      async () => {
        lastViews = await agentViews();
        return lastViews.every(
          (v) =>
            !(v.callId && lostIds.includes(v.callId)) &&
            !(lostAgents.includes(v.id) && (v.state === 'reserved' || v.state === 'on-call')),
        );
      },
      15_000,
      250,
    );

    // the new calls went to node b and were answered there
    const newWhere = await Promise.all(newBridged);
    expect(newWhere.map((w) => w.node)).toEqual(['b', 'b']);
    for (const run of newCalls) await passed(run);

    // the other node's calls were untouched: talked to the end, hung up by the caller, recorded
    for (const c of onB) await passed(calls.get(c)!);
    const kept = await recordsOf(onB.map((c) => where.get(c)!.channel.id));
    for (const r of kept) {
      expect(r.disposition).toBe('answered');
      expect(r.callId.startsWith('b-')).toBe(true);
    }
    const fresh = await recordsOf(newWhere.map((w) => w.channel.id));
    for (const r of fresh) expect(r.disposition).toBe('answered');
  });
});
