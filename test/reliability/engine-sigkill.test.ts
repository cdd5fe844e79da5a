import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisAcdStore } from '../../src/acd/store/redis.ts';
import { hashToken, newToken } from '../../src/admin/tokens.ts';
import type { CallState } from '../../src/calls/core/types.ts';
import { systemClock } from '../../src/clock.ts';
import { createLogger } from '../../src/log.ts';
import type { CallRecord } from '../../src/records/record.ts';
import { type AriSimulator, startAriSimulator } from '../../src/sim/index.ts';
import { freePort, type PrivateRedis, startPrivateRedis } from '../support/redis.ts';
import { heapMiB, reportScenario } from '../support/scenario-report.ts';

const root = join(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'hotline-sigkill-'));
const children: ChildProcess[] = [];
// Each test runs its engines against a redis-server of its own: the engine process uses the
// default key prefix, so a shared server would mix its keys with other tests'.
const servers: PrivateRedis[] = [];
let sim: AriSimulator | undefined;
afterAll(async () => {
  await Promise.all(children.map((c) => exit(c, 'SIGKILL')));
  await sim?.stop();
  for (const r of servers) await r.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Safety limits only: every wait ends as soon as its condition holds. */
const STARTUP_MS = 90_000;
const until = async (what: string, p: () => boolean | Promise<boolean>, ms = 60_000) => {
  const start = Date.now();
  while (!(await p())) {
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
};

function exit(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

async function privateRedis(): Promise<string> {
  const r = await startPrivateRedis();
  servers.push(r);
  return r.url;
}

/** The session `engineId` keeps in Redis for a call (what a restarted engine picks up). */
async function savedSession(redis: Redis, engineId: string, callId: string): Promise<CallState | undefined> {
  const json = await redis.hget(`hotline:{sichuan}:sessions:${engineId}`, callId);
  return json ? (JSON.parse(json) as CallState) : undefined;
}

interface Engine {
  child: ChildProcess;
  output: () => string;
  /** Resolves once the engine has logged `line`; fails at once if it exits first. */
  logged: (line: string, ms?: number) => Promise<void>;
}

/** `hotline serve` as its own process against the simulator and Redis. */
function serve(url: string, redisUrl: string, extra: Record<string, string> = {}): Engine {
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
      // Not about overload: a busy test machine must not shed this test's calls.
      ADMISSION: 'off',
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
  const logged = (line: string, ms = STARTUP_MS) =>
    new Promise<void>((resolve, reject) => {
      const done = (err?: Error) => {
        clearTimeout(timer);
        child.stdout!.off('data', check);
        child.stderr!.off('data', check);
        child.off('exit', exited);
        if (err) reject(err);
        else resolve();
      };
      const check = () => {
        if (out.includes(line)) done();
      };
      const exited = (code: number | null, signal: string | null) =>
        done(
          new Error(`the engine exited (${signal ?? code}) before logging "${line}":\n${out.slice(-2000)}`),
        );
      const timer = setTimeout(
        () => done(new Error(`the engine did not log "${line}" within ${ms} ms:\n${out.slice(-2000)}`)),
        ms,
      );
      child.stdout!.on('data', check);
      child.stderr!.on('data', check);
      child.once('exit', exited);
      check();
    });
  return { child, output: () => out, logged };
}

describe('the engine process killed with SIGKILL and started again (Redis)', () => {
  it('keeps the bridged call up, picks it up again, frees the agent and writes the call record', async () => {
    const heapBefore = heapMiB();
    const redisUrl = await privateRedis();
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

    const first = serve(sim.url, redisUrl);
    await first.logged('hotline is serving');
    const store = await RedisAcdStore.open({ centerId: 'sichuan', clock: systemClock, url: redisUrl });
    const admin = new Redis(redisUrl);
    try {
      await store.login('a1001', 'PJSIP/a1001');
      const { channelId } = sim.injectCall({ app: 'hotline', dialed: '12345', callerNumber: '13800138020' });
      await until('caller and agent bridged', () => sim!.bridges().some((b) => b.channels.length === 2));
      await until('the talking session saved', async () => {
        const saved = await savedSession(admin, 'sigkill-engine', channelId);
        return saved?.stage === 'talking' && saved.agent?.agentId === 'a1001';
      });

      await exit(first.child, 'SIGKILL');
      expect(sim.stats().liveChannels).toBe(2); // the PBX keeps the call up

      const second = serve(sim.url, redisUrl);
      await second.logged('picking up the calls of an earlier run');
      // Hang up only once the restart has compared its calls with the PBX (resync).
      await second.logged('the calls of an earlier run are resynchronised');
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
      // Exactly one record for the call, once everything has settled after the restart.
      const lines = readFileSync(records, 'utf8').trim().split('\n').filter(Boolean);
      expect(lines.map((l) => (JSON.parse(l) as CallRecord).idempotencyKey)).toEqual([`${channelId}:record`]);
      expect(second.output()).not.toMatch(/13800138020/);
      await exit(second.child, 'SIGTERM');
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
      admin.disconnect();
      await store.close();
    }
  }, 240_000);

  it('keeps calls at every stage (IVR, queued, ringing, talking, mid-transfer): each carries on and ends with its record', async () => {
    const heapBefore = heapMiB();
    const redisUrl = await privateRedis();
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

    const first = serve(s.url, redisUrl, env);
    await first.logged('hotline is serving');
    const store = await RedisAcdStore.open({ centerId: 'sichuan', clock: systemClock, url: redisUrl });
    const admin = new Redis(redisUrl);
    const saved = (callId: string) => savedSession(admin, 'sigkill-stages', callId);
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
      // Every stage saved in Redis before the engine dies (what the next run picks up). The
      // simulated far ends answer on the wall clock (a2003 6 s, the sub-center 4 s after they are
      // dialed): on a slow machine they may answer before the kill, which the outcome allows.
      await until('the sessions of every stage saved', async () => {
        const [t, x, r, q, i] = await Promise.all([talking, transferring, ringing, queued, inIvr].map(saved));
        return (
          t?.stage === 'talking' &&
          (x?.transfer !== undefined || (x?.transfers?.length ?? 0) > 0) &&
          ((r?.stage === 'ringing' && r.offer?.channelId !== undefined) ||
            (r?.stage === 'talking' && r.agent?.agentId === 'a2003')) &&
          q?.stage === 'queued' &&
          i?.stage === 'ivr' // in its welcome prompt
        );
      });

      await exit(first.child, 'SIGKILL');
      expect(s.stats().liveChannels).toBeGreaterThanOrEqual(5);

      const second = serve(s.url, redisUrl, env);
      await second.logged('picking up the calls of an earlier run');
      await second.logged('the calls of an earlier run are resynchronised');
      // The ringing agent's answer and the sub-center's fell in the dead time and were lost with
      // the app: the call is offered again, and the transfer is reported failed to the agent.
      await until('the ringing call talks with a2003', bridgedWith('a2003'));
      await until('the IVR call reaches its queue', async () => Boolean(await store.getCall(inIvr)));
      const ids = [talking, transferring, ringing, queued, inIvr];
      for (const id of ids) s.hangup(id);
      const read = (): CallRecord[] =>
        existsSync(records)
          ? readFileSync(records, 'utf8')
              .split('\n')
              .filter(Boolean)
              .map((l) => JSON.parse(l) as CallRecord)
          : [];
      await until('five records', () => read().length >= ids.length);
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
      // Exactly one record per call id (no call picked up again as a new one, none written twice).
      const all = read();
      const keys = all.map((r) => r.idempotencyKey);
      expect(new Set(keys).size).toBe(keys.length);
      expect(all.map((r) => r.callId).sort()).toEqual([...ids].sort());
      expect(first.output() + second.output()).not.toMatch(/1380013810\d/);
      await exit(second.child, 'SIGTERM');
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
      admin.disconnect();
      await store.close();
    }
  }, 300_000);
});

describe('an engine process killed with SIGKILL while another names it in ENGINE_TAKEOVER', () => {
  it('has its call carried on by the other process, recorded once there, and gets it back when it restarts', async () => {
    const redisUrl = await privateRedis();
    writeFileSync(
      join(dir, 'roster.yaml'),
      'agents:\n  - { id: a3001, name: 李娜, endpoint: PJSIP/a3001, pools: [general], skills: { general: 5 } }\n',
    );
    const sup = newToken('sup');
    writeFileSync(
      join(dir, 'tokens.yaml'),
      `tokens:\n  - { id: ops, role: admin, hash: "${hashToken(newToken('ops'))}" }\n` +
        `  - { id: sup, role: supervisor, hash: "${hashToken(sup)}" }\n`,
    );
    await sim?.stop();
    sim = await startAriSimulator({ logger: createLogger({ level: 'silent' }), defaultPlaybackMs: 300 });
    sim.setEndpoint('PJSIP/a3001', { behaviour: 'answer', answerAfterMs: 200, online: true });
    const recordsOf = (id: string) => join(dir, `records-${id}.jsonl`);
    const engine = (id: string, app: string, other: string, httpPort = 0) =>
      serve(sim!.url, redisUrl, {
        ENGINE_ID: id,
        ARI_APP: app,
        ENGINE_TAKEOVER: other,
        HOTLINE_RECORDS: recordsOf(id),
        HTTP_PORT: String(httpPort),
      });
    const e2Port = await freePort();
    /** The live calls e2's API lists, to a supervisor. */
    const e2Calls = async () => {
      const res = await fetch(`http://127.0.0.1:${e2Port}/calls`, {
        headers: { authorization: `Bearer ${sup}` },
      });
      expect(res.status).toBe(200);
      return ((await res.json()) as { id: string }[]).map((c) => c.id);
    };
    const lines = (id: string) =>
      existsSync(recordsOf(id))
        ? readFileSync(recordsOf(id), 'utf8')
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l) as CallRecord)
        : [];

    const e1 = engine('e1', 'hotline-1', 'e2');
    const e2 = engine('e2', 'hotline-2', 'e1', e2Port);
    await Promise.all([e1.logged('hotline is serving'), e2.logged('hotline is serving')]);
    const store = await RedisAcdStore.open({ centerId: 'sichuan', clock: systemClock, url: redisUrl });
    const admin = new Redis(redisUrl);
    try {
      await store.login('a3001', 'PJSIP/a3001');
      const { channelId } = sim.injectCall({
        app: 'hotline-1',
        dialed: '12345',
        callerNumber: '13800138030',
      });
      await until('the talking session saved under e1', async () => {
        const saved = await savedSession(admin, 'e1', channelId);
        return saved?.stage === 'talking';
      });

      expect(await e2Calls()).not.toContain(channelId);
      await exit(e1.child, 'SIGKILL');
      await e2.logged("took over a dead engine's calls", 30_000);
      expect(sim.stats().liveChannels).toBe(2);
      // the call taken over is e2's to show and act on, like its own
      expect(await e2Calls()).toContain(channelId);
      const detail = await fetch(`http://127.0.0.1:${e2Port}/calls/${channelId}`, {
        headers: { authorization: `Bearer ${sup}` },
      });
      expect(detail.status).toBe(200);
      sim.hangup(channelId);
      await until('the call record, written by the process that took over', () => lines('e2').length > 0);
      expect(lines('e2')[0]).toMatchObject({ callId: channelId, disposition: 'answered', agentId: 'a3001' });
      await until('no leaks', () => sim!.stats().liveChannels === 0 && sim!.stats().liveBridges === 0);
      await until('agent released', async () => {
        const a = await store.getAgent('a3001');
        return a?.status.state === 'wrap-up' || a?.status.state === 'ready';
      });

      // e1 comes back: it waits for its identity, which e2 hands back.
      const again = engine('e1', 'hotline-1', 'e2');
      await again.logged('this engine is served by another process', 30_000);
      await e2.logged('handing a taken-over engine back', 30_000);
      await again.logged('hotline is serving', 30_000);
      const next = sim.injectCall({ app: 'hotline-1', dialed: '12345', callerNumber: '13800138031' });
      await until(
        'the new call served by e1 again',
        async () => (await savedSession(admin, 'e1', next.channelId)) !== undefined,
      );
      sim.hangup(next.channelId);
      await until('its record, written by e1', () => lines('e1').some((r) => r.callId === next.channelId));
      // One record per call over both processes.
      const all = [...lines('e1'), ...lines('e2')].map((r) => r.idempotencyKey);
      expect(all.sort()).toEqual([`${channelId}:record`, `${next.channelId}:record`].sort());
      await Promise.all([exit(again.child, 'SIGTERM'), exit(e2.child, 'SIGTERM')]);
    } finally {
      admin.disconnect();
      await store.close();
    }
  }, 240_000);
});

describe('the process that took over a dead engine counts and listens to its calls like its own', () => {
  // One takeover for the three tests, in order: a call queued on e1 when e1 is killed, taken over
  // by e2 and answered there (by the engine taken over), then seen through e2's API.
  const sup = newToken('sup');
  const SUP_PHONE = 'PJSIP/sup9001';
  let e2: Engine;
  let e2Port = 0;
  let callId = '';
  let store: RedisAcdStore;
  let admin: Redis;
  const recordsOf = (id: string) => join(dir, `records-held-${id}.jsonl`);
  const get = (path: string, init: RequestInit = {}) =>
    fetch(`http://127.0.0.1:${e2Port}${path}`, {
      ...init,
      headers: {
        authorization: `Bearer ${sup}`,
        ...(init.body ? { 'content-type': 'application/json' } : {}),
      },
    });
  /** The sum of a metric's samples on e2's /metrics whose labels include `labels`. */
  const metric = async (name: string, labels = '') => {
    const text = await (await get('/metrics')).text();
    return text
      .split('\n')
      .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
      .filter((l) => l.includes(labels))
      .reduce((n, l) => n + Number(l.split(' ').at(-1)), 0);
  };
  const kpi = async () => {
    const res = await get('/stats');
    expect(res.status).toBe(200);
    return ((await res.json()) as { kpi: { calls: number; offered: number; answered: number } }).kpi;
  };

  beforeAll(async () => {
    const redisUrl = await privateRedis();
    writeFileSync(
      join(dir, 'roster-held.yaml'),
      'agents:\n  - { id: a5001, name: 周红, endpoint: PJSIP/a5001, pools: [general], skills: { general: 5 } }\n',
    );
    writeFileSync(
      join(dir, 'tokens-held.yaml'),
      `tokens:\n  - { id: sup, role: supervisor, hash: "${hashToken(sup)}" }\n`,
    );
    await sim?.stop();
    sim = await startAriSimulator({ logger: createLogger({ level: 'silent' }), defaultPlaybackMs: 300 });
    sim.setEndpoint('PJSIP/a5001', { behaviour: 'answer', answerAfterMs: 200, online: true });
    sim.setEndpoint(SUP_PHONE, { behaviour: 'answer', answerAfterMs: 200, online: true });
    const engine = (id: string, app: string, other: string, httpPort = 0) =>
      serve(sim!.url, redisUrl, {
        ENGINE_ID: id,
        ARI_APP: app,
        ENGINE_TAKEOVER: other,
        HOTLINE_ROSTER: join(dir, 'roster-held.yaml'),
        HOTLINE_TOKENS: join(dir, 'tokens-held.yaml'),
        HOTLINE_RECORDS: recordsOf(id),
        HTTP_PORT: String(httpPort),
      });
    e2Port = await freePort();
    const e1 = engine('e1', 'hotline-1', 'e2');
    e2 = engine('e2', 'hotline-2', 'e1', e2Port);
    await Promise.all([e1.logged('hotline is serving'), e2.logged('hotline is serving')]);
    store = await RedisAcdStore.open({ centerId: 'sichuan', clock: systemClock, url: redisUrl });
    admin = new Redis(redisUrl);
    // The agent is on a break: the call waits in the queue of e1.
    await store.login('a5001', 'PJSIP/a5001', '小休');
    callId = sim.injectCall({ app: 'hotline-1', dialed: '12345', callerNumber: '13800138050' }).channelId;
    await until('the queued session saved under e1', async () => {
      const saved = await savedSession(admin, 'e1', callId);
      return saved?.stage === 'queued';
    });
    // e1 counted the call's arrival and its entry in the queue in the day's figures (Redis).
    await until('the call in the day of e2’s wallboard', async () => (await kpi()).offered === 1);
    await exit(e1.child, 'SIGKILL');
    await e2.logged("took over a dead engine's calls", 30_000);
    // The agent comes back: the engine taken over (in e2's process) offers the call, which is answered.
    await store.ready('a5001');
    await until('the call taken over talking', async () => {
      const saved = await savedSession(admin, 'e1', callId);
      return saved?.stage === 'talking' && saved.agent?.agentId === 'a5001';
    });
  }, 180_000);

  afterAll(async () => {
    try {
      if (callId && sim) {
        sim.hangup(callId);
        await until('the call record, written by e2', () => existsSync(recordsOf('e2')));
      }
      if (e2) await exit(e2.child, 'SIGTERM');
    } finally {
      admin?.disconnect();
      await store?.close();
    }
  }, 60_000);

  it("has the call taken over in its wallboard's day: answered there, and each earlier fact counted once", async () => {
    await until('the answer counted', async () => (await kpi()).answered === 1);
    expect(await kpi()).toMatchObject({ calls: 1, offered: 1, answered: 1 });
  });

  it('has the call taken over in its metrics: a live call talking, offered and answered once', async () => {
    expect(await metric('hotline_live_calls', 'stage="talking"')).toBe(1);
    expect(await metric('hotline_calls_answered_total')).toBe(1);
    expect(await metric('hotline_calls_offered_total')).toBe(1);
  });

  it('counts the call taken over in its /health, naming the engine it serves besides its own', async () => {
    const res = await get('/health');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ liveCalls: 1, takenOver: ['e1'] });
  });

  it("lets a supervisor listen in (监听) on the call taken over, on the taken-over engine's telephony", async () => {
    const url = `/calls/${callId}/monitor`;
    const start = await get(url, {
      method: 'POST',
      body: JSON.stringify({ mode: 'listen', endpoint: SUP_PHONE }),
    });
    expect(start.status).toBe(201);
    expect(await start.json()).toMatchObject({ callId, mode: 'listen' });
    await until(
      'listening',
      async () => ((await (await get(url)).json()) as { stage: string }).stage === 'live',
    );
    await until('the snoop bridged with the supervisor', () =>
      sim!.channels().some((c) => c.kind === 'snoop' && c.bridgeId !== undefined),
    );
    const stop = await get(url, { method: 'DELETE' });
    expect(stop.status).toBe(200);
    expect(await stop.json()).toMatchObject({ stage: 'ended', endReason: 'stopped' });
    await until('only the call left', () => sim!.channels().length === 2);
  });
});

describe('an engine process whose lease another process takes', () => {
  it('stops serving and exits with code 3', async () => {
    const redisUrl = await privateRedis();
    writeFileSync(
      join(dir, 'roster.yaml'),
      'agents:\n  - { id: a4001, name: 陈静, endpoint: PJSIP/a4001, pools: [general], skills: { general: 5 } }\n',
    );
    const sup = newToken('sup');
    writeFileSync(
      join(dir, 'tokens.yaml'),
      `tokens:\n  - { id: ops, role: admin, hash: "${hashToken(newToken('ops'))}" }\n` +
        `  - { id: sup, role: supervisor, hash: "${hashToken(sup)}" }\n`,
    );
    await sim?.stop();
    sim = await startAriSimulator({ logger: createLogger({ level: 'silent' }) });
    const e = serve(sim.url, redisUrl, { ENGINE_ID: 'leased' });
    await e.logged('hotline is serving');
    const admin = new Redis(redisUrl);
    try {
      const exited = new Promise<number | null>((resolve) => e.child.once('exit', (code) => resolve(code)));
      await admin.set('hotline:{sichuan}:engine-lease:leased', 'another-process', 'PX', 5_000);
      expect(await exited).toBe(3);
      expect(e.output()).toContain('engine lease lost');
    } finally {
      admin.disconnect();
    }
  }, 120_000);
});
