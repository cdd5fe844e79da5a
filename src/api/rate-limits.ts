import rateLimit, { type CreateRateLimitOptions } from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import { HotlineError } from '../errors.ts';

export interface RateLimitOptions {
  /** Requests per token and window (an agent's toolbar polls every 5 s, a wallboard every 2 s). */
  perToken: number;
  /** Requests per client address and window, authenticated or not. */
  perAddress: number;
  windowMs: number;
  /** Routes never limited (`/health`: monitoring must always get its answer). */
  exempt: readonly string[];
}

/** Counters kept per key (tokens, addresses); past it the least recently seen are forgotten. */
const KEYS_KEPT = 50_000;

/**
 * Request rate limits, per token and per client address (@fastify/rate-limit's counters, in
 * memory): a request over either is answered 429 with Retry-After. They run after the auth hook,
 * so the token is the verified one (a made-up token cannot start counters of its own; bad tokens
 * are the failure limiter's business) and the address is the client's (behind a trusted proxy, the
 * forwarded one).
 */
export async function installRateLimits(app: FastifyInstance, o: RateLimitOptions): Promise<void> {
  await app.register(rateLimit, { global: false });
  const counter = (max: number, key: (ip: string, tokenId: string | undefined) => string) =>
    app.createRateLimit({
      max,
      timeWindow: o.windowMs,
      keyGenerator: (req) => key(req.ip, req.principal?.tokenId),
      cache: KEYS_KEPT,
    } as CreateRateLimitOptions);
  const byAddress = counter(o.perAddress, (ip) => `address:${ip}`);
  const byToken = counter(o.perToken, (_ip, tokenId) => `token:${tokenId}`);
  const exempt = new Set(o.exempt);
  app.addHook('preHandler', async (request, reply) => {
    const url = request.routeOptions.url;
    if (url !== undefined && exempt.has(url)) return;
    const checks = [
      { result: await byAddress(request), what: `this address (${o.perAddress}` },
      ...(request.principal
        ? [{ result: await byToken(request), what: `token "${request.principal.tokenId}" (${o.perToken}` }]
        : []),
    ];
    for (const { result, what } of checks) {
      if (result.isAllowed || !result.isExceeded) continue;
      reply.header('retry-after', String(Math.max(1, result.ttlInSeconds)));
      throw new HotlineError(
        'too-many-requests',
        `too many requests from ${what} per ${Math.round(o.windowMs / 1000)} s); try again in ${Math.max(1, result.ttlInSeconds)} s`,
      );
    }
  });
}
