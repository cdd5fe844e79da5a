import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { RedisAcdStore } from '../../src/acd/store/redis.ts';
import { hashToken, newToken } from '../../src/admin/tokens.ts';
import { systemClock } from '../../src/clock.ts';
import { createLogger } from '../../src/log.ts';
import { type AriSimulator, startAriSimulator } from '../../src/sim/index.ts';

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

/** `hotline serve` as its own process against the simulator and Redis. */
function serve(url: string): { child: ChildProcess; output: () => string } {
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
    } finally {
      await store.close();
    }
  }, 60_000);
});
