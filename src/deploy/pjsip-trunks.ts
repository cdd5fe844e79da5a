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
  if (unmanaged.length > 0) {
    out.push('', '; Not PJSIP: configure these by hand (channel driver or dialplan).');
    for (const use of unmanaged) out.push(`; ${use.kind} ${use.id}: ${commentText(use.name)} — ${use.dial}`);
  }
  out.push('');
  return out.join('\n');
}

/** Trunks (and the carrier) that peers.yaml does not place at an IP literal: they need DNS. */
export function peersNeedingDns(plan: RoutingPlan, peers: Peers): string[] {
  const names = [CARRIER, ...dialTargets(plan).trunks.map((t) => t.endpoint)];
  return names.filter((name) => {
    const peer = peers.get(name);
    return !peer || !isIpLiteral(peer.address);
  });
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
