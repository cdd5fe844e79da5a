/**
 * What happened at each node of a sequential proxy, from drachtio's proxy result: every final
 * response (2xx and failures, with the address and port it came from) and the status forwarded
 * upstream. A node that never answered (the edge's Trying timeout, or Timer B) has no response;
 * it failed when the proxy went on to a later node or ended without a caller's CANCEL.
 */
/** `unknown`: the connection to drachtio-server dropped before the proxy's result came back. */
export type AttemptOutcome = 'answered' | 'failed' | 'cancelled' | 'unknown' | 'not-tried';

export interface ProxyResponse {
  address: string;
  port: number;
  status: number;
}

export interface Attempt {
  node: string;
  outcome: AttemptOutcome;
  /** The node's final status; undefined when it never answered. */
  status: number | undefined;
}

/** drachtio-srf's proxy result (`Request#proxy`), flattened to final responses in order. */
export function finalResponses(result: unknown): ProxyResponse[] {
  const out: ProxyResponse[] = [];
  const groups = (result as { responses?: unknown })?.responses;
  if (!Array.isArray(groups)) return out;
  for (const g of groups as { address?: unknown; port?: unknown; msgs?: unknown }[]) {
    if (!Array.isArray(g?.msgs)) continue;
    for (const m of g.msgs as { status?: unknown }[]) {
      const status = Number(m?.status);
      if (Number.isInteger(status) && status >= 200)
        out.push({ address: String(g.address), port: Number(g.port), status });
    }
  }
  return out;
}

/**
 * Each destination's outcome, in the order they were given. `targets` are `{node, host, port}`;
 * a response belongs to the target with its address and port. `finalStatus` is what went
 * upstream (487 after the caller's CANCEL).
 */
export function attemptsOf(
  targets: readonly { node: string; host: string; port: number }[],
  responses: readonly ProxyResponse[],
  finalStatus: number | undefined,
): Attempt[] {
  const statusOf = (t: { host: string; port: number }) =>
    responses.filter((r) => r.address === t.host && r.port === t.port).at(-1)?.status;
  const statuses = targets.map(statusOf);
  const attempts: Attempt[] = [];
  let over = false;
  for (let i = 0; i < targets.length; i++) {
    const node = targets[i]!.node;
    const status = statuses[i];
    if (over) {
      attempts.push({ node, outcome: 'not-tried', status: undefined });
      continue;
    }
    if (status !== undefined && status < 300) {
      attempts.push({ node, outcome: 'answered', status });
      over = true;
    } else if (status === 487) {
      attempts.push({ node, outcome: 'cancelled', status });
      over = true;
    } else if (status !== undefined) {
      attempts.push({ node, outcome: 'failed', status });
    } else {
      const laterAnswered = statuses.slice(i + 1).some((s) => s !== undefined);
      const cancelled = !laterAnswered && finalStatus === 487;
      attempts.push({ node, outcome: cancelled ? 'cancelled' : 'failed', status: undefined });
      if (cancelled) over = true;
    }
  }
  return attempts;
}
