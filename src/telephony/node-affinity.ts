import type { Agent } from '../acd/agent.ts';
import type { NodeAffinity } from '../acd/dispatch-board.ts';

/**
 * The ACD's node affinity over several Asterisk nodes: an agent is near a call when their phone
 * (the endpoint of their login, else their default one) is registered on the node whose id
 * prefix the call carries. An agent registered nowhere known, or a call of no known node, is
 * never near: the strategy's own order decides.
 */
export function nodeAffinity(
  depth: number,
  ids: { nodeOf(id: string): string | undefined },
  presence: () => { nodesOf(endpoint: string): ReadonlySet<string> | undefined } | undefined,
): NodeAffinity {
  return {
    depth,
    near(callId: string, agent: Agent): boolean {
      const node = ids.nodeOf(callId);
      const endpoint = agent.status.endpoint ?? agent.endpoint;
      if (node === undefined || !endpoint) return false;
      return presence()?.nodesOf(endpoint)?.has(node) === true;
    },
  };
}
