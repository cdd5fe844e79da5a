import type { IncomingMessage } from 'node:http';
import { BlockList, isIPv6, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import { HotlineError } from '../errors.ts';

/**
 * Caps on what one client can hold open: TCP connections (per client address and in all) and
 * event streams (per token and per client address). Without them, unauthenticated half-open
 * connections took nearly every file handle of the process, and one agent token opened 2,000 event
 * streams. Refusing costs nothing: a socket over a cap is destroyed as it arrives, before a byte
 * is parsed; a stream over a cap is answered 429 before the response is taken over.
 */
declare module 'fastify' {
  interface FastifyInstance<RawServer, RawRequest, RawReply, Logger, TypeProvider> {
    /** The API's connections: open now, refused over their caps since the start. */
    connectionCounts(): ConnectionCounts;
  }
}

export interface ConnectionLimitOptions {
  /** Open connections in all (the server's `maxConnections`); over it, new sockets are dropped. */
  maxConnections: number;
  /** Open connections from one client address; over it, its new sockets are destroyed. */
  maxConnectionsPerAddress: number;
  /**
   * Addresses not counted per address (the trusted reverse proxies: every client behind one shares
   * its address). They still count towards `maxConnections`.
   */
  exempt?: readonly string[];
  /**
   * The idle-socket timeout the server's requests run under (restored when a request arrives). A
   * new connection that sends nothing needs no timer of its own here: Node times its headers
   * from the accept and answers it 408 (the API's `headersTimeoutMs`).
   */
  idleSocketMs: number;
}

export interface EventStreamLimitOptions {
  /** Open event streams per token (an agent's toolbar holds one; a few tabs and a reload fit). */
  perToken: number;
  /** Open event streams per client address (a floor of agents behind one NAT shares an address). */
  perAddress: number;
}

export interface ConnectionCounts {
  open: number;
  refusedPerAddress: number;
  refusedTotal: number;
}

/** `::ffff:127.0.0.5` is 127.0.0.5: a dual-stack socket reports IPv4 clients mapped into IPv6. */
export function plainAddress(address: string | undefined): string {
  if (!address) return 'unknown';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/** proxy-addr's names for address ranges, as fastify's `trustProxy` accepts them. */
const namedRanges: Record<string, [string, number, 'ipv4' | 'ipv6'][]> = {
  loopback: [
    ['127.0.0.0', 8, 'ipv4'],
    ['::1', 128, 'ipv6'],
  ],
  linklocal: [
    ['169.254.0.0', 16, 'ipv4'],
    ['fe80::', 10, 'ipv6'],
  ],
  uniquelocal: [
    ['10.0.0.0', 8, 'ipv4'],
    ['172.16.0.0', 12, 'ipv4'],
    ['192.168.0.0', 16, 'ipv4'],
    ['fc00::', 7, 'ipv6'],
  ],
};

/** A matcher for a list of addresses, CIDRs and proxy-addr names (the `trustProxy` list). */
export function addressMatcher(list: readonly string[]): (address: string) => boolean {
  if (list.length === 0) return () => false;
  const block = new BlockList();
  for (const item of list) {
    const named = namedRanges[item];
    if (named) {
      for (const [net, prefix, type] of named) block.addSubnet(net, prefix, type);
      continue;
    }
    const [net, prefix] = item.split('/') as [string, string | undefined];
    const type = isIPv6(net) ? 'ipv6' : 'ipv4';
    if (prefix === undefined) block.addAddress(net, type);
    else block.addSubnet(net, Number(prefix), type);
  }
  return (address) => block.check(address, isIPv6(address) ? 'ipv6' : 'ipv4');
}

/** How often refusals are summarised in the log (never one line per refused socket). */
const LOG_EVERY_MS = 10_000;

/**
 * Caps the connections of an HTTP server: `maxConnections` in all (Node drops the sockets over it)
 * and `maxConnectionsPerAddress` per client address (counted on 'connection', released on
 * 'close'). Refusals are counted and summarised in the log at most every ten seconds.
 */
export class ConnectionLimiter {
  private readonly perAddress = new Map<string, number>();
  private readonly exempt: (address: string) => boolean;
  private open = 0;
  private refusedPerAddress = 0;
  private refusedTotal = 0;
  private logged = { at: 0, perAddress: 0, total: 0 };

  constructor(
    server: Server,
    private readonly o: ConnectionLimitOptions,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.exempt = addressMatcher(o.exempt ?? []);
    server.maxConnections = o.maxConnections;
    server.on('drop', () => {
      this.refusedTotal++;
      this.report();
    });
    server.on('connection', (socket: Socket) => this.admit(socket));
    // Node's keep-alive handling clears a socket's timeout when its next request comes; every
    // request runs under the idle-socket timeout again (an event stream keeps it alive by writing).
    server.on('request', (req: IncomingMessage) => req.socket.setTimeout(o.idleSocketMs));
  }

  private admit(socket: Socket): void {
    const address = plainAddress(socket.remoteAddress);
    if (this.exempt(address)) {
      this.track(socket);
      return;
    }
    const held = this.perAddress.get(address) ?? 0;
    if (held >= this.o.maxConnectionsPerAddress) {
      this.refusedPerAddress++;
      socket.destroy();
      this.report();
      return;
    }
    this.perAddress.set(address, held + 1);
    this.track(socket, address);
  }

  private track(socket: Socket, address?: string): void {
    this.open++;
    socket.once('close', () => {
      this.open--;
      if (address === undefined) return;
      const left = (this.perAddress.get(address) ?? 1) - 1;
      if (left <= 0) this.perAddress.delete(address);
      else this.perAddress.set(address, left);
    });
  }

  private report(): void {
    const at = this.now();
    if (at - this.logged.at < LOG_EVERY_MS) return;
    this.logger.warn(
      {
        refusedPerAddress: this.refusedPerAddress - this.logged.perAddress,
        refusedTotal: this.refusedTotal - this.logged.total,
        open: this.open,
        maxConnections: this.o.maxConnections,
        maxConnectionsPerAddress: this.o.maxConnectionsPerAddress,
      },
      'connections refused over their caps',
    );
    this.logged = { at, perAddress: this.refusedPerAddress, total: this.refusedTotal };
  }

  /** Connections open now (the accepted ones) and those refused since the start. */
  counts(): ConnectionCounts {
    return { open: this.open, refusedPerAddress: this.refusedPerAddress, refusedTotal: this.refusedTotal };
  }
}

/** A stream refused over a cap: 429, naming the cap. */
export class TooManyStreamsError extends HotlineError {
  constructor(message: string) {
    super('too-many-streams', message);
  }
}

/** Counts open event streams per token and per client address. */
export class EventStreamLimits {
  private readonly byToken = new Map<string, number>();
  private readonly byAddress = new Map<string, number>();

  constructor(private readonly o: EventStreamLimitOptions) {}

  /**
   * Takes a slot for a new stream, or throws TooManyStreamsError when the token or the address
   * already holds its cap. The returned function gives the slot back (once, however often called).
   */
  open(tokenId: string, address: string): () => void {
    const token = this.byToken.get(tokenId) ?? 0;
    if (token >= this.o.perToken) {
      throw new TooManyStreamsError(
        `token "${tokenId}" already has ${token} event streams open (the limit per token is ${this.o.perToken}); close one first`,
      );
    }
    const fromAddress = this.byAddress.get(address) ?? 0;
    if (fromAddress >= this.o.perAddress) {
      throw new TooManyStreamsError(
        `this address already has ${fromAddress} event streams open (the limit per address is ${this.o.perAddress}); close one first`,
      );
    }
    this.byToken.set(tokenId, token + 1);
    this.byAddress.set(address, fromAddress + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      decrement(this.byToken, tokenId);
      decrement(this.byAddress, address);
    };
  }

  /** Streams open now with this token. */
  openFor(tokenId: string): number {
    return this.byToken.get(tokenId) ?? 0;
  }
}

function decrement(map: Map<string, number>, key: string): void {
  const left = (map.get(key) ?? 1) - 1;
  if (left <= 0) map.delete(key);
  else map.set(key, left);
}
