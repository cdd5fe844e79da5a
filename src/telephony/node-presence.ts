import type { Logger } from 'pino';
import type { PresenceChange, PresencePort } from './port.ts';

/**
 * Softphone registration over several Asterisk nodes: one presence source per node (AMI
 * `ContactStatus` or the endpoint poll), merged. A phone is online while it is registered on at
 * least one node; `nodesOf` says where, so a call on another node reaches it through the
 * inter-node trunk. A lost node takes its registrations with it.
 */
export class NodePresence implements PresencePort {
  /** Endpoint → the nodes it is registered on now. */
  private readonly where = new Map<string, Set<string>>();
  private listener?: ((changes: PresenceChange[], full: boolean) => void) | undefined;
  private readonly movedListeners = new Set<(endpoints: string[]) => void>();

  constructor(
    private readonly sources: ReadonlyMap<string, PresencePort>,
    private readonly logger: Logger,
  ) {}

  nodesOf(endpoint: string): ReadonlySet<string> | undefined {
    return this.where.get(endpoint);
  }

  /**
   * Calls `listener` with the endpoints whose set of nodes changed (registered on one more or one
   * fewer node), even when they stay online; returns the unsubscription.
   */
  onMoved(listener: (endpoints: string[]) => void): () => void {
    this.movedListeners.add(listener);
    return () => this.movedListeners.delete(listener);
  }

  private moved(endpoints: string[]): void {
    if (endpoints.length === 0) return;
    for (const l of this.movedListeners) {
      try {
        l(endpoints);
      } catch (err) {
        this.logger.warn({ err: (err as Error).message }, 'a registration-move listener failed');
      }
    }
  }

  /**
   * Starts every node's source; resolves once one has given its first snapshot (a node down at
   * start joins when it comes up).
   */
  async start(listener: (changes: PresenceChange[], full: boolean) => void): Promise<void> {
    this.listener = listener;
    const starts = [...this.sources].map(([node, source]) =>
      source.start((changes, full) => this.apply(node, changes, full)),
    );
    await new Promise<void>((resolve, reject) => {
      let failed = 0;
      for (const p of starts)
        p.then(resolve, (err) => {
          this.logger.warn({ err: (err as Error).message }, 'a node presence source failed to start');
          if (++failed === starts.length) reject(err);
        });
    });
  }

  async stop(): Promise<void> {
    this.listener = undefined;
    await Promise.all([...this.sources.values()].map((s) => s.stop()));
  }

  /** A node is lost: the phones registered only there are offline. */
  nodeLost(node: string): void {
    const changed: PresenceChange[] = [];
    const moved: string[] = [];
    for (const [endpoint, nodes] of this.where) {
      if (!nodes.delete(node)) continue;
      moved.push(endpoint);
      if (nodes.size === 0) changed.push({ endpoint, online: false });
    }
    if (changed.length > 0) this.listener?.(changed, false);
    this.moved(moved);
  }

  /**
   * One node's changes: its sets are updated and the merged state of each endpoint it named (or,
   * for a full snapshot, that it no longer lists) goes to the engine.
   */
  apply(node: string, changes: PresenceChange[], full: boolean): void {
    const touched = new Set<string>();
    const moved = new Set<string>();
    if (full) {
      const listed = new Set(changes.map((c) => c.endpoint));
      for (const [endpoint, nodes] of this.where)
        if (!listed.has(endpoint) && nodes.delete(node)) {
          touched.add(endpoint);
          moved.add(endpoint);
        }
    }
    for (const c of changes) {
      const nodes = this.where.get(c.endpoint) ?? new Set<string>();
      this.where.set(c.endpoint, nodes);
      if (c.online !== nodes.has(node)) moved.add(c.endpoint);
      if (c.online) nodes.add(node);
      else nodes.delete(node);
      touched.add(c.endpoint);
    }
    const merged = [...touched].map((endpoint) => ({
      endpoint,
      online: (this.where.get(endpoint)?.size ?? 0) > 0,
    }));
    if (merged.length > 0) this.listener?.(merged, full);
    this.moved([...moved]);
  }
}
