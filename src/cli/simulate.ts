import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger } from '../log.ts';
import { loadPlan } from '../plan/load.ts';
import { runSimulation } from '../synthetic/run-simulation.ts';
import { type CommandIO, UsageError } from './io.ts';
import { projectRoot, rulesDir } from './paths.ts';

export const simulateHelp = `hotline simulate [--rules DIR] [--calls N] [--agents M] [--seed S] [--rate R] [--speed X] [--records FILE]
  Runs a seeded synthetic load through the engine and the real ari-client connection to the
  built-in ARI simulator: callers with key presses and patience, agents with talk times.
  --rate is new calls per (virtual) second; --speed runs virtual time X times faster.
  Shows progress on stderr and ends with one JSON summary on stdout.`;

function positive(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new UsageError(`--${name} must be a positive number, got "${value}"`);
  return n;
}

export async function simulateCommand(args: string[], io: CommandIO): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      rules: { type: 'string' },
      calls: { type: 'string' },
      agents: { type: 'string' },
      seed: { type: 'string' },
      rate: { type: 'string' },
      speed: { type: 'string' },
      records: { type: 'string' },
    },
    strict: true,
  });
  const calls = Math.round(positive('calls', values.calls, 500));
  const agents = Math.round(positive('agents', values.agents, 40));
  const seed = Math.round(positive('seed', values.seed, 12345));
  const rate = positive('rate', values.rate, 0.5);
  const speed = positive('speed', values.speed, 40);
  const recordsPath = values.records ?? join(projectRoot, 'var', `simulate-${process.pid}.jsonl`);
  rmSync(recordsPath, { force: true });

  const { plan } = loadPlan(rulesDir(values.rules));
  const logger = createLogger({ level: process.env.LOG_LEVEL ?? 'warn', destination: process.stderr });
  const run = await runSimulation({
    plan,
    calls,
    agents,
    seed,
    rate,
    speed,
    recordsPath,
    logger,
    progress: (line) => io.err(`simulate: ${line}`),
  });
  io.out(JSON.stringify(run.summary));
  return 0;
}
