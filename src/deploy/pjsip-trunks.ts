import type { RoutingPlan } from '../plan/compile.ts';
import { dialTargets, TrunkNameError } from './dial-targets.ts';
import { commentText, generatedHeader } from './header.ts';
import { isIpLiteral, type Peer, type Peers } from './peers.ts';

export const PJSIP_TRUNKS_FILE = 'pjsip-trunks-generated.conf';
/** Templates defined in the hand-written pjsip.conf before it includes the generated file. */
export const TRUNK_TEMPLATES = {
  endpoint: 'hotline-trunk-endpoint',
  aor: 'hotline-trunk-aor',
  identify: 'hotline-trunk-identify',
} as const;
/** The carrier's endpoint is hand-written in pjsip.conf; its AOR and identify come from peers.yaml. */
export const CARRIER = 'carrier';
/** Templates of pjsip.conf for the inter-node trunk (several Asterisk nodes behind the SIP edge). */
export const NODE_TEMPLATES = {
  endpoint: 'hotline-node-endpoint',
  aor: 'hotline-node-aor',
  identify: 'hotline-trunk-identify',
} as const;
/** The dialplan context calls from another node land in (extensions.conf). */
export const NODES_CONTEXT = 'from-nodes';

/** The PJSIP endpoint of the inter-node trunk to node `name`: `node-b`. */
export function nodeEndpoint(name: string): string {
  return `node-${name}`;
}

/**
 * The dial string that rings agent endpoint `agent` registered on node `node`, from any other
 * node: `PJSIP/agent1001@node-b` (request user = the agent's endpoint name; node b's
 * [from-nodes] dials it when it is one of b's agents).
 */
export function remoteAgentDial(agent: string, node: string): string {
  return `PJSIP/${agent}@${nodeEndpoint(node)}`;
}

/**
 * The carrier's AOR and identify, and one PJSIP endpoint (with AOR and IP identify) for every
 * `@trunk` the plan dials through: sub-centers, emergency lines, other centers, directory
 * numbers. Each peer is reached at its address of `peers` (an IP literal, or a host name with
 * DNS records: PJSIP never reads /etc/hosts); a peer missing there is reached at the host name
 * equal to its endpoint name, which then needs a DNS A/SRV record. Calls the peer sends us are
 * identified by the same address and land in the `from-trunks` context (set by the template).
 */
export function generatePjsipTrunks(plan: RoutingPlan, command: string, peers: Peers = new Map()): string {
  const { trunks, unmanaged } = dialTargets(plan);
  const known = new Set([CARRIER, ...trunks.map((t) => t.endpoint)]);
  const stray = [...peers.keys()].filter((name) => !known.has(name));
  if (stray.length > 0) {
    throw new TrunkNameError(
      `peers ${stray.map((s) => `"${s}"`).join(', ')} are neither the carrier nor a trunk the plan dials through`,
    );
  }
  const nodes = peers.nodes ?? new Map<string, Peer>();
  const clash = [...nodes.keys()].map(nodeEndpoint).filter((name) => known.has(name));
  if (clash.length > 0) {
    throw new TrunkNameError(
      `inter-node trunk(s) ${clash.map((s) => `"${s}"`).join(', ')} would have the name of a trunk the plan dials through`,
    );
  }
  const out = [generatedHeader(PJSIP_TRUNKS_FILE, plan, command)];
  out.push(
    '; Addresses come from peers.yaml: IP literals, or host names with DNS A/SRV records (PJSIP',
    '; resolves through DNS only, never /etc/hosts). A peer missing there is reached at the host',
    '; name equal to its endpoint name, which then needs a DNS record.',
    '',
    `; the carrier (its endpoint is in pjsip.conf)${peerNote(peers.get(CARRIER))}`,
    ...addressSections(CARRIER, peers.get(CARRIER)),
    '',
    `; ${trunks.length} trunk(s) the plan dials through.`,
  );
  for (const trunk of trunks) {
    const name = trunk.endpoint;
    const peer = peers.get(name);
    out.push('');
    for (const use of trunk.uses) {
      out.push(`; ${use.kind} ${use.id}: ${commentText(use.name)} — ${use.dial}`);
    }
    if (!peer) out.push(`; ${peerNote(peer).trim()}`);
    out.push(`[${name}](${TRUNK_TEMPLATES.endpoint})`, `aors=${name}`, ...addressSections(name, peer));
  }
  if (nodes.size > 0) {
    out.push(
      '',
      `; ${nodes.size} Asterisk node(s) (peers.yaml nodes:): the inter-node trunk, the same on every node.`,
      '; A call on one node rings an agent registered on node <n> as PJSIP/<agent endpoint>@node-<n>;',
      `; node <n> takes it in [${NODES_CONTEXT}] (extensions.conf), which dials only its own agents.`,
    );
    for (const [name, peer] of [...nodes].sort(([a], [b]) => a.localeCompare(b))) {
      const endpoint = nodeEndpoint(name);
      out.push(
        '',
        `; node ${name} — ${remoteAgentDial('<agent>', name)}`,
        `[${endpoint}](${NODE_TEMPLATES.endpoint})`,
        `aors=${endpoint}`,
        `[${endpoint}](${NODE_TEMPLATES.aor})`,
        `contact=sip:${peer.address}`,
        `[${endpoint}](${NODE_TEMPLATES.identify})`,
        `endpoint=${endpoint}`,
        `match=${peer.match.join(',')}`,
      );
    }
  }
  if (unmanaged.length > 0) {
    out.push('', '; Not PJSIP: configure these by hand (channel driver or dialplan).');
    for (const use of unmanaged) out.push(`; ${use.kind} ${use.id}: ${commentText(use.name)} — ${use.dial}`);
  }
  out.push('');
  return out.join('\n');
}

/** Trunks (and the carrier, and the nodes) that peers.yaml does not place at an IP literal: they need DNS. */
export function peersNeedingDns(plan: RoutingPlan, peers: Peers): string[] {
  const names = [CARRIER, ...dialTargets(plan).trunks.map((t) => t.endpoint)];
  const trunks = names.filter((name) => {
    const peer = peers.get(name);
    return !peer || !isIpLiteral(peer.address);
  });
  const nodes = [...(peers.nodes ?? [])]
    .filter(([, peer]) => !isIpLiteral(peer.address))
    .map(([name]) => nodeEndpoint(name));
  return [...trunks, ...nodes];
}

function peerNote(peer: Peer | undefined): string {
  return peer ? '' : ' — not in peers.yaml: reached by DNS name';
}

function addressSections(name: string, peer: Peer | undefined): string[] {
  const address = peer?.address ?? name;
  const match = peer?.match ?? [name];
  return [
    `[${name}](${TRUNK_TEMPLATES.aor})`,
    `contact=sip:${address}`,
    `[${name}](${TRUNK_TEMPLATES.identify})`,
    `endpoint=${name}`,
    `match=${match.join(',')}`,
  ];
}
