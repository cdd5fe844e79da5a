import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../clock.ts';

/** An engine's word on one node, as the SIP edge reads it (see dialplan/README.md, several nodes). */
export interface EngineNodeReport {
  node: string;
  engine: string;
  /** This engine's ARI connection to the node is up. */
  ari: boolean;
  /** This engine's live calls on the node. */
  calls: number;
  /** Epoch ms of the report; readers ignore a report older than 3 s. */
  at: number;
}

export interface NodeReporterOptions {
  redis: Redis;
  centerId: string;
  keyPrefix?: string;
  engineId: string;
  /** The nodes and whether this engine reaches each one's ARI now. */
  nodes: () => { name: string; connected: boolean }[];
  /** This engine's live calls by node. */
  calls: () => Map<string, number>;
  clock: Clock;
  logger: Logger;
  /** Default 1 s. */
  everyMs?: number;
}

/** Reports older than this are removed from the hash by the engines (a dead engine's last word). */
const PRUNE_AFTER_MS = 60_000;

/** The hash the engines report to and the edge reads: `<prefix>:{<center>}:nodes`. */
export function nodesKey(centerId: string, keyPrefix = 'hotline'): string {
  return `${keyPrefix}:{${centerId}}:nodes`;
}

/**
 * Several nodes: every second, this engine tells the SIP edge which nodes it reaches over ARI
 * and how many of its live calls are on each (field `<node>|<engine>` of the `nodes` hash). The
 * edge sends new calls only to nodes some engine reaches, the least loaded first. Reports of
 * engines gone a minute are pruned.
 */
export class NodeReporter {
  private timer?: TimerHandle;
  private stopped = false;
  private warned = false;
  private readonly key: string;

  constructor(private readonly o: NodeReporterOptions) {
    this.key = nodesKey(o.centerId, o.keyPrefix);
  }

  start(): void {
    this.tick();
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
  }

  /** The reports this engine would write now. */
  reports(): EngineNodeReport[] {
    const calls = this.o.calls();
    const at = this.o.clock.now();
    return this.o.nodes().map((n) => ({
      node: n.name,
      engine: this.o.engineId,
      ari: n.connected,
      calls: calls.get(n.name) ?? 0,
      at,
    }));
  }

  private tick(): void {
    if (this.stopped) return;
    void this.write()
      .catch((err) => {
        if (this.warned) return;
        this.warned = true;
        this.o.logger.warn({ err: (err as Error).message }, 'could not report the nodes to Redis');
      })
      .finally(() => {
        if (!this.stopped) this.timer = this.o.clock.after(this.o.everyMs ?? 1_000, () => this.tick());
      });
  }

  async write(): Promise<void> {
    const reports = this.reports();
    const fields = reports.flatMap((r) => [`${r.node}|${r.engine}`, JSON.stringify(r)]);
    if (fields.length === 0) return;
    const all = await this.o.redis
      .pipeline()
      .hset(this.key, ...fields)
      .hgetall(this.key)
      .exec();
    this.warned = false;
    const hash = (all?.[1]?.[1] ?? {}) as Record<string, string>;
    const now = this.o.clock.now();
    const stale = Object.entries(hash)
      .filter(([, v]) => {
        try {
          return now - (JSON.parse(v) as { at: number }).at > PRUNE_AFTER_MS;
        } catch {
          return true;
        }
      })
      .map(([k]) => k);
    if (stale.length > 0) await this.o.redis.hdel(this.key, ...stale);
  }
}
