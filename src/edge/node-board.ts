import type { EdgeNode } from './config.ts';
import { HealthTable } from './node-health.ts';
import type { NodeView } from './pick-node.ts';
import type { Attempt } from './proxy-outcome.ts';
import type { NodeReport } from './redis-report.ts';

interface Counts {
  /** INVITEs sent to the node and not yet answered finally. */
  inFlight: number;
  /** INVITEs sent to the node since the engines' last report was read. */
  sentSinceReport: number;
  /** INVITEs sent to the node (first tries and retries). */
  invites: number;
  /** Of those, the ones that did not end in 2xx (the caller's own CANCEL not counted). */
  failures: number;
}

/**
 * What the edge knows of each node, in memory, refreshed by timers (OPTIONS, the engines'
 * reports) and by its own INVITEs: an INVITE is decided from `view()` synchronously.
 *
 * Load: with the engines' reports (Redis), a node's calls are what the engines report plus the
 * INVITEs the edge sent it since that report was read (so that a burst within one interval does
 * not all go to the node that looked emptiest). Without reports (no REDIS_URL, or Redis not
 * read for longer than a report stays fresh), every node up by OPTIONS counts as reachable by an
 * engine and its calls are the INVITEs the edge has in flight to it: the edge does not stay in
 * the dialog (no record-route), so it cannot see calls end.
 */
export class NodeBoard {
  readonly health: HealthTable;
  private readonly counts = new Map<string, Counts>();
  private reports: Map<string, NodeReport> | undefined;
  private reportsAt = 0;

  constructor(
    readonly nodes: readonly EdgeNode[],
    private readonly freshMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.health = new HealthTable(nodes.map((n) => n.name));
    for (const n of nodes)
      this.counts.set(n.name, { inFlight: 0, sentSinceReport: 0, invites: 0, failures: 0 });
  }

  /** The engines' reports, just read. */
  applyReports(reports: Map<string, NodeReport>): void {
    this.reports = reports;
    this.reportsAt = this.now();
    for (const c of this.counts.values()) c.sentSinceReport = 0;
  }

  /** Whether the engines' reports are in use (read recently enough). */
  get shared(): boolean {
    return this.reports !== undefined && this.now() - this.reportsAt <= this.freshMs;
  }

  report(name: string): NodeReport | undefined {
    return this.shared ? this.reports?.get(name) : undefined;
  }

  view(): NodeView[] {
    const shared = this.shared;
    return this.nodes.map((n) => {
      const c = this.counts.get(n.name)!;
      const r = shared ? this.reports?.get(n.name) : undefined;
      return {
        name: n.name,
        up: this.health.isUp(n.name),
        suspect: this.health.get(n.name).suspect,
        ari: shared ? r?.ari === true : true,
        calls: shared ? (r?.calls ?? 0) + c.sentSinceReport : c.inFlight,
      };
    });
  }

  /** The proxy of a call starts: its INVITE goes to `first` (a later node only if `first` fails). */
  started(first: string): void {
    const c = this.counts.get(first);
    if (!c) return;
    c.inFlight += 1;
    c.sentSinceReport += 1;
    c.invites += 1;
  }

  /** The proxy that started with `first` ended; `attempts` says how each node it could try did. */
  settled(first: string, attempts: readonly Attempt[]): void {
    const f = this.counts.get(first);
    if (f) f.inFlight = Math.max(0, f.inFlight - 1);
    for (const a of attempts) {
      const c = this.counts.get(a.node);
      if (!c || a.outcome === 'not-tried') continue;
      if (a.node !== first) c.invites += 1;
      // The load estimate keeps only calls that landed on the node.
      if (a.node === first && a.outcome !== 'answered')
        c.sentSinceReport = Math.max(0, c.sentSinceReport - 1);
      if (a.node !== first && a.outcome === 'answered') c.sentSinceReport += 1;
      if (a.outcome === 'failed') c.failures += 1;
    }
  }

  totals(name: string): { invites: number; failures: number; inFlight: number } {
    const c = this.counts.get(name);
    return { invites: c?.invites ?? 0, failures: c?.failures ?? 0, inFlight: c?.inFlight ?? 0 };
  }
}
