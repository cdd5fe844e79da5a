import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { RedisAcdStore } from '../../src/acd/store/redis.ts';
import { hashToken, newToken } from '../../src/admin/tokens.ts';
import { systemClock } from '../../src/clock.ts';
import { createLogger } from '../../src/log.ts';
import type { CallRecord } from '../../src/records/record.ts';
import { type AriSimulator, startAriSimulator } from '../../src/sim/index.ts';
import { heapMiB, reportScenario } from '../support/scenario-report.ts';

const root = join(import.meta.dirname, '../..');
// A Redis database of its own: the engine process uses the default key prefix.
const base = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/15');
base.pathname = '/13';
const redisUrl = base.toString();

const dir = mkdtempSync(join(tmpdir(), 'hotline-sigkill-'));
const children: ChildProcess[] = [];
let sim: AriSimulator | undefined;
afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await sim?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const until = async (what: string, p: () => boolean | Promise<boolean>, ms = 20_000) => {
  const start = Date.now();
  while (!(await p())) {
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
};

const freePort = () =>
  new Promise<number>((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });

/** `hotline serve` as its own process against the simulator and Redis. */
function serve(
  url: string,
  extra: Record<string, string> = {},
): { child: ChildProcess; output: () => string } {
  let out = '';
  const child = spawn(process.execPath, [join(root, 'bin/hotline.js'), 'serve'], {
    cwd: root,
    env: {
      ...process.env,
      ARI_URL: url,
      ARI_USER: 'hotline',
      ARI_PASSWORD: 'hotline',
      ARI_APP: 'hotline',
      REDIS_URL: redisUrl,
      ENGINE_ID: 'sigkill-engine',
      HOTLINE_ROSTER: join(dir, 'roster.yaml'),
      HOTLINE_TOKENS: join(dir, 'tokens.yaml'),
      HOTLINE_RECORDS: join(dir, 'records.jsonl'),
      HTTP_PORT: '0',
      LOG_LEVEL: 'info',
      ...extra,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  children.push(child);
  return { child, output: () => out };
}

describe('the engine process killed with SIGKILL and started again (Redis)', () => {
  it('keeps the bridged call up, picks it up again, frees the agent and writes the call record', async () => {
    const heapBefore = heapMiB();
    const flush = new Redis(redisUrl);
    await flush.flushdb();
    flush.disconnect();
    writeFileSync(
      join(dir, 'roster.yaml'),
      'agents:\n  - { id: a1001, name: 王敏, endpoint: PJSIP/a1001, pools: [general], skills: { general: 5 } }\n',
    );
    writeFileSync(
      join(dir, 'tokens.yaml'),
      `tokens:\n  - { id: ops, role: admin, hash: "${hashToken(newToken('ops'))}" }\n`,
    );
    sim = await startAriSimulator({ logger: createLogger({ level: 'silent' }), defaultPlaybackMs: 300 });
    sim.setEndpoint('PJSIP/a1001', { behaviour: 'answer', answerAfterMs: 200, online: true });

    const first = serve(sim.url);
    await until('the first engine serving', () => first.output().includes('hotline is serving'));
    const store = await RedisAcdStore.open({ centerId: 'sichuan', clock: systemClock, url: redisUrl });
    try {
      await store.login('a1001', 'PJSIP/a1001');
      const { channelId } = sim.injectCall({ app: 'hotline', dialed: '12345', callerNumber: '13800138020' });
      await until('caller and agent bridged', () => sim!.bridges().some((b) => b.channels.length === 2));
      await new Promise((r) => setTimeout(r, 300)); // the session's last write

      first.child.kill('SIGKILL');
      await new Promise((r) => first.child.once('exit', r));
      expect(sim.stats().liveChannels).toBe(2); // the PBX keeps the call up

      const second = serve(sim.url);
      await until('the second engine picks the call up', () =>
        second.output().includes('picking up the calls of an earlier run'),
      );
      sim.hangup(channelId);
      const records = join(dir, 'records.jsonl');
      await until(
        'the call record',
        () => existsSync(records) && readFileSync(records, 'utf8').trim().length > 0,
      );
      const record = JSON.parse(readFileSync(records, 'utf8').trim().split('\n')[0]!);
      expect(record).toMatchObject({ callId: channelId, disposition: 'answered', agentId: 'a1001' });
      await until('no leaks', () => sim!.stats().liveChannels === 0 && sim!.stats().liveBridges === 0);
      await until('agent released', async () => {
        const a = await store.getAgent('a1001');
        return a?.status.state === 'wrap-up' || a?.status.state === 'ready';
      });
      expect(second.output()).not.toMatch(/13800138020/);
      second.child.kill('SIGTERM');
      reportScenario({
        scenario: 'engine-sigkill-restart',
        calls: 1,
        faultsInjected: 1,
        recordsExpected: 1,
        recordsDelivered: readFileSync(records, 'utf8').trim().split('\n').length,
        heapBeforeMiB: heapBefore,
        heapAfterMiB: heapMiB(),
        heapNote: 'the test process; the engine ran in the killed and restarted children',
      });
    } finally {
      await store.close();
    }
  }, 60_000);

  it('keeps calls at every stage (IVR, queued, ringing, talking, mid-transfer): each carries on and ends with its record', async () => {
    const heapBefore = heapMiB();
    const flush = new Redis(redisUrl);
    await flush.flushdb();
    flush.disconnect();
    const agents = ['a2001', 'a2002', 'a2003'];
    writeFileSync(
      join(dir, 'roster-stages.yaml'),
      `agents:\n${agents.map((a) => `  - { id: ${a}, name: ${a}, endpoint: PJSIP/${a}, pools: [general], skills: { general: 5 } }\n`).join('')}`,
    );
    const agentToken = newToken('a2002');
    writeFileSync(
      join(dir, 'tokens-stages.yaml'),
      `tokens:\n  - { id: a2002, role: agent, agentId: a2002, hash: "${hashToken(agentToken)}" }\n`,
    );
    const records = join(dir, 'records-stages.jsonl');
    const port = await freePort();
    const env = {
      HOTLINE_ROSTER: join(dir, 'roster-stages.yaml'),
      HOTLINE_TOKENS: join(dir, 'tokens-stages.yaml'),
      HOTLINE_RECORDS: records,
      HTTP_PORT: String(port),
      ENGINE_ID: 'sigkill-stages',
    };
    await sim?.stop();
    sim = await startAriSimulator({ logger: createLogger({ level: 'silent' }), defaultPlaybackMs: 3000 });
    const s = sim;
    s.setEndpoint('PJSIP/a2001', { behaviour: 'answer', answerAfterMs: 200, online: true });
    s.setEndpoint('PJSIP/a2002', { behaviour: 'answer', answerAfterMs: 200, online: true });
    s.setEndpoint('PJSIP/a2003', { behaviour: 'answer', answerAfterMs: 6000, online: true });
    // The sub-center answers 4 s after it is dialed: while the engine is dead.
    s.setEndpoint('PJSIP/12366@sc-tax', { behaviour: 'answer', answerAfterMs: 4000, online: true });

    const first = serve(s.url, env);
    await until('the first engine serving', () => first.output().includes('hotline is serving'));
    const store = await RedisAcdStore.open({ centerId: 'sichuan', clock: systemClock, url: redisUrl });
    try {
      const call = (n: number) =>
        s.injectCall({ app: 'hotline', dialed: '12345', callerNumber: `1380013810${n}` }).channelId;
      const bridgedWith = (endpoint: string) => () =>
        s.bridges().some((b) =>
          b.channels.some((c) =>
            s
              .channels()
              .find((x) => x.id === c)
              ?.name.includes(endpoint),
          ),
        );
      await store.login('a2001', 'PJSIP/a2001');
      const talking = call(1);
      await until('talking with a2001', bridgedWith('a2001'));
      await store.login('a2002', 'PJSIP/a2002');
      const transferring = call(2);
      await until('talking with a2002', bridgedWith('a2002'));
      const res = await fetch(`http://127.0.0.1:${port}/calls/${transferring}/transfers`, {
        method: 'POST',
        headers: { authorization: `Bearer ${agentToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ target: 'subcenter:tax', mode: 'three-way' }),
      });
      expect(res.status).toBeLessThan(300);
      await until('dialing the sub-center', () => s.channels().some((c) => c.name.includes('sc-tax')));
      await store.login('a2003', 'PJSIP/a2003');
      const ringing = call(3);
      await until('a2003 ringing', () => s.channels().some((c) => c.name.includes('a2003')));
      const queued = call(4);
      await until('the fourth call waiting', async () => Boolean(await store.getCall(queued)));
      const inIvr = call(5);
      await new Promise((r) => setTimeout(r, 500)); // in its welcome prompt
      await new Promise((r) => setTimeout(r, 300)); // the sessions' last writes

      first.child.kill('SIGKILL');
      await new Promise((r) => first.child.once('exit', r));
      expect(s.stats().liveChannels).toBeGreaterThanOrEqual(5);

      const second = serve(s.url, env);
      await until('the second engine picks the calls up', () =>
        second.output().includes('picking up the calls of an earlier run'),
      );
      // The ringing agent's answer and the sub-center's fell in the dead time and were lost with
      // the app: the call is offered again, and the transfer is reported failed to the agent.
      await until('the ringing call talks with a2003', bridgedWith('a2003'), 30_000);
      await new Promise((r) => setTimeout(r, 3000)); // the IVR call reaches its queue
      const ids = [talking, transferring, ringing, queued, inIvr];
      for (const id of ids) s.hangup(id);
      const read = (): CallRecord[] =>
        existsSync(records)
          ? readFileSync(records, 'utf8')
              .split('\n')
              .filter(Boolean)
              .map((l) => JSON.parse(l) as CallRecord)
          : [];
      await until('five records', () => read().length >= ids.length, 30_000);
      const got = read();
      expect(got.map((r) => r.callId).sort()).toEqual([...ids].sort());
      const byId = new Map(got.map((r) => [r.callId, r]));
      expect(byId.get(talking)).toMatchObject({ disposition: 'answered', agentId: 'a2001' });
      expect(byId.get(transferring)).toMatchObject({ agentId: 'a2002' });
      expect(byId.get(transferring)?.transfers?.[0]).toMatchObject({ mode: 'three-way' });
      expect(byId.get(ringing)).toMatchObject({ disposition: 'answered', agentId: 'a2003' });
      expect(byId.get(queued)?.disposition).toBe('abandoned-queue');
      expect(byId.get(inIvr)?.disposition).toMatch(/^abandoned/);
      await until('no leaks', () => s.stats().liveChannels === 0 && s.stats().liveBridges === 0);
      await until('no agent reserved or on a call', async () => {
        const states = await Promise.all(agents.map(async (a) => (await store.getAgent(a))?.status.state));
        return states.every((st) => st === 'wrap-up' || st === 'ready');
      });
      expect(first.output() + second.output()).not.toMatch(/1380013810\d/);
      second.child.kill('SIGTERM');
      reportScenario({
        scenario: 'engine-sigkill-every-stage',
        calls: ids.length,
        faultsInjected: 1,
        recordsExpected: ids.length,
        recordsDelivered: got.length,
        stages: 'talking,mid-transfer,ringing,queued,ivr',
        heapBeforeMiB: heapBefore,
        heapAfterMiB: heapMiB(),
        heapNote: 'the test process; the engine ran in the killed and restarted children',
      });
    } finally {
      await store.close();
    }
  }, 90_000);
});
