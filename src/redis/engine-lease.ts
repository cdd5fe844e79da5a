import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../clock.ts';

/** How long a lease lives without renewal: an engine silent this long is taken for dead. */
export const ENGINE_LEASE_MS = 5_000;
/** How often the holder renews it. */
export const ENGINE_LEASE_RENEW_MS = 1_000;

/** Renews only the holder's own lease (a lease taken over since is not extended). */
const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;
/** Releases only the holder's own lease. */
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

export interface EngineLeaseOptions {
  redis: Redis;
  centerId: string;
  keyPrefix?: string;
  /** The engine identity held (ENGINE_ID): its sessions in Redis are its calls. */
  engineId: string;
  clock: Clock;
  logger: Logger;
  /** Called once when the lease is found held by someone else (renewal refused or failing too long). */
  onLost: () => void;
}

/**
 * One process at a time serves an engine identity. The lease (`<prefix>:{center}:engine-lease:<id>`,
 * a random token, PX 5 s renewed every second) is what says which: the engine's sessions, its
 * Stasis apps and its calls belong to the holder. A process that cannot take it waits (standby),
 * asking for it back (`want`); a holder that finds it gone stops at once rather than serve calls
 * another process now serves.
 *
 * The apps each identity registers are kept beside (`engine-apps`), so a process taking over a
 * dead engine's identity registers the same apps and finds its calls (ENGINE_TAKEOVER).
 */
export class EngineLease {
  readonly token = randomBytes(12).toString('hex');
  private timer?: TimerHandle;
  private held = false;
  private failingSince?: number;
  private readonly key: string;
  private readonly wantKey: string;
  private readonly appsKey: string;

  constructor(private readonly o: EngineLeaseOptions) {
    const base = `${o.keyPrefix ?? 'hotline'}:{${o.centerId}}`;
    this.key = `${base}:engine-lease:${o.engineId}`;
    this.wantKey = `${base}:engine-want:${o.engineId}`;
    this.appsKey = `${base}:engine-apps`;
  }

  get holding(): boolean {
    return this.held;
  }

  /** Takes the lease if nobody holds it; starts renewing it. */
  async acquire(): Promise<boolean> {
    const ok = await this.o.redis.set(this.key, this.token, 'PX', ENGINE_LEASE_MS, 'NX');
    if (ok !== 'OK') return false;
    this.held = true;
    this.failingSince = undefined;
    this.schedule();
    return true;
  }

  /** Who holds it now (a token), or undefined. */
  holder(): Promise<string | null> {
    return this.o.redis.get(this.key);
  }

  /** Asks the holder to hand the identity back (its owner's process is up again). */
  async want(): Promise<void> {
    await this.o.redis.set(this.wantKey, this.token, 'PX', ENGINE_LEASE_MS);
  }

  /** Whether the identity's own process asks for it back. */
  async wanted(): Promise<boolean> {
    return (await this.o.redis.exists(this.wantKey)) === 1;
  }

  /** Records the apps this identity registers (for a process that takes it over). */
  async publishApps(apps: string[]): Promise<void> {
    await this.o.redis.hset(this.appsKey, this.o.engineId, apps.join(','));
  }

  /** The apps the identity registered last, if it ever ran. */
  async apps(): Promise<string[] | undefined> {
    const v = await this.o.redis.hget(this.appsKey, this.o.engineId);
    return v ? v.split(',').filter(Boolean) : undefined;
  }

  /** Stops renewing and gives the lease up (only if still ours). */
  async release(): Promise<void> {
    this.timer?.cancel();
    if (!this.held) return;
    this.held = false;
    await this.o.redis.eval(RELEASE, 1, this.key, this.token).catch(() => undefined);
  }

  private schedule(): void {
    this.timer = this.o.clock.after(ENGINE_LEASE_RENEW_MS, () => void this.renew());
  }

  private async renew(): Promise<void> {
    if (!this.held) return;
    try {
      const ok = await this.o.redis.eval(RENEW, 1, this.key, this.token, String(ENGINE_LEASE_MS));
      this.failingSince = undefined;
      if (ok !== 1) return this.lost('held by another process');
    } catch (err) {
      // Redis unreachable: the lease may lapse meanwhile. Past its life, another process may
      // hold the identity: stop serving it.
      this.failingSince ??= this.o.clock.now();
      if (this.o.clock.now() - this.failingSince >= ENGINE_LEASE_MS)
        return this.lost(`not renewed for ${ENGINE_LEASE_MS} ms: ${(err as Error).message}`);
    }
    if (this.held) this.schedule();
  }

  private lost(why: string): void {
    if (!this.held) return;
    this.held = false;
    this.o.logger.error(
      { engine: this.o.engineId, why },
      'engine lease lost: this process stops serving the engine',
    );
    this.o.onLost();
  }
}
