/**
 * Soak: a long synthetic load through the engine and the simulator, with the ACD in Redis when
 * REDIS_URL is set, and one JSON line per scenario: calls, records written/expected, leaked
 * channels and bridges, agents stuck reserved or on a call, heap and RSS before and after.
 *
 *   npm run soak -- [--calls 10000] [--rate 5] [--agents 400] [--speed 20]
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { projectRoot } from '../src/cli/paths.ts';
import { createLogger } from '../src/log.ts';
import { loadPlan } from '../src/plan/load.ts';
import { runSimulation } from '../src/synthetic/run-simulation.ts';

const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '10000' },
    rate: { type: 'string', default: '5' },
    agents: { type: 'string', default: '400' },
    speed: { type: 'string', default: '20' },
    seed: { type: 'string', default: '2026' },
  },
});
const calls = Number(values.calls);
const recordsPath = join(projectRoot, 'var', `soak-${process.pid}.jsonl`);
rmSync(recordsPath, { force: true });
const redisUrl = process.env.REDIS_URL;
const run = await runSimulation({
  plan: loadPlan(join(projectRoot, 'routing-rules')).plan,
  calls,
  agents: Number(values.agents),
  seed: Number(values.seed),
  rate: Number(values.rate),
  speed: Number(values.speed),
  recordsPath,
  logger: createLogger({ level: 'error', destination: process.stderr }),
  ...(redisUrl ? { redisUrl, redisKeyPrefix: `hotline-soak-${process.pid}` } : {}),
  progress: (line) => process.stderr.write(`soak: ${line}\n`),
});
const ok =
  run.summary.records === calls &&
  run.summary.leakedChannels === 0 &&
  run.summary.leakedBridges === 0 &&
  run.stuckAgents === 0 &&
  run.liveCalls === 0;
console.log(
  JSON.stringify({
    scenario: 'soak',
    store: redisUrl ? 'redis' : 'memory',
    calls,
    recordsExpected: calls,
    recordsWritten: run.summary.records,
    leakedChannels: run.summary.leakedChannels,
    leakedBridges: run.summary.leakedBridges,
    stuckAgents: run.stuckAgents,
    liveCallsLeft: run.liveCalls,
    heapStartMiB: run.heapStartMiB,
    heapEndMiB: run.heapEndMiB,
    rssEndMiB: run.rssEndMiB,
    seconds: run.seconds,
    summary: run.summary,
    ok,
  }),
);
process.exitCode = ok ? 0 : 1;
