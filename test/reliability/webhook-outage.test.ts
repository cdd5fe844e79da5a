import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startTicketReceiver, type TicketReceiver } from '../../scripts/ticket-receiver.ts';
import { type Clock, systemClock } from '../../src/clock.ts';
import { createLogger } from '../../src/log.ts';
import { loadPlan } from '../../src/plan/load.ts';
import { readRecordsConfig } from '../../src/records/sinks/config.ts';
import { createRecordSink } from '../../src/records/sinks/factory.ts';
import { runSimulation } from '../../src/synthetic/run-simulation.ts';
import { root } from '../support/engine-harness.ts';
import { heapMiB, reportScenario } from '../support/scenario-report.ts';

const dir = mkdtempSync(join(tmpdir(), 'hotline-webhook-'));
let receiver: TicketReceiver | undefined;
afterAll(async () => {
  await receiver?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the ticketing webhook down for a whole run', () => {
  it('keeps every record in the outbox, then delivers each once when the webhook is back', async () => {
    const heapBefore = heapMiB();
    const secret = 'a-webhook-secret-of-some-length';
    // Find a port, then leave it closed: every delivery during the run is refused.
    const probe = await startTicketReceiver({ secret, port: 0, print: () => undefined });
    const port = probe.port;
    await probe.close();
    const env = {
      RECORDS_WEBHOOK_URL: `http://127.0.0.1:${port}/records`,
      RECORDS_WEBHOOK_SECRET: secret,
      RECORDS_OUTBOX: 'file',
      RECORDS_OUTBOX_DIR: join(dir, 'outbox'),
      RECORDS_RETRY_BASE_MS: '1000',
      RECORDS_RETRY_MAX_MS: '300000',
      RECORDS_MAX_ATTEMPTS: '100',
      RECORDS_LIVE_EVENTS: 'none',
    };
    const calls = 40;
    const run = await runSimulation({
      plan: loadPlan(join(root, 'routing-rules')).plan,
      calls,
      agents: 12,
      seed: 99,
      rate: 2,
      speed: 60,
      recordsPath: join(dir, 'unused.jsonl'),
      logger: createLogger({ level: 'silent' }),
      env,
    });
    expect(run.summary.records).toBe(calls);
    expect(run.recordFailures).toBe(0);

    // The webhook comes back an hour later; the engine running then delivers the outbox. (The run
    // used virtual time, so "an hour later" also puts every retry of the run in the past.)
    const hourLater: Clock = {
      now: () => Date.now() + 3_600_000,
      after: systemClock.after,
      elapsedMs: systemClock.elapsedMs,
      defer: systemClock.defer,
    };
    // Each accepted record is printed: the last one of the run is the moment to look.
    let allIn: () => void = () => undefined;
    const delivered = new Promise<void>((resolve) => {
      allIn = resolve;
    });
    const accepted = () => {
      if (receiver && receiver.received.length >= calls) allIn();
    };
    receiver = await startTicketReceiver({ secret, port, now: hourLater.now, print: accepted });
    const sink = await createRecordSink(readRecordsConfig(env), {
      clock: hourLater,
      logger: createLogger({ level: 'silent' }),
    });
    // A safety net for a hung delivery only: what is delivered does not depend on how long it takes.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      delivered,
      new Promise<void>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new Error(
                `timed out (real time) waiting for the outbox to deliver ${calls} records: ${receiver?.received.length} received`,
              ),
            ),
          40_000,
        );
      }),
    ]).finally(() => clearTimeout(timer));
    const keys = receiver.received.map((m) => (m as { idempotencyKey: string }).idempotencyKey);
    expect(new Set(keys).size).toBe(calls);
    expect(receiver.received).toHaveLength(calls);
    expect(receiver.stats.unauthorized).toBe(0);
    expect(await sink.outbox?.deadLetters()).toEqual([]);
    await sink.close();
    reportScenario({
      scenario: 'webhook-down-whole-run',
      calls,
      faultsInjected: 1,
      recordsExpected: calls,
      recordsDelivered: new Set(keys).size,
      deliveriesRefusedDuringRun: calls,
      duplicatesReceived: receiver.received.length - new Set(keys).size,
      heapBeforeMiB: heapBefore,
      heapAfterMiB: heapMiB(),
    });
  }, 90_000);
});
