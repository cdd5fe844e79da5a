import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CallState } from '../../src/calls/core/types.ts';
import { type Rig, readyAgents, startRig } from '../support/engine-harness.ts';
import { heapMiB, reportScenario } from '../support/scenario-report.ts';

const dir = mkdtempSync(join(tmpdir(), 'hotline-redis-'));
let redis: ChildProcess | undefined;
let rig: Rig | undefined;
afterAll(async () => {
  await rig?.close().catch(() => undefined);
  redis?.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function startRedis(port: number): ChildProcess {
  return spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    {
      stdio: 'ignore',
    },
  );
}

async function waitForRedis(redisUrl: string): Promise<void> {
  const { Redis } = await import('ioredis');
  const probe = new Redis(redisUrl, { lazyConnect: true, retryStrategy: () => 50 });
  probe.on('error', () => undefined); // refused until the server is up
  const ready = new Promise((r) => probe.once('ready', r));
  probe.connect().catch(() => undefined); // the retry strategy keeps trying until it is up
  await ready;
  probe.disconnect();
}

describe('Redis unreachable during live calls', () => {
  it('lets calls wait while Redis does not answer for 10 s, then serves them; nothing crashes, no record is lost', async () => {
    const heapBefore = heapMiB();
    const port = await freePort();
    redis = startRedis(port);
    const redisUrl = `redis://127.0.0.1:${port}/0`;
    await waitForRedis(redisUrl);

    const roster = [{ id: 'a1001', name: 'a1001', pools: ['general'], skills: { general: 5 } }];
    rig = await startRig({ roster, redisUrl, promptMs: 500 });
    await readyAgents(rig, [
      { id: 'a1001', endpoint: 'PJSIP/a1001', answerAfterMs: 300, hangupAfterMs: 3000 },
    ]);
    const ended: CallState[] = [];
    rig.hotline.engine.onEnded((s) => ended.push(s));

    // Redis stops answering (the process is frozen: connections stay open, replies never come).
    redis.kill('SIGSTOP');
    const calls = [0, 1, 2].map((i) =>
      rig!.sim.injectCall({ app: 'hotline', dialed: '12345', callerNumber: `1390000004${i}` }),
    );
    // Time passes for the calls while Redis is frozen: 10 s of real time at the speed this test
    // ran at before (10×), 100 s of the calls' time. Nothing waits for Redis meanwhile.
    await rig.runUntil(
      'the three calls queued',
      () => calls.every((c) => rig!.hotline.engine.call(c.channelId)?.stage === 'queued'),
      { ignoreRedis: true },
    );
    await rig.advance(100_000, { ignoreRedis: true });
    // Calls wait in the queue (music on hold); none was dropped or offered.
    for (const c of calls) expect(rig.hotline.engine.call(c.channelId)?.stage).toBe('queued');
    expect(rig.sim.stats().liveChannels).toBe(3);

    redis.kill('SIGCONT');
    await rig.runUntil('all three calls served and ended', () => ended.length === 3);
    expect(ended.map((s) => s.disposition)).toEqual(['answered', 'answered', 'answered']);
    await rig.runUntil('three records', () => rig!.records.records.length === 3);
    await rig.runUntil(
      'no leaks',
      () => rig!.sim.stats().liveChannels === 0 && rig!.sim.stats().liveBridges === 0,
    );
    reportScenario({
      scenario: 'redis-frozen-10s',
      calls: calls.length,
      faultsInjected: 1,
      recordsExpected: calls.length,
      recordsDelivered: rig.records.records.length,
      answered: ended.filter((s) => s.disposition === 'answered').length,
      heapBeforeMiB: heapBefore,
      heapAfterMiB: heapMiB(),
    });
  }, 60_000);

  it('restores queues, roster and waiting calls when Redis restarts empty, so waiting calls are served', async () => {
    await rig?.close();
    rig = undefined;
    redis?.kill('SIGKILL');
    const heapBefore = heapMiB();
    const port = await freePort();
    redis = startRedis(port);
    const redisUrl = `redis://127.0.0.1:${port}/0`;
    await waitForRedis(redisUrl);
    const roster = [{ id: 'a1001', name: 'a1001', pools: ['general'], skills: { general: 5 } }];
    rig = await startRig({ roster, redisUrl, promptMs: 500 });
    const ended: CallState[] = [];
    rig.hotline.engine.onEnded((s) => ended.push(s));
    const waiting = rig.sim.injectCall({ app: 'hotline', dialed: '12345', callerNumber: '13900000050' });
    await rig.runUntil('queued', () => rig!.hotline.engine.call(waiting.channelId)?.stage === 'queued');

    // Redis dies and comes back empty (no persistence).
    redis.kill('SIGKILL');
    await new Promise((r) => redis!.once('exit', r));
    redis = startRedis(port);
    await waitForRedis(redisUrl);
    await rig.runUntil('the call back in its queue', async () =>
      Boolean(await rig!.hotline.store.getCall(waiting.channelId)),
    );

    // The agent's login was lost with Redis: they log in again and get the waiting call.
    await readyAgents(rig, [
      { id: 'a1001', endpoint: 'PJSIP/a1001', answerAfterMs: 300, hangupAfterMs: 1000 },
    ]);
    await rig.runUntil('served', () => ended.length === 1);
    expect(ended[0]!.disposition).toBe('answered');
    await rig.runUntil(
      'no leaks',
      () => rig!.sim.stats().liveChannels === 0 && rig!.sim.stats().liveBridges === 0,
    );
    await rig.runUntil('its record', () => rig!.records.records.length === 1);
    reportScenario({
      scenario: 'redis-restarted-empty',
      calls: 1,
      faultsInjected: 1,
      recordsExpected: 1,
      recordsDelivered: rig.records.records.length,
      heapBeforeMiB: heapBefore,
      heapAfterMiB: heapMiB(),
    });
  }, 60_000);
});
