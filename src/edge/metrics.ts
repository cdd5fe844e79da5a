import { Counter, Gauge, Registry } from 'prom-client';
import type { NodeBoard } from './node-board.ts';
import type { HealthTable } from './node-health.ts';
import type { Attempt } from './proxy-outcome.ts';

/**
 * The edge's Prometheus metrics, in a registry of its own (served on the edge's /metrics).
 * Gauges are read from the in-memory state when scraped; counters are counted as calls go.
 */
export class EdgeMetrics {
  readonly registry = new Registry();
  private readonly invites: Counter<'node'>;
  private readonly failures: Counter<'node'>;
  private readonly retries: Counter<'node'>;
  private readonly refused: Counter<'status'>;

  constructor(board: NodeBoard, trunks: HealthTable) {
    const registers = [this.registry];
    const nodes = board.nodes.map((n) => n.name);
    const perNode = (set: (name: string) => number) => (g: Gauge<'node'>) => {
      for (const name of nodes) g.set({ node: name }, set(name));
    };
    const upOf = perNode((n) => (board.health.isUp(n) ? 1 : 0));
    new Gauge({
      name: 'hotline_edge_node_up',
      help: 'Whether the node answered its last SIP OPTIONS (1) or not (0)',
      labelNames: ['node'],
      registers,
      collect() {
        upOf(this);
      },
    });
    const rttOf = (g: Gauge<'node'>) => {
      g.reset();
      for (const name of nodes) {
        const ms = board.health.get(name).rttMs;
        if (ms !== undefined) g.set({ node: name }, ms / 1000);
      }
    };
    new Gauge({
      name: 'hotline_edge_node_options_rtt_seconds',
      help: "Round-trip time of the node's last answered SIP OPTIONS",
      labelNames: ['node'],
      registers,
      collect() {
        rttOf(this);
      },
    });
    const ariOf = perNode((n) => (board.view().find((v) => v.name === n)?.ari ? 1 : 0));
    new Gauge({
      name: 'hotline_edge_node_ari',
      help: "Whether an engine reports the node's ARI reachable (always 1 without Redis)",
      labelNames: ['node'],
      registers,
      collect() {
        ariOf(this);
      },
    });
    const callsOf = perNode((n) => board.view().find((v) => v.name === n)?.calls ?? 0);
    new Gauge({
      name: 'hotline_edge_node_calls',
      help: "The node's load as the edge weighs it: live calls reported by the engines plus the edge's INVITEs since (without Redis: INVITEs in flight)",
      labelNames: ['node'],
      registers,
      collect() {
        callsOf(this);
      },
    });
    this.invites = new Counter({
      name: 'hotline_edge_node_invites_total',
      help: 'INVITEs the edge proxied to the node (first tries and retries)',
      labelNames: ['node'],
      registers,
    });
    this.failures = new Counter({
      name: 'hotline_edge_node_failures_total',
      help: "INVITEs to the node that did not end in 2xx (a 5xx or 4xx, or no answer in time; the caller's CANCEL not counted)",
      labelNames: ['node'],
      registers,
    });
    this.retries = new Counter({
      name: 'hotline_edge_node_retries_total',
      help: 'INVITEs the node got after another node failed them',
      labelNames: ['node'],
      registers,
    });
    this.refused = new Counter({
      name: 'hotline_edge_refused_total',
      help: 'INVITEs the edge answered itself: 404 (a number the plan does not answer), 503 (no node may take the call)',
      labelNames: ['status'],
      registers,
    });
    const trunkUp = (g: Gauge<'trunk'>) => {
      for (const t of trunks.names()) g.set({ trunk: t }, trunks.isUp(t) ? 1 : 0);
    };
    new Gauge({
      name: 'hotline_edge_trunk_up',
      help: 'Whether the trunk (carrier, sub-center, emergency, other center) answered its last SIP OPTIONS',
      labelNames: ['trunk'],
      registers,
      collect() {
        trunkUp(this);
      },
    });
    const trunkRtt = (g: Gauge<'trunk'>) => {
      g.reset();
      for (const t of trunks.names()) {
        const ms = trunks.get(t).rttMs;
        if (ms !== undefined) g.set({ trunk: t }, ms / 1000);
      }
    };
    new Gauge({
      name: 'hotline_edge_trunk_options_rtt_seconds',
      help: "Round-trip time of the trunk's last answered SIP OPTIONS",
      labelNames: ['trunk'],
      registers,
      collect() {
        trunkRtt(this);
      },
    });
    for (const name of nodes) {
      this.invites.inc({ node: name }, 0);
      this.failures.inc({ node: name }, 0);
      this.retries.inc({ node: name }, 0);
    }
    this.refused.inc({ status: '404' }, 0);
    this.refused.inc({ status: '503' }, 0);
  }

  /** A proxied call ended: each node it reached, in order. */
  proxied(attempts: readonly Attempt[]): void {
    let first = true;
    for (const a of attempts) {
      if (a.outcome === 'not-tried') continue;
      this.invites.inc({ node: a.node });
      if (!first) this.retries.inc({ node: a.node });
      if (a.outcome === 'failed') this.failures.inc({ node: a.node });
      first = false;
    }
  }

  refusedWith(status: 404 | 503): void {
    this.refused.inc({ status: String(status) });
  }
}
