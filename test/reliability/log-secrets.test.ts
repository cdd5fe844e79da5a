import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hashToken, newToken } from '../../src/admin/tokens.ts';
import { createLogger } from '../../src/log.ts';
import { type AriSimulator, startAriSimulator } from '../../src/sim/index.ts';
import { freePort } from '../support/redis.ts';

const root = join(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'hotline-secrets-'));
let child: ChildProcess | undefined;
let sim: AriSimulator | undefined;
afterAll(async () => {
  child?.kill('SIGKILL');
  await sim?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** The service on its own, without the CI's Redis: file-based versions, ledgers and outbox. */
const withoutRedis = () => {
  const { REDIS_URL: _, ...env } = process.env;
  return env;
};

describe('what the service logs', () => {
  it('never carries a caller number, an API token, the records key or the webhook secret, even at debug level', async () => {
    const caller = '13912345678';
    const admin = newToken('ops');
    const agentToken = newToken('a1001');
    const key = randomBytes(32).toString('base64');
    const secret = `webhook-${randomBytes(12).toString('hex')}`;
    writeFileSync(
      join(dir, 'roster.yaml'),
      'agents:\n  - { id: a1001, name: 王敏, endpoint: PJSIP/a1001, pools: [general], skills: { general: 5 } }\n',
    );
    writeFileSync(
      join(dir, 'tokens.yaml'),
      `tokens:\n  - { id: ops, role: admin, hash: "${hashToken(admin)}" }\n  - { id: a1001, role: agent, agentId: a1001, hash: "${hashToken(agentToken)}" }\n`,
    );
    sim = await startAriSimulator({ logger: createLogger({ level: 'silent' }), defaultPlaybackMs: 300 });
    sim.setEndpoint('PJSIP/a1001', {
      behaviour: 'answer',
      answerAfterMs: 200,
      hangupAfterMs: 1000,
      online: true,
    });
    const port = await freePort();
    let out = '';
    child = spawn(process.execPath, [join(root, 'bin/hotline.js'), 'serve'], {
      cwd: root,
      env: {
        ...withoutRedis(),
        ARI_URL: sim.url,
        ARI_USER: 'hotline',
        ARI_PASSWORD: 'hotline',
        ARI_APP: 'hotline',
        HOTLINE_ROSTER: join(dir, 'roster.yaml'),
        HOTLINE_TOKENS: join(dir, 'tokens.yaml'),
        HOTLINE_RECORDS: join(dir, 'records.jsonl'),
        HOTLINE_RULES_VERSIONS: join(dir, 'versions'),
        HOTLINE_ACCESS_LEDGER: join(dir, 'ledger.jsonl'),
        // Not about overload: a busy test machine must not shed this test's calls.
        ADMISSION: 'off',
        HOTLINE_AUDIT_LOG: join(dir, 'audit.jsonl'),
        RECORDS_KEY: key,
        RECORDS_KEY_ID: 'k1',
        RECORDS_WEBHOOK_URL: 'http://127.0.0.1:9/records',
        RECORDS_WEBHOOK_SECRET: secret,
        RECORDS_OUTBOX: 'file',
        RECORDS_OUTBOX_DIR: join(dir, 'outbox'),
        HTTP_PORT: String(port),
        LOG_LEVEL: 'debug',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr!.on('data', (d: Buffer) => {
      out += d.toString();
    });
    // Every output, stdout and stderr, read to its end once the process has gone.
    const closed = new Promise((r) => child!.once('close', r));
    /** Waits for a condition; `ms` is a safety limit only; an engine that exits fails it at once. */
    const until = async (what: string, p: () => boolean, ms = 60_000) => {
      const start = Date.now();
      while (!p()) {
        if (child!.exitCode !== null)
          throw new Error(`the engine exited waiting for ${what}\n${out.slice(-2000)}`);
        if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}\n${out.slice(-2000)}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    };
    await until('serving', () => out.includes('hotline is serving'), 90_000);
    const api = (path: string, token: string, init: RequestInit = {}) =>
      fetch(`http://127.0.0.1:${port}${path}`, {
        ...init,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...init.headers },
      });
    expect(
      (
        await api('/agents/a1001/login', agentToken, {
          method: 'POST',
          body: JSON.stringify({ endpoint: 'PJSIP/a1001' }),
        })
      ).status,
    ).toBe(200);
    expect((await api('/agents/a1001/ready', agentToken, { method: 'POST', body: '{}' })).status).toBe(200);
    const { channelId } = sim.injectCall({ app: 'hotline', dialed: '12345', callerNumber: caller });
    // The agent talks for 1 s, the caller leaves the survey unanswered; the final record then goes
    // to the (unreachable) webhook and is retried: its delivery attempts are logged.
    await until('the call ended', () => sim!.callOutcome(channelId)?.ended === true);
    await until('the final record sent to the webhook', () => out.includes(`${channelId}:record`));
    expect((await api('/calls', admin)).status).toBe(403); // admins do not read live calls
    expect((await api('/rules', admin)).status).toBe(200);
    expect((await api('/rules', 'hl.ops.wrong-secret')).status).toBe(401);
    await until('the refused request logged', () => out.includes('"statusCode":401'));
    child.kill('SIGTERM');
    await closed;

    expect(out).toMatch(/"level":20/); // debug lines were written
    for (const [what, value] of [
      ['caller number', caller],
      ['admin token', admin],
      ['agent token', agentToken],
      ['token secret part', admin.split('.').at(-1)!],
      ['records key', key],
      ['webhook secret', secret],
    ] as const) {
      expect(out.includes(value), `${what} appears in the log`).toBe(false);
    }
  }, 240_000);
});
