import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { EdgeReport as EdgeWrites } from '../edge/redis-report.ts';

/**
 * The SIP edge's report (`hotline edge`, src/edge/redis-report.ts): every OPTIONS interval it
 * writes `hotline:{<center>}:edge` with PX 10000 — its nodes (up by OPTIONS, round trip, what
 * the engines report of each, INVITEs proxied) and the trunks it pings (carrier, sub-centers,
 * emergency, centers). The engine reads it for /metrics and the wallboard.
 */
const EdgeReportSchema = z.object({
  at: z.number().finite(),
  nodes: z.array(
    z.object({
      name: z.string().min(1).max(64),
      up: z.boolean(),
      optionsRttMs: z.number().finite().nonnegative().nullable(),
      ari: z.boolean(),
      calls: z.number().int().nonnegative(),
      invites: z.number().int().nonnegative(),
      failures: z.number().int().nonnegative(),
    }),
  ),
  trunks: z.array(
    z.object({
      name: z.string().min(1).max(64),
      up: z.boolean(),
      rttMs: z.number().finite().nonnegative().nullable(),
    }),
  ),
});

export type EdgeReport = z.infer<typeof EdgeReportSchema>;

// What the edge writes is what this reads (a compile error here means the two drifted apart).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameShape: Same<EdgeReport, EdgeWrites> = true;
void sameShape;

/** The edge's report expires after this (its PX); an older `at` is not taken either. */
export const EDGE_REPORT_MAX_AGE_MS = 10_000;

/** `<prefix>:{<center>}:edge`: the key the edge writes (prefix `hotline`). */
export function edgeReportKey(centerId: string, keyPrefix = 'hotline'): string {
  return `${keyPrefix}:{${centerId}}:edge`;
}

export interface EdgeReportReaderOptions {
  redis: Redis;
  centerId: string;
  /** Default `hotline`, the edge's. */
  keyPrefix?: string;
  logger: Logger;
  /** A read is reused this long (default 1 s): a scrape and a wallboard poll cost one GET a second. */
  cacheMs?: number;
  /**
   * A GET not answered within this (Redis down: the engine's connection queues commands until it
   * is back) reads as no report, so a scrape never hangs on it (default 500 ms).
   */
  timeoutMs?: number;
  /** Wall-clock epoch ms (the edge's `at` is wall-clock time); default `Date.now`. */
  now?: () => number;
}

/**
 * Reads the edge's report on demand, at most one GET per `cacheMs` (concurrent readers share
 * it, and no second GET is sent while one is unanswered). Absent, expired, unreadable, late or
 * invalid: undefined. An invalid report or a failing Redis is logged once, until a good read.
 */
export class EdgeReportReader {
  private readonly key: string;
  private readonly cacheMs: number;
  private readonly now: () => number;
  private cached: { readAt: number; report: EdgeReport | undefined } | undefined;
  private inFlight: Promise<EdgeReport | undefined> | undefined;
  private unanswered: Promise<string | null> | undefined;
  private warned = false;

  constructor(private readonly o: EdgeReportReaderOptions) {
    this.key = edgeReportKey(o.centerId, o.keyPrefix);
    this.cacheMs = o.cacheMs ?? 1_000;
    this.now = o.now ?? Date.now;
  }

  /** The report, or undefined when there is none to trust. */
  async read(): Promise<EdgeReport | undefined> {
    const now = this.now();
    if (this.cached && now - this.cached.readAt < this.cacheMs) return this.fresh(this.cached.report, now);
    this.inFlight ??= this.fetch(now).finally(() => {
      this.inFlight = undefined;
    });
    return this.fresh(await this.inFlight, this.now());
  }

  /** Seconds since the edge wrote `report`. */
  ageSeconds(report: EdgeReport): number {
    return Math.max(0, (this.now() - report.at) / 1000);
  }

  private fresh(report: EdgeReport | undefined, now: number): EdgeReport | undefined {
    return report && now - report.at <= EDGE_REPORT_MAX_AGE_MS ? report : undefined;
  }

  private async fetch(now: number): Promise<EdgeReport | undefined> {
    let report: EdgeReport | undefined;
    try {
      const raw = await this.get();
      report = raw === null ? undefined : this.parse(raw);
      if (raw === null || report) this.warned = false;
    } catch (err) {
      this.warnOnce({ err: (err as Error).message }, 'could not read the SIP edge report from Redis');
    }
    this.cached = { readAt: now, report };
    return report;
  }

  /** The key's value; rejects when Redis does not answer within `timeoutMs`. */
  private get(): Promise<string | null> {
    this.unanswered ??= this.o.redis.get(this.key).finally(() => {
      this.unanswered = undefined;
    });
    const pending = this.unanswered;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no answer from Redis within ${this.o.timeoutMs ?? 500} ms`)),
        this.o.timeoutMs ?? 500,
      );
    });
    return Promise.race([pending, late]).finally(() => clearTimeout(timer));
  }

  private parse(raw: string): EdgeReport | undefined {
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      this.warnOnce({ key: this.key }, 'the SIP edge report is not JSON: ignored');
      return undefined;
    }
    const r = EdgeReportSchema.safeParse(json);
    if (r.success) return r.data;
    const issue = r.error.issues[0];
    this.warnOnce(
      { key: this.key, path: issue?.path.join('.'), issue: issue?.message },
      'the SIP edge report does not match its schema: ignored',
    );
    return undefined;
  }

  private warnOnce(fields: Record<string, unknown>, message: string): void {
    if (this.warned) return;
    this.warned = true;
    this.o.logger.warn(fields, message);
  }
}
