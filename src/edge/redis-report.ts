import type { Redis } from 'ioredis';
import { z } from 'zod';
import { nodesKey as engineNodesKey } from '../redis/node-report.ts';
import { NODE_NAME } from './config.ts';

/**
 * The keys the edge shares with the engines (see dialplan/README.md, several nodes):
 * - it reads `hotline:{<center>}:nodes`, field `<node>|<engine>` → `{"node","engine","ari","calls","at"}`,
 *   written every second by each engine; an entry older than 3 s is ignored;
 * - it writes `hotline:{<center>}:edge` = `{"at","nodes":[…],"trunks":[…]}` with PX 10000.
 * Both in one round trip per OPTIONS interval, off the call path.
 */
/** The engines' report hash (the engine side writes it: src/redis/node-report.ts). */
export const nodesKey = (centerId: string) => engineNodesKey(centerId);
export const edgeKey = (centerId: string) => `hotline:{${centerId}}:edge`;

/** An engine's report older than this is ignored. */
export const REPORT_FRESH_MS = 3_000;
/** The edge's own report expires after this (PX). */
export const EDGE_REPORT_TTL_MS = 10_000;

const EngineReport = z.object({
  node: z.string().regex(NODE_NAME),
  engine: z.string().min(1),
  ari: z.boolean(),
  calls: z.number().int().min(0),
  at: z.number(),
});

/** What the engines say of one node. */
export interface NodeReport {
  /** At least one engine reaches the node's ARI. */
  ari: boolean;
  /** Live calls on the node, summed over the engines. */
  calls: number;
  /** Engines with a fresh report. */
  engines: number;
}

/** The fresh reports of the `nodes` hash, by node (entries that do not parse are skipped). */
export function readNodeReports(hash: Record<string, string>, now: number): Map<string, NodeReport> {
  const out = new Map<string, NodeReport>();
  for (const value of Object.values(hash)) {
    let parsed: z.infer<typeof EngineReport>;
    try {
      const r = EngineReport.safeParse(JSON.parse(value));
      if (!r.success) continue;
      parsed = r.data;
    } catch {
      continue;
    }
    if (now - parsed.at > REPORT_FRESH_MS) continue;
    const prev = out.get(parsed.node) ?? { ari: false, calls: 0, engines: 0 };
    out.set(parsed.node, {
      ari: prev.ari || parsed.ari,
      calls: prev.calls + parsed.calls,
      engines: prev.engines + 1,
    });
  }
  return out;
}

/** The edge's report, as the contract spells it. */
export interface EdgeReport {
  at: number;
  nodes: {
    name: string;
    up: boolean;
    optionsRttMs: number | null;
    ari: boolean;
    calls: number;
    invites: number;
    failures: number;
  }[];
  trunks: { name: string; up: boolean; rttMs: number | null }[];
}

/** Writes the edge's report and reads the engines' reports, in one round trip. */
export class RedisReport {
  constructor(
    private readonly redis: Redis,
    private readonly centerId: string,
  ) {}

  async exchange(report: EdgeReport): Promise<Map<string, NodeReport>> {
    const results = await this.redis
      .multi()
      .set(edgeKey(this.centerId), JSON.stringify(report), 'PX', EDGE_REPORT_TTL_MS)
      .hgetall(nodesKey(this.centerId))
      .exec();
    const [, nodes] = results ?? [];
    if (!nodes || nodes[0]) throw nodes?.[0] ?? new Error('no reply from Redis');
    return readNodeReports((nodes[1] ?? {}) as Record<string, string>, Date.now());
  }
}
