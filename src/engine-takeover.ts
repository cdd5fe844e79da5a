import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { systemClock } from './clock.ts';
import type { Hotline } from './hotline.ts';
import { EngineLease } from './redis/engine-lease.ts';

export interface TakeoverOptions {
  redis: Redis;
  centerId: string;
  /** The engine identities this process serves when their own process is dead (ENGINE_TAKEOVER). */
  engines: string[];
  /** Starts a headless engine under a taken-over identity, with its apps (sessions restored from Redis). */
  start: (engineId: string, apps: string[]) => Promise<Hotline>;
  logger: Logger;
  /** Default 1 s. */
  everyMs?: number;
}

interface Held {
  lease: EngineLease;
  hotline?: Hotline;
}

/**
 * Takes over the calls of a dead engine. Every second, for each identity named in
 * ENGINE_TAKEOVER: when its lease has lapsed (its process silent for 5 s), this process takes the
 * lease and starts a second engine under that identity, on the same nodes, with that engine's
 * apps: it restores the dead engine's sessions from Redis and resynchronises them with Asterisk,
 * so bridged calls carry on and every call still ends with one record. When the identity's own
 * process is back (it asks, `want`), the engine taken over stops — touching no call — and the
 * lease is released; the owner then restores the sessions and resynchronises in turn.
 */
export class EngineTakeover {
  private readonly held = new Map<string, Held>();
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private running = false;

  constructor(private readonly o: TakeoverOptions) {}

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.o.everyMs ?? 1_000);
    this.timer.unref?.();
  }

  /** The identities this process serves now besides its own. */
  get serving(): string[] {
    return [...this.held].filter(([, h]) => h.hotline).map(([id]) => id);
  }

  /** The engine serving a taken-over identity, if any. */
  engine(engineId: string): Hotline | undefined {
    return this.held.get(engineId)?.hotline;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    for (const [id, h] of this.held) await this.handBack(id, h, 'this process stops');
  }

  private async tick(): Promise<void> {
    if (this.running || this.stopped) return;
    this.running = true;
    try {
      for (const id of this.o.engines) {
        const h = this.held.get(id);
        if (h?.hotline) {
          if (!h.lease.holding) await this.handBack(id, h, 'the lease was lost');
          else if (await h.lease.wanted()) await this.handBack(id, h, 'its own process is back');
          continue;
        }
        await this.tryTakeOver(id);
      }
    } catch (err) {
      this.o.logger.warn({ err: (err as Error).message }, 'engine takeover check failed');
    } finally {
      this.running = false;
    }
  }

  private async tryTakeOver(id: string): Promise<void> {
    const held: Held = {
      lease: new EngineLease({
        redis: this.o.redis,
        centerId: this.o.centerId,
        engineId: id,
        clock: systemClock,
        logger: this.o.logger,
        onLost: () => undefined,
      }),
    };
    const apps = await held.lease.apps();
    if (!apps || apps.length === 0) return; // it never ran: nothing to take over
    if (!(await held.lease.acquire())) return; // alive (or taken over elsewhere)
    this.held.set(id, held);
    this.o.logger.warn({ engine: id, apps }, 'taking over a dead engine: restoring its calls');
    try {
      held.hotline = await this.o.start(id, apps);
      this.o.logger.warn(
        { engine: id, calls: held.hotline.engine.liveCalls().length },
        "took over a dead engine's calls",
      );
    } catch (err) {
      this.o.logger.error({ engine: id, err: (err as Error).message }, 'taking over an engine failed');
      this.held.delete(id);
      await held.lease.release();
    }
  }

  private async handBack(id: string, h: Held, why: string): Promise<void> {
    this.o.logger.warn({ engine: id, why }, 'handing a taken-over engine back');
    await h.hotline?.close().catch(() => undefined);
    h.hotline = undefined;
    await h.lease.release();
    this.held.delete(id);
  }
}
