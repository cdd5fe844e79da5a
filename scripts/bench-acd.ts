/**
 * ACD benchmark.
 *   node --import tsx scripts/bench-acd.ts             all figures (Redis at REDIS_URL; without
 *                                                      it, the in-memory figures only)
 *   node --import tsx scripts/bench-acd.ts --no-redis  in-memory figures only
 * 1. In-memory dispatch decisions with 5,000 agents and 1,000 waiting calls: latency p50/p99 of
 *    choosing the agent for a call, of choosing the call for an agent that became ready (both
 *    including the index updates of the resulting offer), and of a whole decision from a snapshot.
 * 2. Redis reservations per second from 1 and 4 engine processes (child processes), each
 *    reservation one EVALSHA round trip; sequential (1 in flight) and pipelined (32 in flight).
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  type Agent,
  type AgentDefinitionInput,
  agentDefinitionSchema,
  initialStatus,
} from '../src/acd/agent.ts';
import { DispatchBoard } from '../src/acd/dispatch-board.ts';
import {
  type QueuedCall,
  type QueuePolicy,
  queuePolicySchema,
  type Strategy,
} from '../src/acd/queue-policy.ts';
import { RedisAcdStore } from '../src/acd/store/redis.ts';
import { systemClock } from '../src/clock.ts';

const REDIS_URL = process.env.REDIS_URL ?? '';
const AGENTS = 5000;
const CALLS = 1000;
const POOLS = 10;
const SKILLS = 20;

/** A small deterministic PRNG so runs are comparable. */
function prng(seed: number) {
  let x = seed >>> 0;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

function summary(name: string, samplesNs: number[]): string {
  const us = samplesNs.map((n) => n / 1000).sort((a, b) => a - b);
  const f = (v: number) => `${v.toFixed(2)} µs`;
  return `${name.padEnd(52)} n=${String(us.length).padStart(6)}  p50 ${f(percentile(us, 50))}  p99 ${f(percentile(us, 99))}  max ${f(us[us.length - 1] ?? 0)}`;
}

function buildWorld(now: number) {
  const rand = prng(12345);
  const strategies: Strategy[] = ['longest-idle', 'fewest-calls', 'skill-level', 'round-robin'];
  const queues: QueuePolicy[] = Array.from({ length: POOLS }, (_, i) =>
    queuePolicySchema.parse({
      id: `pool-${i}`,
      kind: 'pool',
      name: `Pool ${i}`,
      strategy: strategies[i % strategies.length],
      wrapUpSeconds: 15,
      widenAfterSeconds: 30,
      overflowAfterSeconds: 600,
      overflowTo: 'province',
      maxWaitSeconds: 900,
    }),
  );
  const agents: Agent[] = Array.from({ length: AGENTS }, (_, i) => {
    const skills: Record<string, number> = {};
    for (let k = 0; k < 3; k++) skills[`skill-${Math.floor(rand() * SKILLS)}`] = 1 + Math.floor(rand() * 10);
    const first = Math.floor(rand() * POOLS);
    const def = agentDefinitionSchema.parse({
      id: `agent-${i}`,
      name: `Agent ${i}`,
      centerId: 'bench',
      endpoint: `PJSIP/agent${i}`,
      skills,
      pools: [`pool-${first}`, `pool-${(first + 1 + Math.floor(rand() * (POOLS - 1))) % POOLS}`],
    } satisfies AgentDefinitionInput);
    const ready = rand() < 0.5;
    const status = initialStatus(now);
    return {
      ...def,
      status: {
        ...status,
        state: ready ? 'ready' : 'on-call',
        since: now - Math.floor(rand() * 600_000),
        readySince: now - Math.floor(rand() * 600_000),
        lastOfferAt: now - Math.floor(rand() * 3_600_000),
        counters: {
          ...status.counters,
          callsAnswered: Math.floor(rand() * 80),
          talkSeconds: Math.floor(rand() * 20_000),
        },
      },
    };
  });
  const calls: QueuedCall[] = Array.from({ length: CALLS }, (_, i) => ({
    callId: `call-${i}`,
    queueId: `pool-${Math.floor(rand() * POOLS)}`,
    priority: rand() < 0.1 ? 5 : 0,
    enqueuedAt: now - Math.floor(rand() * 120_000),
    preferredSkill: rand() < 0.7 ? `skill-${Math.floor(rand() * SKILLS)}` : undefined,
    engineId: 'engine-1',
  }));
  return { queues, agents, calls };
}

function benchMemory(): void {
  const now = Date.UTC(2026, 0, 5, 2);
  const { queues, agents, calls } = buildWorld(now);
  const byId = new Map(agents.map((a) => [a.id, a]));
  const ready = agents.filter((a) => a.status.state === 'ready');
  const board = DispatchBoard.from(queues, agents, calls, now);
  console.log(
    `in-memory: ${AGENTS} agents (${board.offerableAgents} ready), ${board.waitingCalls} waiting calls, ${POOLS} pools, ${SKILLS} skills`,
  );
  const rounds = 20_000;
  const rand = prng(7);

  // Agent for a call (a call arrives or changes stage), then the offer leaves the board.
  const agentForCall: number[] = [];
  for (let i = 0; i < rounds + 2000; i++) {
    const call = calls[Math.floor(rand() * calls.length)] as QueuedCall;
    const t0 = process.hrtime.bigint();
    const pick = board.bestAgentFor(call, now);
    if (pick) {
      board.removeAgent(pick.agentId);
      board.removeCall(call.callId);
    }
    const t1 = process.hrtime.bigint();
    if (pick) {
      board.putAgent(byId.get(pick.agentId) as Agent, now);
      board.putCall(call);
    }
    if (i >= 2000) agentForCall.push(Number(t1 - t0));
  }

  // Call for an agent (the agent became ready), then the offer leaves the board.
  const callForAgent: number[] = [];
  for (let i = 0; i < rounds + 2000; i++) {
    const agent = ready[Math.floor(rand() * ready.length)] as Agent;
    const t0 = process.hrtime.bigint();
    const pick = board.bestCallFor(agent.id, now);
    if (pick) {
      board.removeAgent(agent.id);
      board.removeCall(pick.call.callId);
    }
    const t1 = process.hrtime.bigint();
    if (pick) {
      board.putAgent(agent, now);
      board.putCall(pick.call);
    }
    if (i >= 2000) callForAgent.push(Number(t1 - t0));
  }

  // Agent state change (ready ↔ not ready) keeping the indexes up to date.
  const stateChange: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const agent = ready[Math.floor(rand() * ready.length)] as Agent;
    const busy: Agent = { ...agent, status: { ...agent.status, state: 'on-call' } };
    const t0 = process.hrtime.bigint();
    board.putAgent(busy, now);
    board.putAgent(agent, now);
    const t1 = process.hrtime.bigint();
    stateChange.push(Number(t1 - t0) / 2);
  }

  // The whole decision from a snapshot (build the indexes, match every call).
  const whole: number[] = [];
  let offers = 0;
  for (let i = 0; i < 30; i++) {
    const t0 = process.hrtime.bigint();
    const d = DispatchBoard.from(queues, agents, calls, now).decide(now);
    const t1 = process.hrtime.bigint();
    offers = d.offers.length;
    if (i >= 5) whole.push(Number(t1 - t0));
  }

  console.log(summary('decision: best agent for a call (+ index update)', agentForCall));
  console.log(summary('decision: best call for a ready agent (+ index update)', callForAgent));
  console.log(summary('agent state change (index update)', stateChange));
  console.log(summary(`whole snapshot decision (build + ${offers} offers)`, whole));
}

async function runWorker(args: string[]): Promise<void> {
  const [keyPrefix, from, to, inFlight, startAt] = args;
  const store = await RedisAcdStore.open({
    url: REDIS_URL,
    keyPrefix: keyPrefix as string,
    centerId: 'bench',
    clock: systemClock,
    sweepEveryMs: 0,
    subscribe: false,
  });
  const first = Number(from);
  const last = Number(to);
  let next = first;
  let refused = 0;
  while (Date.now() < Number(startAt)) await new Promise((r) => setTimeout(r, 1));
  const started = performance.timeOrigin + performance.now();
  const lane = async () => {
    while (next < last) {
      const i = next++;
      const out = await store.reserve(`agent-${i}`, `call-${i}`, 'bench-engine', 60_000);
      if (!out.ok) refused++;
    }
  };
  await Promise.all(Array.from({ length: Number(inFlight) }, lane));
  const ended = performance.timeOrigin + performance.now();
  await store.close();
  process.stdout.write(`${JSON.stringify({ count: last - first, refused, started, ended })}\n`);
}

async function benchRedis(): Promise<void> {
  const run = promisify(execFile);
  const self = fileURLToPath(import.meta.url);
  console.log(`\nredis: ${REDIS_URL.replace(/\/\/[^@]*@/, '//***@')}`);
  for (const [processes, perProcess, inFlight] of [
    [1, 20_000, 1],
    [4, 10_000, 1],
    [1, 60_000, 32],
    [4, 40_000, 32],
  ] as const) {
    const keyPrefix = `hotline-bench-${randomUUID().slice(0, 8)}`;
    const total = processes * perProcess;
    const setup = await RedisAcdStore.open({
      url: REDIS_URL,
      keyPrefix,
      centerId: 'bench',
      clock: systemClock,
      sweepEveryMs: 0,
      subscribe: false,
    });
    try {
      await setup.setQueues([
        { id: 'general', kind: 'pool', name: 'G', wrapUpSeconds: 10, maxWaitSeconds: 600 },
      ]);
      const now = Date.now();
      for (let from = 0; from < total; from += 2000) {
        const ids = Array.from({ length: Math.min(2000, total - from) }, (_, k) => from + k);
        await setup.upsertAgents(
          ids.map((i) => ({ id: `agent-${i}`, name: `A${i}`, centerId: 'bench', pools: ['general'] })),
        );
        await Promise.all(ids.map((i) => setup.login(`agent-${i}`, `PJSIP/agent${i}`)));
        await Promise.all(
          ids.map((i) =>
            setup.enqueue({ callId: `call-${i}`, queueId: 'general', enqueuedAt: now, engineId: 'e' }),
          ),
        );
      }
      const startAt = Date.now() + 2500;
      const outs = await Promise.all(
        Array.from({ length: processes }, (_, p) =>
          run(process.execPath, [
            '--import',
            'tsx',
            self,
            '--worker',
            keyPrefix,
            String(p * perProcess),
            String((p + 1) * perProcess),
            String(inFlight),
            String(startAt),
          ]),
        ),
      );
      const results = outs.map(
        (o) =>
          JSON.parse(o.stdout.trim()) as { count: number; refused: number; started: number; ended: number },
      );
      const refused = results.reduce((n, r) => n + r.refused, 0);
      const seconds =
        (Math.max(...results.map((r) => r.ended)) - Math.min(...results.map((r) => r.started))) / 1000;
      const skew =
        (Math.max(...results.map((r) => r.started)) - Math.min(...results.map((r) => r.started))) / 1000;
      const snap = await setup.snapshot();
      const reserved = snap.agents.filter((a) => a.status.state === 'reserved').length;
      console.log(
        `reservations: ${processes} process(es) × ${inFlight} in flight: ${Math.round(total / seconds).toLocaleString('en')}/s ` +
          `(${total.toLocaleString('en')} in ${seconds.toFixed(2)} s, start skew ${skew.toFixed(2)} s, ` +
          `refused ${refused}, agents reserved ${reserved})`,
      );
    } finally {
      await setup.destroy();
      await setup.close();
    }
  }
}

const argv = process.argv.slice(2);
if (argv[0] === '--worker') {
  await runWorker(argv.slice(1));
} else {
  benchMemory();
  if (!argv.includes('--no-redis')) {
    if (REDIS_URL) await benchRedis();
    else console.log('\nredis: skipped (REDIS_URL is not set)');
  }
}
