import { connect, createServer, type Server, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.ts';
import { createLogger } from '../../src/log.ts';
import { type AriSimulator, startAriSimulator } from '../../src/sim/index.ts';
import { AriAdapter, AriLoginError } from '../../src/telephony/ari/ari-adapter.ts';

/** A TCP relay to the simulator that resets every connection until it is opened. */
class Gate {
  open = false;
  refused = 0;
  private readonly sockets = new Set<Socket>();
  readonly server: Server;
  port = 0;
  constructor(private readonly target: number) {
    this.server = createServer((client) => {
      this.sockets.add(client);
      client.on('close', () => this.sockets.delete(client));
      if (!this.open) {
        this.refused++;
        client.resetAndDestroy();
        return;
      }
      const upstream = connect(this.target, '127.0.0.1');
      this.sockets.add(upstream);
      upstream.on('close', () => this.sockets.delete(upstream));
      client.pipe(upstream).pipe(client);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
    });
  }
  async listen(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    const a = this.server.address();
    this.port = typeof a === 'object' && a ? a.port : 0;
  }
  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

/** A logger whose lines the test can wait on. */
function tappedLogger() {
  const lines: { msg: string }[] = [];
  const waiters: (() => void)[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)));
      for (const w of waiters.splice(0)) w();
      done();
    },
  });
  const logger = createLogger({ level: 'info', destination: sink });
  const untilLine = async (msg: string) => {
    while (!lines.some((l) => l.msg === msg)) await new Promise<void>((r) => waiters.push(r));
  };
  return { logger, lines, untilLine };
}

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function sim(): Promise<AriSimulator> {
  const s = await startAriSimulator({ logger: createLogger({ level: 'silent' }) });
  cleanup.push(() => s.stop());
  return s;
}

describe('starting the ARI connection', () => {
  it('fails at once with a login error naming the settings when ARI refuses the password', async () => {
    const s = await sim();
    const adapter = new AriAdapter({
      url: s.url,
      user: 'hotline',
      password: 'wrong',
      apps: ['hotline-1'],
      logger: createLogger({ level: 'silent' }),
      clock: systemClock,
    });
    cleanup.push(() => adapter.stop());
    const failure = await adapter.start(() => undefined).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(AriLoginError);
    expect((failure as AriLoginError).status).toBe(401);
    expect((failure as Error).message).toContain('ARI_PASSWORD');
  });

  it('waits for an Asterisk that does not answer yet, and connects once it does', async () => {
    const s = await sim();
    const gate = new Gate(Number(new URL(s.url).port));
    await gate.listen();
    cleanup.push(() => gate.close());
    const { logger, untilLine } = tappedLogger();
    const adapter = new AriAdapter({
      url: `http://127.0.0.1:${gate.port}`,
      user: 'hotline',
      password: 'hotline',
      apps: ['hotline-1'],
      logger,
      clock: systemClock,
    });
    cleanup.push(() => adapter.stop());
    const started = adapter.start(() => undefined);
    await untilLine('ARI does not answer yet; trying again');
    expect(gate.refused).toBeGreaterThan(0);
    gate.open = true;
    await started;
    expect(adapter.connected).toBe(true);
  }, 60_000);
});
