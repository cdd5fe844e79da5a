import type { Logger } from 'pino';
import { maskNumber } from '../log.ts';
import type { EdgeNode } from './config.ts';
import type { EdgeMetrics } from './metrics.ts';
import type { NodeBoard } from './node-board.ts';
import type { NumberCheck } from './number-check.ts';
import { pickNodes } from './pick-node.ts';
import { type Attempt, attemptsOf, finalResponses } from './proxy-outcome.ts';

/** The parts of a drachtio-srf request the edge reads. */
export interface EdgeRequest {
  method: string;
  uri: string;
  callingNumber: string;
  get(name: string): string | undefined;
}

/** The parts of a drachtio-srf response the edge uses. */
export interface EdgeResponse {
  send(status: number, opts?: { headers?: Record<string, string> }): void;
}

export interface ProxyOptions {
  forking: 'sequential';
  recordRoute: false;
  /** drachtio's per-destination wait for a first response; absent with one destination. */
  provisionalTimeout?: string;
}

/** drachtio-srf's proxy: the destinations in order, one after the other. */
export type ProxyInvite = (req: EdgeRequest, destinations: string[], opts: ProxyOptions) => Promise<unknown>;

export const UNALLOCATED_REASON = 'Q.850;cause=1;text="unallocated number"';

export interface SipAppOptions {
  board: NodeBoard;
  numbers: () => NumberCheck;
  metrics: EdgeMetrics;
  proxy: ProxyInvite;
  logger: Logger;
  nodeMaxCalls: number;
  retryAfterSeconds: number;
  tryingTimeoutMs: number;
}

/**
 * At most one log line per `everyMs` for a kind of refusal (a SIP scanner dialing random numbers,
 * or every call of an overload, must not flood the log); the next line says how many were not
 * logged in between.
 */
class Throttle {
  private last = -Infinity;
  private skipped = 0;
  constructor(private readonly everyMs = 1_000) {}
  /** Undefined: do not log this one; else how many were skipped since the last line. */
  take(now: number): number | undefined {
    if (now - this.last < this.everyMs) {
      this.skipped += 1;
      return undefined;
    }
    this.last = now;
    const skipped = this.skipped;
    this.skipped = 0;
    return skipped;
  }
}

/**
 * The user part of a request URI without its parameters (`sip:12345@host;…` → `12345`,
 * `sip:12345;npdi@host` → `12345`, `tel:+86123…;phone-context=…` → `+86123…`), or '' without one.
 */
export function uriUser(uri: string): string {
  const sip = /^sips?:([^@;?]*)(?:;[^@?]*)?@/i.exec(uri);
  if (sip) return sip[1]!;
  const tel = /^tel:([^;?]+)/i.exec(uri);
  return tel ? tel[1]! : '';
}

/**
 * The edge's SIP behaviour, decided synchronously from memory on each request:
 * - INVITE for a number the plan does not answer → 404 with a Q.850 Reason (logged with masked
 *   numbers, at most one line a second);
 * - otherwise the eligible nodes, fewest calls first (ties round-robin), are given to drachtio's
 *   sequential proxy (no record-route: the edge leaves the dialog once the call is set up), which
 *   moves on to the next node on a failure response (503 included) or when a node has not sent
 *   even 100 Trying within EDGE_TRYING_TIMEOUT_MS (not applied when only one node is eligible:
 *   drachtio applies it to every destination, the last one included);
 * - no eligible node → 503 with Retry-After;
 * - an INVITE inside a dialog (To tag) → 481: the edge is not in the dialogs it proxied;
 * - OPTIONS (the carrier's own health check of the edge) → 200 while some node may take a
 *   call, else 503 with Retry-After.
 */
export class SipApp {
  private turn = 0;
  private draining = false;
  private inFlight = 0;
  private idle: (() => void) | undefined;
  /** The proxies whose result has not come back, each with how to settle it without one. */
  private readonly pending = new Set<() => void>();
  private readonly unallocatedLog = new Throttle();
  private readonly unavailableLog = new Throttle();
  private readonly targets: Map<string, EdgeNode>;

  constructor(private readonly o: SipAppOptions) {
    this.targets = new Map(o.board.nodes.map((n) => [n.name, n]));
  }

  /** From now on every INVITE is answered 503 (shutting down); resolves once no proxy is in flight. */
  drain(): Promise<void> {
    this.draining = true;
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.idle = resolve;
    });
  }

  get proxiesInFlight(): number {
    return this.inFlight;
  }

  /**
   * The connection to drachtio-server dropped: the results of the proxies in flight will never
   * come (drachtio-srf forgets them with the socket; the server finishes them on its own). They
   * are settled as unknown, so that no node keeps calls in flight that ended long ago.
   */
  connectionLost(): void {
    for (const settleUnknown of [...this.pending]) settleUnknown();
  }

  private unavailable(res: EdgeResponse): void {
    res.send(503, { headers: { 'Retry-After': String(this.o.retryAfterSeconds) } });
  }

  /** Whether a new call would be proxied now (not shutting down, some node eligible). */
  takesCalls(): boolean {
    return !this.draining && this.order().length > 0;
  }

  options(_req: EdgeRequest, res: EdgeResponse): void {
    if (this.takesCalls()) res.send(200);
    else this.unavailable(res);
  }

  private order(): string[] {
    return pickNodes(this.o.board.view(), this.o.nodeMaxCalls, this.turn);
  }

  invite(req: EdgeRequest, res: EdgeResponse): void {
    if (/;\s*tag=/i.test(req.get('To') ?? '')) {
      res.send(481);
      return;
    }
    const user = uriUser(req.uri);
    if (!this.o.numbers().answers(user)) {
      res.send(404, { headers: { Reason: UNALLOCATED_REASON } });
      this.o.metrics.refusedWith(404);
      const skipped = this.unallocatedLog.take(Date.now());
      if (skipped !== undefined)
        this.o.logger.info(
          { dialedMasked: maskNumber(user), callerMasked: maskNumber(req.callingNumber), notLogged: skipped },
          'refused an INVITE for a number the plan does not answer (404 unallocated number)',
        );
      return;
    }
    if (this.draining) {
      this.unavailable(res);
      this.o.metrics.refusedWith(503);
      return;
    }
    const order = this.order();
    this.turn += 1;
    if (order.length === 0) {
      this.unavailable(res);
      this.o.metrics.refusedWith(503);
      const skipped = this.unavailableLog.take(Date.now());
      if (skipped !== undefined)
        this.o.logger.warn(
          { callerMasked: maskNumber(req.callingNumber), nodes: this.o.board.view(), notLogged: skipped },
          'no node may take a call: 503 with Retry-After',
        );
      return;
    }
    const targets = order.map((name) => this.targets.get(name)!);
    const destinations = targets.map((t) => `sip:${user}@${t.host}:${t.port}`);
    const first = order[0]!;
    this.o.board.started(first);
    this.inFlight += 1;
    let settled = false;
    const settle = (attempts: Attempt[]) => {
      if (settled) return;
      settled = true;
      this.pending.delete(settleUnknown);
      this.o.board.settled(first, attempts);
      this.o.metrics.proxied(attempts);
      this.inFlight -= 1;
      if (this.inFlight === 0 && this.idle) this.idle();
      const tried = attempts.filter((a) => a.outcome !== 'not-tried');
      // A retry that worked is in the metrics (a failing node would log every other call);
      // a call no node took is logged.
      if (tried.some((a) => a.outcome === 'answered')) {
        if (tried.length > 1)
          this.o.logger.debug({ attempts: tried }, 'call answered after a retry on another node');
      } else if (tried.some((a) => a.outcome === 'failed')) {
        this.o.logger.info(
          { callerMasked: maskNumber(req.callingNumber), attempts: tried },
          'call failed on every node tried',
        );
      }
    };
    const nodes = targets.map((t) => ({ node: t.name, host: t.host, port: t.port }));
    const settleUnknown = () =>
      settle(
        nodes.map((n, i) => ({
          node: n.node,
          outcome: i === 0 ? 'unknown' : 'not-tried',
          status: undefined,
        })),
      );
    this.pending.add(settleUnknown);
    this.o
      .proxy(req, destinations, {
        forking: 'sequential',
        recordRoute: false,
        // Moving on after the Trying timeout only makes sense with somewhere to move on to: the
        // only eligible node keeps the call however slow it is (SIP's own Timer B, 32 s).
        ...(destinations.length > 1 ? { provisionalTimeout: `${this.o.tryingTimeoutMs}ms` } : {}),
      })
      .then(
        (result) => {
          const status = Number((result as { finalStatus?: unknown })?.finalStatus) || undefined;
          settle(attemptsOf(nodes, finalResponses(result), status));
        },
        (err: unknown) => {
          this.o.logger.warn({ err: String(err) }, 'drachtio refused to proxy an INVITE');
          settle(
            nodes.map((n, i) => ({
              node: n.node,
              outcome: i === 0 ? 'failed' : 'not-tried',
              status: undefined,
            })),
          );
        },
      );
  }
}
