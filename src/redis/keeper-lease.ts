import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../clock.ts';

/** A keeper silent this long loses its post to another engine. */
export const KEEPER_LEASE_MS = 5_000;
/** How often each engine takes or renews the posts it can hold. */
export const KEEPER_RENEW_MS = 1_000;

/**
 * Takes the post when it is free, renews it when it is ours; 1 when ours afterwards, else 0.
 * KEYS[1] the post, ARGV[1] our token, ARGV[2] its life in ms.
 */
const TAKE_OR_RENEW = `
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
if not holder then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
return 0`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

export interface KeeperPost {
  /** The post's name, e.g. the node whose safety-net queue it keeps. */
  name: string;
  /** Whether this engine can do the work now (e.g. its AMI to the node is up); else it lets the post go. */
  able: () => boolean;
  /** Called when this engine becomes the keeper (true) or stops being it (false). */
  onChange: (keeper: boolean) => void;
}

export interface KeeperLeaseOptions {
  redis: Redis;
  centerId: string;
  keyPrefix?: string;
  /** What the posts are for, part of their keys (e.g. `safety-net`). */
  duty: string;
  posts: KeeperPost[];
  clock: Clock;
  logger: Logger;
}

/**
 * Work that one engine should do for all (keeping a node's safety-net queue in step with the
 * agents over AMI) is given to one keeper per post: a Redis key `<prefix>:{center}:keeper:<duty>:<post>`
 * holding the keeper's random token, PX 5 s, renewed every second. An engine that cannot do the
 * work (`able` false) gives its post up; one that loses Redis stops keeping it once the lease may
 * have lapsed. A new keeper starts with a full comparison, so nothing seen while another kept the
 * post (or while nobody did) is missed.
 */
export class KeeperLease {
  readonly token = randomBytes(12).toString('hex');
  private readonly held = new Set<string>();
  private readonly failingSince = new Map<string, number>();
  private timer?: TimerHandle;
  private stopped = false;
  private round?: Promise<void>;

  constructor(private readonly o: KeeperLeaseOptions) {}

  key(post: string): string {
    return `${this.o.keyPrefix ?? 'hotline'}:{${this.o.centerId}}:keeper:${this.o.duty}:${post}`;
  }

  /** Whether this engine keeps the post now. */
  keeps(post: string): boolean {
    return this.held.has(post);
  }

  start(): void {
    this.tick();
  }

  /** One round of taking and renewing, now (tests; also the first round at start). */
  async renewNow(): Promise<void> {
    while (this.round) await this.round;
    this.round = this.renew().finally(() => {
      this.round = undefined;
    });
    await this.round;
  }

  /** Stops renewing and gives up every post held. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    while (this.round) await this.round;
    for (const post of this.o.posts) {
      if (!this.held.has(post.name)) continue;
      this.set(post, false);
      await this.o.redis.eval(RELEASE, 1, this.key(post.name), this.token).catch(() => undefined);
    }
  }

  private tick(): void {
    if (this.stopped) return;
    void this.renewNow().finally(() => {
      if (this.stopped) return;
      this.timer = this.o.clock.after(KEEPER_RENEW_MS, () => this.tick());
    });
  }

  private async renew(): Promise<void> {
    for (const post of this.o.posts) {
      if (this.stopped) return;
      const key = this.key(post.name);
      try {
        if (!post.able()) {
          if (this.held.has(post.name)) {
            this.set(post, false);
            await this.o.redis.eval(RELEASE, 1, key, this.token);
          }
          continue;
        }
        const ours =
          (await this.o.redis.eval(TAKE_OR_RENEW, 1, key, this.token, String(KEEPER_LEASE_MS))) === 1;
        this.failingSince.delete(post.name);
        this.set(post, ours);
      } catch (err) {
        // Redis unreachable: past the lease's life another engine may keep the post.
        const since = this.failingSince.get(post.name) ?? this.o.clock.now();
        this.failingSince.set(post.name, since);
        if (this.held.has(post.name) && this.o.clock.now() - since >= KEEPER_LEASE_MS) {
          this.o.logger.warn(
            { duty: this.o.duty, post: post.name, err: (err as Error).message },
            'keeper post not renewed within its lease: standing by',
          );
          this.set(post, false);
        }
      }
    }
  }

  private set(post: KeeperPost, keeper: boolean): void {
    if (this.held.has(post.name) === keeper) return;
    if (keeper) this.held.add(post.name);
    else this.held.delete(post.name);
    this.o.logger.debug({ duty: this.o.duty, post: post.name, keeper }, 'keeper post changed hands');
    post.onChange(keeper);
  }
}
