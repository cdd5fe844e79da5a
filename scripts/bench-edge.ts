/**
 * Calls per second through the SIP edge with one Asterisk node, then two, in one run, and the
 * time to ring the edge adds, on the real servers (test/asterisk/lab/cluster.ts: Asterisk
 * 22.10.1 nodes with systemname and the project's own dialplan/, `hotline serve` engines on
 * ARI_NODES, Redis, `hotline edge` on a private drachtio-server, SIPp as the carrier and as every
 * agent's softphone).
 *
 *   npm run bench:edge [-- --quick] [--rates 20,40,…] [--step-seconds N] [--ring-calls N]
 *                      [--agents-per-node N] [--pin] [--node-cpu PCT] [--ring-only] [--edge-unpinned]
 *
 * For 1 node (one engine), then 2 nodes (two engines, each on both nodes), each node with its own
 * agents registered on it (all from one SIPp address per node, answering at once):
 *
 * 1. Time to ring (the 1-node cluster first): carrier INVITE sent → agent INVITE received, from
 *    SIPp's own message timestamps (one host, one clock), matched on the caller's number. Calls
 *    through the edge and calls straight to the node alternate (two carriers, each at half the
 *    rate, offset by half a period); the edge's share is the difference of the two paths'
 *    percentiles → {"edgeAddedMsP50", "edgeAddedMsP99"}.
 * 2. Load steps of increasing new calls/s through the edge (each `--step-seconds`, the caller
 *    hangs up 0.5 s after the answer): offered, connected (agent legs answered and acknowledged),
 *    lost (offered, not connected), retransmissions (every retransmission SIPp sent or received,
 *    carrier and agents), calls the edge moved on from a node that failed them (its /metrics),
 *    CPU of each process. The steps of a cluster stop at the first one with a retransmission, a
 *    call failed at the carrier, a node failing an INVITE the edge gave it, or not paced (the
 *    carrier took over 3 s longer than the step to place its calls: SIPp's limit of calls up held
 *    new ones back), or with channels left after its drain. The rates between the highest clean
 *    step and that one are then bisected to within 1 call/s (not with `--quick`), so that the
 *    ratio is not the steps' rounding: the highest clean rate is {"nodes": N,
 *    "cleanCallsPerSecond"}, and `completeCallsPerSecond` the highest of the ascending steps up to
 *    which every call also connected and ended.
 *    Before the steps, {"nodes", "idleCpuPct", "settledAfterS"}: each process's CPU over 10 s
 *    with the agents registered and no call (what a node costs before any call), once the work
 *    the logins left has settled (the steps start after it); each step's line gives
 *    `agentLegsViaTrunk`, the agent legs the engines dialled through the inter-node trunk (each
 *    loads both nodes: NODE_AFFINITY keeps them few).
 * 3. The ratio line: clean rate with 2 nodes ÷ with 1 (the goal: ≥ 1.7).
 *
 * `--ring-only`: only 1 (time to ring, on the 1-node cluster), about 4 minutes instead of half an
 * hour.
 *
 * The edge's two processes, drachtio-server and `hotline edge`, share one CPU (the last; `taskset`
 * on all their threads), as docker-compose.yml deploys them (EDGE_CPU): every INVITE crosses from
 * one to the other and back, and on a CPU they share each crossing is a wake-up on the same core
 * instead of one on another core (an inter-processor interrupt, costly in a virtual machine).
 * `--edge-unpinned` leaves them where the kernel puts them, to measure what the pinning saves.
 *
 * `--pin`: each Asterisk node runs on one CPU of its own (`taskset` on all its threads: node a on
 * CPU 0, node b on CPU 1), as on hosts of one core each: one node is then held to one core, and
 * two nodes get two. The engines and SIPp run where the kernel puts them, the edge on its CPU (the
 * last), on the same cores. Without it the nodes share every core, and on a machine of two cores the
 * ratio says how far those two cores go, not what a second host adds.
 *
 * `--node-cpu PCT`: each Asterisk node gets PCT % of one CPU (a cgroup of its own with a CFS quota,
 * test/asterisk/bench/cpu-budget.ts; root only), from the load steps on (time to ring is measured
 * without it), as hosts of a fixed, equal capacity each: the node, not the machine, is then what
 * runs out first, provided the budgets leave the rest (engines, edge, drachtio, SIPp) room on the
 * machine's cores. Without it, two nodes on two cores share them with everything else, and the
 * ratio says how far those cores go. Each step's line then carries `throttledMs` per node: time
 * its quota held it back (a node at its budget), and the steps default to 5 calls/s apart.
 *
 * One JSON line per measurement on stdout, progress on stderr. Figures, not assertions; every
 * line carries the load average: on a shared machine other work takes CPU too, and two nodes on
 * the same cores share them (the ratio then says what the cores allow, not what two machines do).
 * Bounded: at most 400 calls/s a step, 60 s a step, 2000 timed calls.
 */

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Random } from '../src/synthetic/random.ts';
import { agentsOn, contactsOn, readyAll, waitAgentsReady } from '../test/asterisk/bench/bench-lab.ts';
import { type CpuBudget, cpuBudgetUnavailable, setCpuBudget } from '../test/asterisk/bench/cpu-budget.ts';
import { childrenMatching, cpuMs, loadAverage } from '../test/asterisk/bench/proc.ts';
import {
  fromUser,
  killAllLoadSipp,
  type LoadSippRun,
  parseTimedMessages,
  startLoadSipp,
  stepCount,
  sumCounts,
} from '../test/asterisk/bench/sipp-load.ts';
import { type Cluster, type ClusterNode, hasDrachtio, startCluster } from '../test/asterisk/lab/cluster.ts';
import type { Lab } from '../test/asterisk/lab/lab.ts';
import { killAllSipp } from '../test/asterisk/lab/sipp.ts';

const USAGE =
  'usage: npm run bench:edge [-- --quick] [--rates 20,40,…] [--step-seconds N] [--ring-calls N] [--agents-per-node N] [--pin] [--node-cpu PCT] [--ring-only] [--edge-unpinned]';
const args = process.argv.slice(2);
let quick = false;
let pin = false;
let nodeCpu: number | undefined;
let ringOnly = false;
let edgeUnpinned = false;
const opts: { rates?: number[]; stepSeconds?: number; ringCalls?: number; agentsPerNode?: number } = {};
for (let i = 0; i < args.length; i++) {
  const a = args[i]!;
  const value = () => {
    const v = args[++i];
    if (v === undefined) usage(`${a} needs a value`);
    return v!;
  };
  const int = (v: string, min: number, max: number) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) usage(`${a} ${v}: an integer from ${min} to ${max}`);
    return n;
  };
  if (a === '--quick') quick = true;
  else if (a === '--pin') pin = true;
  else if (a === '--ring-only') ringOnly = true;
  else if (a === '--edge-unpinned') edgeUnpinned = true;
  else if (a === '--node-cpu') nodeCpu = int(value(), 5, 100);
  else if (a === '--rates')
    opts.rates = value()
      .split(',')
      .map((r) => int(r, 1, 400));
  else if (a === '--step-seconds') opts.stepSeconds = int(value(), 1, 60);
  else if (a === '--ring-calls') opts.ringCalls = int(value(), 2, 2000);
  else if (a === '--agents-per-node') opts.agentsPerNode = int(value(), 10, 1000);
  else usage(`unknown argument ${a}`);
}
function usage(problem: string): never {
  console.error(`bench-edge: ${problem}\n${USAGE}`);
  process.exit(2);
}

const NUMBER = '12345';
const TALK_MS = 500;
// Enough that the pool is never the limit: an agent is busy ~2.6 s a call (ring, 0.5 s talk, the
// lab plan's 2 s wrap-up), so 500 agents a node take ~190 new calls/s.
const AGENTS_PER_NODE = opts.agentsPerNode ?? (quick ? 100 : 500);
// Up to 400/s: two nodes must be able to show twice one node's rate (one node has reached 180/s).
const RATES =
  opts.rates ??
  (quick
    ? [10, 20]
    : nodeCpu !== undefined
      ? // a budgeted node takes fewer calls: finer steps, so the ratio is not the steps' rounding
        Array.from({ length: 80 }, (_, i) => 10 + 5 * i)
      : [20, 40, 60, 80, 100, 120, 140, 160, 180, 200, 240, 280, 320, 360, 400]);
const STEP_SECONDS = opts.stepSeconds ?? (quick ? 5 : 10);
const RING_CALLS = opts.ringCalls ?? (quick ? 40 : 300); // both paths together
const RING_RATE = 5;
// Calls through the edge before time to ring is measured, at WARM_RATE, as in an edge that has
// been taking calls for a while: a fresh process's first calls are a start-up figure, not what the
// edge adds. It takes this many for V8 to compile the INVITE's path (drachtio-srf's wire protocol,
// its agent and parser, the edge's proxy call) with its optimizing tier: a profile of the edge
// after 200 calls still showed most of that path in the baseline tier.
const WARM_CALLS = quick ? 10 : 2000;
const WARM_RATE = 50;
const DRAIN_MS = 30_000;
/** The clean rate is bisected to within this many calls/s (see `steps`; not with --quick). */
const BISECT_WITHIN = 1;
/** Agent legs the engines dialled through the inter-node trunk (summed over the engines). */
const TRUNK_LEGS = 'hotline_node_trunk_legs_total';

const log = (msg: string) => process.stderr.write(`[bench-edge ${new Date().toISOString()}] ${msg}\n`);
const emit = (o: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(o)}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
let callerSeq = 0;
const nextCaller = () => `139${String(++callerSeq).padStart(8, '0')}`;
function percentile(sorted: number[], p: number): number | null {
  if (!sorted.length) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** What bench-lab.ts needs of a lab, for one node of the cluster and the agents registered on it. */
function nodeLab(cluster: Cluster, node: ClusterNode): Lab {
  const agents = new Map([...cluster.agents].filter(([, a]) => a.node === node.name));
  return {
    dir: cluster.dir,
    ip: node.ip,
    sipPort: node.sipPort,
    agents,
    rx: node.rx,
    api: (method: string, path: string, body?: unknown) => cluster.api(method, path, body),
  } as unknown as Lab;
}

/**
 * Every node's agents in one list, taken in turn from each node (a1, b1, a2, b2, …): they log in
 * and become ready in that order, as a floor whose phones are spread over the nodes would. (Node
 * after node would give the longest-idle order whole blocks of one node's agents, and every
 * call the agents of that node, whatever node it is on.)
 */
function interleavedLab(cluster: Cluster): Lab {
  const perNode = [...cluster.nodes.values()].map((n) => [...nodeLab(cluster, n).agents]);
  const agents = new Map<string, unknown>();
  for (let i = 0; perNode.some((list) => i < list.length); i++)
    for (const list of perNode) if (i < list.length) agents.set(list[i]![0], list[i]![1]);
  return { ...nodeLab(cluster, [...cluster.nodes.values()][0]!), agents } as unknown as Lab;
}

/** Every node's agents: registered from one SIPp address per node (alternating between two). */
class Answerers {
  private current = new Map<string, LoadSippRun>();
  private phase = 0;
  constructor(private readonly cluster: Cluster) {}

  async start(name: string, traceMessages: boolean, seconds: number): Promise<LoadSippRun[]> {
    const runs: LoadSippRun[] = [];
    const k = this.phase++ % 2;
    let i = 0;
    for (const node of this.cluster.nodes.values()) {
      const lab = nodeLab(this.cluster, node);
      const ip = `${this.cluster.net}.${200 + 2 * i++ + k}`;
      const next = await agentsOn(lab, ip, {
        expiresSeconds: 300,
        timeoutSeconds: Math.min(290, Math.ceil(seconds)),
        traceMessages,
        name: `${name}-${node.name}`,
      });
      await sleep(300);
      if (next.pid <= 0 || (await Promise.race([next.exited.then(() => true), sleep(200).then(() => false)])))
        throw new Error(`the agents' SIPp of node ${node.name} on ${ip} did not start\n${next.output()}`);
      const previous = this.current.get(node.name);
      this.current.set(node.name, next);
      await previous?.stop(2000);
      const deadline = Date.now() + 30_000;
      let n = await contactsOn(lab, ip);
      while (n < lab.agents.size && Date.now() < deadline) {
        await sleep(500);
        n = await contactsOn(lab, ip);
      }
      if (n < lab.agents.size) log(`warning: only ${n}/${lab.agents.size} contacts on ${ip} are reachable`);
      runs.push(next);
    }
    return runs;
  }
}

/** Waits (bounded) until no node holds a channel; returns how many were left (0: drained). */
async function drain(cluster: Cluster): Promise<number> {
  const deadline = Date.now() + DRAIN_MS;
  for (;;) {
    let left = 0;
    for (const n of cluster.nodes.values()) {
      const shown = await n.rx('core show channels concise').catch(() => '');
      left += shown.split('\n').filter((l) => l.includes('!')).length;
    }
    if (left === 0) return 0;
    if (Date.now() > deadline) {
      log(`warning: ${left} channels still up ${DRAIN_MS / 1000} s after the run`);
      return left;
    }
    await sleep(500);
  }
}

interface Pids {
  asterisk: Record<string, number>;
  engines: Record<string, number>;
  edge?: number;
  drachtio?: number;
}
function pidsOf(cluster: Cluster): Pids {
  const [edge] = childrenMatching(process.pid, /hotline\.js edge/);
  const [drachtio] = childrenMatching(process.pid, /bin\/drachtio /);
  return {
    asterisk: Object.fromEntries([...cluster.nodes.values()].map((n) => [n.name, n.pid])),
    engines: Object.fromEntries(cluster.engines.map((e) => [e.id, e.pid() ?? -1])),
    ...(edge ? { edge } : {}),
    ...(drachtio ? { drachtio } : {}),
  };
}
function cpuOf(p: Pids): Record<string, number> {
  const out: Record<string, number> = {};
  const add = (k: string, pid: number | undefined) => {
    if (!pid || pid <= 0) return;
    try {
      out[k] = cpuMs(pid);
    } catch {
      // exited
    }
  };
  for (const [n, pid] of Object.entries(p.asterisk)) add(`asterisk-${n}`, pid);
  for (const [n, pid] of Object.entries(p.engines)) add(`engine-${n}`, pid);
  add('edge', p.edge);
  add('drachtio', p.drachtio);
  return out;
}
/** Each process's CPU between two readings of `cpuOf`, in % of one CPU over `wallS` seconds. */
function cpuPercent(before: Record<string, number>, after: Record<string, number>, wallS: number) {
  return Object.fromEntries(
    Object.keys(after).map((k) => [k, round(((after[k]! - (before[k] ?? 0)) / 1000 / wallS) * 100, 1)]),
  );
}

async function timeToRing(cluster: Cluster, answerers: Answerers): Promise<void> {
  const node = [...cluster.nodes.values()][0]!;
  const seconds = RING_CALLS / RING_RATE + 30;
  const [agents] = await answerers.start('ring', true, seconds + 60);
  await readyAll(nodeLab(cluster, node));
  const edgeCallers: string[] = [];
  const directCallers: string[] = [];
  for (let i = 0; i < RING_CALLS / 2; i++) {
    edgeCallers.push(nextCaller());
    directCallers.push(nextCaller());
  }
  // warm-up, not measured
  const warm = carrierThroughEdge(cluster, 'ring-warmup', WARM_RATE, WARM_CALLS, {
    limit: 150,
    timeoutSeconds: Math.ceil(WARM_CALLS / WARM_RATE) + 60,
  });
  await warm.exited;
  await drain(cluster);
  const carrier = (name: string, scenario: string, localIp: string, remote: string, callers: string[]) =>
    startLoadSipp({
      scenario,
      name,
      dir: cluster.dir,
      localIp,
      localPort: 5060,
      remote,
      vars: { ANSWER_WITHIN_MS: 8000, TALK_MS },
      inject: ['SEQUENTIAL', ...callers.map((c) => `${NUMBER};${c}`)],
      rate: RING_RATE / 2,
      calls: callers.length,
      limit: 50,
      traceMessages: true,
      timeoutSeconds: Math.ceil(seconds),
    });
  const viaEdge = carrier(
    'ring-edge',
    'bench-edge-carrier.xml',
    cluster.carrierIp,
    `${cluster.edgeIp}:5060`,
    edgeCallers,
  );
  // half a period later: the two paths' calls alternate
  await sleep(1000 / RING_RATE);
  const direct = carrier(
    'ring-direct',
    'bench-carrier.xml',
    cluster.directCarrierIp,
    `${node.ip}:${node.sipPort}`,
    directCallers,
  );
  await Promise.all([viaEdge.exited, direct.exited]);
  await drain(cluster);
  await sleep(1200);
  const sentAt = new Map<string, number>();
  for (const run of [viaEdge, direct]) {
    for (const m of parseTimedMessages(run.messageLog())) {
      if (m.direction !== 'sent' || m.method !== 'INVITE') continue;
      const c = fromUser(m);
      if (c && !sentAt.has(c)) sentAt.set(c, m.at);
    }
  }
  const rangAt = new Map<string, number>();
  for (const m of parseTimedMessages(agents!.messageLog())) {
    if (m.direction !== 'received' || m.method !== 'INVITE') continue;
    const c = fromUser(m);
    if (c && !rangAt.has(c)) rangAt.set(c, m.at);
  }
  const ms = (callers: string[]) =>
    callers
      .map((c) => {
        const s = sentAt.get(c);
        const r = rangAt.get(c);
        return s === undefined || r === undefined ? undefined : r - s;
      })
      .filter((x): x is number => x !== undefined)
      .sort((a, b) => a - b);
  const e = ms(edgeCallers);
  const d = ms(directCallers);
  for (const [path, xs, n] of [
    ['edge', e, edgeCallers.length],
    ['direct', d, directCallers.length],
  ] as const) {
    emit({
      ringPath: path,
      nodes: cluster.nodes.size,
      calls: n,
      rang: xs.length,
      ringMsP50: nullableRound(percentile(xs, 50)),
      ringMsP90: nullableRound(percentile(xs, 90)),
      ringMsP99: nullableRound(percentile(xs, 99)),
      ringMsMax: nullableRound(xs.length ? xs[xs.length - 1]! : null),
      rate: RING_RATE / 2,
      interleaved: true,
      edgePinnedCpu: edgeCpu,
      loadAvg: loadAverage(),
    });
  }
  const diff = (p: number) => {
    const a = percentile(e, p);
    const b = percentile(d, p);
    return a === null || b === null ? null : round(a - b);
  };
  emit({
    edgeAddedMsP50: diff(50),
    edgeAddedMsP99: diff(99),
    // the p50 difference's uncertainty: each path's ring times spread over several ms (the node
    // and the engine), so with 150 calls a path the difference moves by about half a ms
    edgeAddedMsP50Ci95: medianDifferenceInterval(e, d)?.map((x) => round(x)) ?? null,
    goal: { edgeAddedMsP50: '<= 2' },
    edgePinnedCpu: edgeCpu,
    loadAvg: loadAverage(),
  });
}

/** The carrier placing `calls` calls to 12345 through the edge at `rate` a second, each caller new. */
function carrierThroughEdge(
  cluster: Cluster,
  name: string,
  rate: number,
  calls: number,
  opts: { limit: number; timeoutSeconds: number },
): LoadSippRun {
  return startLoadSipp({
    scenario: 'bench-edge-carrier.xml',
    name,
    dir: cluster.dir,
    localIp: cluster.carrierIp,
    localPort: 5060,
    remote: `${cluster.edgeIp}:5060`,
    vars: { ANSWER_WITHIN_MS: 8000, TALK_MS },
    inject: ['SEQUENTIAL', ...Array.from({ length: calls }, () => `${NUMBER};${nextCaller()}`)],
    rate,
    calls,
    ...opts,
  });
}

/** How a step went: clean (the measure), complete, and channels left after its drain. */
interface StepResult {
  clean: boolean;
  complete: boolean;
  left: number;
}

/**
 * The steps of one cluster, up from the lowest rate until one is not clean; then the rates between
 * the highest clean step and that one are bisected (to within BISECT_WITHIN calls/s), so that the
 * clean rate, and the ratio of two clusters' rates, is not the steps' rounding. No bisection with
 * --quick, nor after a step whose channels outlived its drain: the cluster did not recover.
 */
async function steps(cluster: Cluster, answerers: Answerers): Promise<{ clean: number; complete: number }> {
  const pids = pidsOf(cluster);
  let clean = 0;
  let completeTo = 0;
  let allComplete = true;
  let notClean: number | undefined;
  for (const rate of RATES) {
    const r = await step(cluster, answerers, pids, rate);
    if (!r) return { clean, complete: completeTo };
    allComplete &&= r.complete;
    if (allComplete) completeTo = rate;
    // calls still up after the drain: the node could not finish them, the next step would measure that
    if (r.left > 0) return { clean, complete: completeTo };
    if (!r.clean) {
      notClean = rate;
      break;
    }
    clean = rate;
  }
  if (quick || notClean === undefined) return { clean, complete: completeTo };
  while (notClean - clean > BISECT_WITHIN) {
    const rate = Math.floor((clean + notClean) / 2);
    const r = await step(cluster, answerers, pids, rate);
    if (!r || r.left > 0) break;
    if (r.clean) clean = rate;
    else notClean = rate;
  }
  return { clean, complete: completeTo };
}

/** One step: `rate` new calls a second through the edge for STEP_SECONDS, then the drain. */
async function step(
  cluster: Cluster,
  answerers: Answerers,
  pids: Pids,
  rate: number,
): Promise<StepResult | undefined> {
  const nodes = cluster.nodes.size;
  let agents: LoadSippRun[];
  try {
    agents = await answerers.start(`step-${nodes}-${rate}`, false, STEP_SECONDS + 120);
  } catch (err) {
    // the cluster did not recover from the last step (its agents could not register again)
    emit({ nodes, rate, skipped: `agents could not register: ${(err as Error).message.split('\n')[0]}` });
    return undefined;
  }
  await waitAgentsReady(nodeLab(cluster, [...cluster.nodes.values()][0]!), cluster.agents.size, 60_000).catch(
    (e: Error) => log(`warning: ${e.message}`),
  );
  const total = rate * STEP_SECONDS;
  const agents0 = agents.map((a) => a.counts());
  const cpu0 = cpuOf(pids);
  const throttled0 = throttledOf();
  const edge0 = await edgeCounts(cluster);
  const trunk0 = await cluster.engineCounter(TRUNK_LEGS);
  const started = Date.now();
  const uac = carrierThroughEdge(cluster, `step-${nodes}-${rate}`, rate, total, {
    limit: rate * 10,
    timeoutSeconds: STEP_SECONDS + 40,
  });
  const connectedNow = () =>
    agents.reduce(
      (n, a, i) => n + stepCount(a.counts(), 'ACK', 'Recv') - stepCount(agents0[i], 'ACK', 'Recv'),
      0,
    );
  let collapsed = false;
  for (;;) {
    const done = await Promise.race([uac.exited.then(() => true), sleep(1000).then(() => false)]);
    if (done) break;
    const elapsed = (Date.now() - started) / 1000;
    const created = Number(uac.stats()?.['OutgoingCall(C)'] ?? 0);
    if (elapsed >= 5 && created >= rate * 3 && connectedNow() < 0.5 * (created - 2 * rate)) {
      collapsed = true;
      log(`${nodes} node(s) at ${rate}/s collapse: stopping the step`);
      await uac.stop(15_000);
      break;
    }
    if (elapsed > STEP_SECONDS + 35) {
      await uac.stop(5000);
      break;
    }
  }
  await uac.exited;
  // How long the carrier took to place and end its calls: SIPp holds new calls back while
  // `limit` are up, so a slow cluster stretches the step instead of retransmitting.
  const placedSeconds = (Date.now() - started) / 1000;
  const paced = placedSeconds <= STEP_SECONDS + 3;
  const left = await drain(cluster);
  await sleep(1200);
  const wall = (Date.now() - started) / 1000;
  const cpu1 = cpuOf(pids);
  const throttled1 = throttledOf();
  const edge1 = await edgeCounts(cluster);
  const trunk1 = await cluster.engineCounter(TRUNK_LEGS);
  const edgeSide = {
    nodeFailures: edge1.nodeFailures - edge0.nodeFailures,
    retries: edge1.retries - edge0.retries,
  };
  const callerFailed = Number(uac.stats()?.['FailedCall(C)'] ?? 0);
  const unexpected = sumCounts(uac.counts(), 'Unexp');
  const offered = Number(uac.stats()?.['OutgoingCall(C)'] ?? 0);
  const connected = connectedNow();
  const retrans = {
    carrier: sumCounts(uac.counts(), 'Retrans'),
    agents: agents.reduce(
      (n, a, i) => n + sumCounts(a.counts(), 'Retrans') - sumCounts(agents0[i], 'Retrans'),
      0,
    ),
  };
  // clean (the measure): every call placed at the step's rate (within 3 s of its
  // length), no retransmission, none failed or answered twice at the carrier, and no node that
  // failed an INVITE the edge gave it (a node silent past the edge's Trying timeout is a
  // retransmission on the edge's side; moved on, its late answer can reach the carrier as a
  // second 200); complete: also every call connected to an agent and every channel gone once
  // the calls ended
  const ok =
    !collapsed &&
    paced &&
    offered === total &&
    retrans.carrier + retrans.agents === 0 &&
    callerFailed + unexpected === 0 &&
    edgeSide.nodeFailures === 0;
  const complete = ok && connected === offered && left === 0;
  emit({
    nodes,
    engines: cluster.engines.length,
    rate,
    seconds: STEP_SECONDS,
    offered,
    connected,
    callerFailed,
    retransmissions: retrans.carrier + retrans.agents,
    retransmissionsBySide: retrans,
    timeouts: sumCounts(uac.counts(), 'Timeout'),
    unexpected,
    edgeNodeFailures: edgeSide.nodeFailures,
    // agent legs through the inter-node trunk (the engines' /metrics): each loads both nodes
    agentLegsViaTrunk: trunk1 - trunk0,
    edgeRetries: edgeSide.retries,
    cpuPct: cpuPercent(cpu0, cpu1, wall),
    ...(budgets.size > 0
      ? {
          throttledMs: Object.fromEntries(
            Object.keys(throttled1).map((k) => [k, Math.round(throttled1[k]! - (throttled0[k] ?? 0))]),
          ),
        }
      : {}),
    channelsLeftAfterDrain: left,
    stepWallSeconds: round(wall, 1),
    placedSeconds: round(placedSeconds, 1),
    paced,
    lost: offered - connected,
    clean: ok,
    complete,
    collapsed,
    loadAvg: loadAverage(),
  });
  return { clean: ok, complete, left };
}

/** Every thread of process `pid` on CPU `cpu` (threads it starts later inherit it). */
function pinToCpu(what: string, pid: number, cpu: number): void {
  const r = spawnSync('taskset', ['-a', '-c', '-p', String(cpu), String(pid)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`taskset for ${what} (pid ${pid}): ${r.stderr || r.error}`);
  log(`${what} (pid ${pid}) pinned to CPU ${cpu}`);
}

/** `--pin`: node i's Asterisk on CPU i. */
function pinNodes(cluster: Cluster): void {
  const cpus = availableParallelism();
  let i = 0;
  for (const n of cluster.nodes.values()) pinToCpu(`node ${n.name}`, n.pid, i++ % cpus);
}

/** The CPU the edge's two processes share (null: `--edge-unpinned`). */
let edgeCpu: number | null = null;

/** Both edge processes on the last CPU. */
function pinEdge(cluster: Cluster): number {
  const cpu = availableParallelism() - 1;
  const { edge, drachtio } = pidsOf(cluster);
  if (!edge || !drachtio)
    throw new Error(`the edge (pid ${edge}) or drachtio-server (pid ${drachtio}) is not running`);
  pinToCpu('the edge', edge, cpu);
  pinToCpu('drachtio-server', drachtio, cpu);
  return cpu;
}

/** `--node-cpu`: the budget of each node's Asterisk, by node name. */
const budgets = new Map<string, CpuBudget>();
function budgetNodes(cluster: Cluster, percent: number): void {
  for (const n of cluster.nodes.values()) {
    budgets.set(n.name, setCpuBudget(n.pid, `hotline-bench-node-${n.name}-${n.pid}`, percent));
    log(`node ${n.name} (pid ${n.pid}) held to ${percent} % of one CPU`);
  }
}
/**
 * The edge's own counts from its /metrics: INVITEs a node failed (5xx/4xx, or no 100 Trying within
 * EDGE_TRYING_TIMEOUT_MS, the moment the edge's own INVITE to it is first retransmitted) and the
 * calls it moved on to another node. Neither reaches SIPp: the carrier sees one INVITE answered.
 */
async function edgeCounts(cluster: Cluster): Promise<{ nodeFailures: number; retries: number }> {
  const { body } = await cluster.edgeHttp('/metrics');
  const total = (name: string) =>
    body
      .split('\n')
      .filter((l) => l.startsWith(`${name}{`))
      .reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
  return {
    nodeFailures: total('hotline_edge_node_failures_total'),
    retries: total('hotline_edge_node_retries_total'),
  };
}
/** Each process's CPU (% of one CPU) over `seconds`. */
async function cpuOver(pids: Pids, seconds: number): Promise<{ pct: Record<string, number>; wall: number }> {
  const cpu0 = cpuOf(pids);
  const t0 = Date.now();
  await sleep(seconds * 1000);
  const cpu1 = cpuOf(pids);
  const wall = (Date.now() - t0) / 1000;
  return { pct: cpuPercent(cpu0, cpu1, wall), wall };
}

const IDLE_WINDOW_S = 10;
const SETTLE_MAX_S = 180;

/**
 * The floor: each process's CPU over 10 s with the agents registered and ready and no call,
 * measured once the processes have settled. Logging hundreds of agents in leaves work behind it
 * (the safety-net queue members written to every node, registrations, presence), and a cluster
 * that registered its agents just now would start its steps with it. Windows are measured one
 * after another until the processes' total no longer falls by more than one point (at most 180 s);
 * the last is the idle figure, `settledAfterS` how long it took.
 */
async function idleCpu(cluster: Cluster): Promise<void> {
  const pids = pidsOf(cluster);
  const t0 = Date.now();
  const total = (pct: Record<string, number>) => Object.values(pct).reduce((a, b) => a + b, 0);
  let window = await cpuOver(pids, IDLE_WINDOW_S);
  for (;;) {
    if (Date.now() - t0 > SETTLE_MAX_S * 1000) break;
    const next = await cpuOver(pids, IDLE_WINDOW_S);
    const falling = total(next.pct) < total(window.pct) - 1;
    window = next;
    if (!falling) break;
  }
  emit({
    nodes: cluster.nodes.size,
    idleCpuPct: window.pct,
    seconds: round(window.wall, 1),
    settledAfterS: round((Date.now() - t0) / 1000 - window.wall, 0),
    loadAvg: loadAverage(),
  });
}

function throttledOf(): Record<string, number> {
  return Object.fromEntries([...budgets].map(([name, b]) => [`asterisk-${name}`, b.throttledMs()]));
}

/**
 * A 95 % interval of the difference of two samples' medians (a ms, b ms), by the bootstrap: 2000
 * resamples of each, with a fixed seed (the same samples give the same interval).
 */
function medianDifferenceInterval(a: readonly number[], b: readonly number[]): [number, number] | undefined {
  if (a.length === 0 || b.length === 0) return undefined;
  const random = new Random(0x2545f491);
  const resampledMedian = (xs: readonly number[]) =>
    percentile(
      Array.from(xs, () => random.pick(xs)).sort((x, y) => x - y),
      50,
    )!;
  const diffs = Array.from({ length: 2000 }, () => resampledMedian(a) - resampledMedian(b)).sort(
    (x, y) => x - y,
  );
  return [percentile(diffs, 2.5)!, percentile(diffs, 97.5)!];
}

function nullableRound(x: number | null): number | null {
  return x === null ? null : round(x);
}

async function main(): Promise<void> {
  if (!hasDrachtio())
    throw new Error('no drachtio-server: run ../shared/tools/drachtio/install.sh (DRACHTIO_PREFIX)');
  const noBudget = nodeCpu !== undefined ? cpuBudgetUnavailable() : undefined;
  if (noBudget) usage(`--node-cpu: ${noBudget}`);
  const t0 = Date.now();
  // The cluster's temp dir under a root of the bench's own (os.tmpdir() reads TMPDIR at each call).
  const root = mkdtempSync(join(tmpdir(), 'hotline-bench-edge-'));
  process.env.TMPDIR = root;
  let cluster: Cluster | undefined;
  const stopAll = async () => {
    killAllLoadSipp();
    killAllSipp();
    await cluster?.stop();
    cluster = undefined;
    for (const b of budgets.values()) b.remove();
    budgets.clear();
  };
  process.once('SIGINT', () => {
    void stopAll().then(() => {
      rmSync(root, { recursive: true, force: true });
      process.exit(130);
    });
  });
  const clean: Record<number, number> = {};
  try {
    for (const names of [['a'], ['a', 'b']]) {
      log(
        `load average ${loadAverage().join(' ')}; starting ${names.length} node(s), ${AGENTS_PER_NODE} agents each`,
      );
      cluster = await startCluster({
        nodes: names,
        engines: names.length,
        agents: names.flatMap((node, n) =>
          Array.from({ length: AGENTS_PER_NODE }, (_, i) => ({ id: `agent${3001 + n * 1000 + i}`, node })),
        ),
        // info, the deployed default; logging in hundreds of agents goes past the API's per-token limit
        engineEnv: { LOG_LEVEL: 'info', HTTP_REQUESTS_PER_TOKEN_PER_MINUTE: '10000000' },
        edgeEnv: { LOG_LEVEL: 'info' },
      });
      if (pin) pinNodes(cluster);
      edgeCpu = edgeUnpinned ? null : pinEdge(cluster);
      const answerers = new Answerers(cluster);
      if (names.length === 1) {
        await timeToRing(cluster, answerers);
        if (ringOnly) break;
      } else {
        await answerers.start('login', false, 150);
        await readyAll(interleavedLab(cluster));
      }
      if (nodeCpu !== undefined) budgetNodes(cluster, nodeCpu);
      await idleCpu(cluster);
      const r = await steps(cluster, answerers);
      clean[names.length] = r.clean;
      emit({
        nodes: names.length,
        cleanCallsPerSecond: r.clean,
        completeCallsPerSecond: r.complete,
        agents: cluster.agents.size,
        rates: RATES,
        pinned: pin,
        edgePinnedCpu: edgeCpu,
        nodeCpuPct: nodeCpu ?? null,
        loadAvg: loadAverage(),
      });
      await stopAll();
    }
    if (!ringOnly)
      emit({
        ratioTwoNodesToOne: clean[1] ? round(clean[2]! / clean[1]) : null,
        cleanCallsPerSecond: { 1: clean[1], 2: clean[2] },
        goal: { ratioTwoNodesToOne: '>= 1.7' },
        quick,
        pinned: pin,
        nodeCpuPct: nodeCpu ?? null,
        loadAvg: loadAverage(),
        minutes: round((Date.now() - t0) / 60_000, 1),
      });
  } finally {
    await stopAll();
    if (!process.env.HOTLINE_LAB_KEEP) rmSync(root, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exit(1);
  },
);
