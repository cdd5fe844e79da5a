/** What the edge knows of a node when an INVITE arrives (all in memory, refreshed by timers). */
export interface NodeView {
  name: string;
  /** Up by SIP OPTIONS. */
  up: boolean;
  /** Down by one unanswered OPTIONS right after being up (node-health.ts): tried when no node is up. */
  suspect?: boolean;
  /** Reported with `ari: true` by at least one engine (always true without Redis). */
  ari: boolean;
  /** Live calls: the engines' report plus the edge's own INVITEs since (see node-board.ts). */
  calls: number;
}

export type Ineligible = 'down' | 'no-ari' | 'saturated';

/** Why a node may not take a new call, or undefined when it may. */
export function ineligible(node: NodeView, maxCalls: number): Ineligible | undefined {
  if (!node.up) return 'down';
  if (!node.ari) return 'no-ari';
  if (node.calls >= maxCalls) return 'saturated';
  return undefined;
}

/**
 * The nodes a new call may go to, in the order to try them: up by OPTIONS, reachable by an
 * engine, below `maxCalls`; fewest calls first (with none up, the suspect ones, on the same
 * terms). Ties go round-robin: `turn` (a counter the
 * caller increments per call) rotates which of the tied nodes, in the given order, comes first.
 * An empty list: no node may take the call.
 */
export function pickNodes(nodes: readonly NodeView[], maxCalls: number, turn: number): string[] {
  const n = nodes.length;
  if (n === 0) return [];
  const start = ((turn % n) + n) % n;
  const eligible: { name: string; calls: number; rank: number }[] = [];
  for (let i = 0; i < n; i++) {
    const node = nodes[i]!;
    if (ineligible(node, maxCalls) === undefined)
      eligible.push({ name: node.name, calls: node.calls, rank: (i - start + n) % n });
  }
  // No node up: a node that missed one OPTIONS while busy is likelier to take the call than a
  // 503 is to be retried well; it is tried, last resort, as long as it is otherwise eligible.
  if (eligible.length === 0)
    for (let i = 0; i < n; i++) {
      const node = nodes[i]!;
      if (node.suspect && ineligible({ ...node, up: true }, maxCalls) === undefined)
        eligible.push({ name: node.name, calls: node.calls, rank: (i - start + n) % n });
    }
  eligible.sort((a, b) => a.calls - b.calls || a.rank - b.rank);
  return eligible.map((e) => e.name);
}
