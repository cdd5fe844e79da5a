import { readFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { PeersFileError, parsePeers } from '../deploy/peers.ts';
import type { ProbeTarget } from './options-prober.ts';

/**
 * The trunks whose health the edge watches: every peer of peers.yaml (the carrier and the
 * sub-center, emergency and other-center trunks the plan dials through), pinged with OPTIONS at
 * the peer's address. The `nodes:` map of peers.yaml (the inter-node trunk) is not a trunk: the
 * nodes are EDGE_NODES, watched on their own.
 */
export function trunkTargets(text: string, file = 'peers.yaml'): ProbeTarget[] {
  const doc = (parse(text) ?? {}) as unknown;
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    throw new PeersFileError(`${file}: must be a map of peer name → address`);
  const { nodes: _nodes, ...peers } = doc as Record<string, unknown>;
  return [...parsePeers(stringify(peers), file)].map(([name, peer]) => ({
    name,
    uri: `sip:${peer.address}`,
  }));
}

export function loadTrunkTargets(path: string): ProbeTarget[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new PeersFileError(`cannot read ${path}: ${(err as Error).message}`);
  }
  return trunkTargets(text, path);
}
