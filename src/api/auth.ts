import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { FailureLimiter } from '../admin/failure-limiter.ts';
import type { AccessLedger } from '../admin/ledgers.ts';
import { policyOf } from '../admin/permissions.ts';
import type { Principal, TokenSet } from '../admin/tokens.ts';
import type { CallsView } from '../calls/runtime/engine-group.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who made the request (set by the auth hook on every non-public route). */
    principal?: Principal;
  }
}

export interface AuthOptions {
  tokens: TokenSet;
  limiter: FailureLimiter;
  engine: CallsView;
}

/** The agents a live call belongs to (the one talking or being offered, the one transferring). */
function agentsOf(engine: CallsView, callId: string): string[] | undefined {
  const s = engine.call(callId);
  if (!s) return undefined;
  return [s.agent?.agentId, s.offer?.agentId, s.transfer?.agentId].filter((a): a is string => Boolean(a));
}

const deny = (reply: FastifyReply, status: number, error: string, message: string) =>
  reply.code(status).send({ error, message });

/**
 * Access control for the whole app: a bearer token on every route the policy table does not mark
 * public (401 without one or with a bad one), the route's roles (403 otherwise, including an agent
 * acting for another agent or on another agent's call), and a limit on authentication failures (bad
 * tokens) per client address: past it, a bad token is answered 429 with Retry-After, while a good
 * one is still served. The address is the socket's, or the client's from X-Forwarded-For when the
 * hop is a trusted proxy (`trustProxy`). Every route must have a policy, or registering it fails.
 */
export function installAuth(app: FastifyInstance, o: AuthOptions): void {
  app.decorateRequest('principal', undefined);
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const m of methods) {
      if (!policyOf(m, route.url)) throw new Error(`route ${m} ${route.url} has no access policy`);
    }
  });
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const url = request.routeOptions.url;
    const policy = url === undefined ? undefined : policyOf(request.method, url);
    if (policy?.public) return;
    const header = request.headers.authorization;
    const m = typeof header === 'string' ? /^Bearer ([^\s]+)$/i.exec(header) : null;
    if (!m) {
      // No credentials: nothing was guessed, so it is not a failure (a page opened without its
      // token, the browser's own requests); answered 401, never counted, never 429.
      reply.header('www-authenticate', 'Bearer realm="hotline"');
      return deny(reply, 401, 'unauthorized', 'a bearer token is required');
    }
    // A good token is served whatever the address's failures: the limiter only throttles failures,
    // so a stale tab or a guesser behind the same proxy or NAT locks nobody else out. Checking
    // costs what it always did (TokenSet.verify: format, cache, then the hash of a known id).
    const principal = o.tokens.verify(m[1]!);
    if (!principal) {
      const address = request.ip;
      const blocked = o.limiter.blockedFor(address) > 0;
      o.limiter.fail(address);
      if (blocked) {
        reply.header('retry-after', String(o.limiter.blockedFor(address)));
        return deny(
          reply,
          429,
          'too-many-requests',
          'the token is not valid, and this address has failed too often; try again later',
        );
      }
      reply.header('www-authenticate', 'Bearer realm="hotline"');
      return deny(reply, 401, 'unauthorized', 'the token is not valid');
    }
    request.principal = principal;
    if (!policy) return; // no such route: the not-found handler answers
    if (!policy.roles?.includes(principal.role)) {
      return deny(reply, 403, 'forbidden', `the ${principal.role} role may not ${request.method} ${url}`);
    }
    if (principal.role !== 'agent' || !policy.agent) return;
    const id = (request.params as { id?: string }).id ?? '';
    if (policy.agent === 'self' && id !== principal.agentId) {
      return deny(reply, 403, 'forbidden', 'an agent may act only for itself');
    }
    if (policy.agent === 'own-call') {
      const agents = agentsOf(o.engine, id);
      // A call that is not live is answered 404 by the route, which reveals nothing.
      if (agents && !agents.includes(principal.agentId ?? '')) {
        return deny(reply, 403, 'forbidden', 'an agent may act only on its own calls');
      }
    }
  });
}

/** Writes a read of callers' data to the access ledger: token, route, the calls, when, from where. */
export async function ledgerRead(
  ledger: AccessLedger,
  request: FastifyRequest,
  callIds: string[],
  now: number,
): Promise<void> {
  const p = request.principal;
  if (!p) return;
  await ledger.append({
    at: new Date(now).toISOString(),
    tokenId: p.tokenId,
    role: p.role,
    method: request.method,
    route: request.routeOptions.url ?? request.url,
    callIds,
    address: request.ip,
  });
}
