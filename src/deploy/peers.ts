import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { HotlineError } from '../errors.ts';

/**
 * Where the SIP peers are: the carrier and every trunk the plan dials through (`peers.yaml`).
 * PJSIP resolves host names through DNS only (never /etc/hosts), so a deployment gives IP
 * literals here, or host names that have DNS A/SRV records; `hotline dialplan --peers` writes
 * each peer's AOR contact and identify match from them.
 */
export interface Peer {
  /** `10.20.0.5`, `10.20.0.5:5070`, `[2001:db8::5]:5060` or a host name (DNS), for the AOR contact. */
  address: string;
  /** Source addresses (IP, CIDR or DNS name) that identify calls from the peer. */
  match: string[];
}
/**
 * Peers by endpoint name, and (optional `nodes:` map of peers.yaml) the other Asterisk nodes of a
 * deployment with several nodes behind the SIP edge, by node name: each becomes an inter-node
 * trunk `node-<name>` on every node.
 */
export type Peers = ReadonlyMap<string, Peer> & { readonly nodes?: ReadonlyMap<string, Peer> };

/** A node's name (Asterisk's `systemname`, the prefix of its channel ids): `a`, `b`, `ast1`. */
export const NODE_NAME = /^[a-z][a-z0-9]{0,15}$/;
/** The key of peers.yaml that holds the nodes instead of a peer. */
export const NODES_KEY = 'nodes';

export class PeersFileError extends HotlineError {
  constructor(message: string) {
    super('invalid-peers-file', message);
  }
}

const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)$/;
const IPV6 = /^[0-9A-Fa-f:.]+$/;
const HOST =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const PORT = /^(?:[1-9]\d{0,3}|[1-5]\d{4}|6[0-4]\d{3}|65[0-4]\d{2}|655[0-2]\d|6553[0-5])$/;

/** The host of an address (`10.0.0.5:5070` → `10.0.0.5`, `[2001:db8::5]:5060` → `2001:db8::5`), or undefined when malformed. */
export function addressHost(address: string): string | undefined {
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(address);
  if (v6) {
    if (!IPV6.test(v6[1]!) || !v6[1]!.includes(':')) return undefined;
    if (v6[2] !== undefined && !PORT.test(v6[2])) return undefined;
    return v6[1];
  }
  const [host, port, ...rest] = address.split(':');
  if (rest.length > 0 || host === undefined) return undefined;
  if (port !== undefined && !PORT.test(port)) return undefined;
  if (IPV4.test(host)) return host;
  if (/^[\d.]+$/.test(host)) return undefined; // looks like an IPv4 address but is not one
  return HOST.test(host) ? host : undefined;
}

/** Whether the address is an IP literal, which needs no name resolution. */
export function isIpLiteral(address: string): boolean {
  const host = addressHost(address);
  return host !== undefined && (IPV4.test(host) || host.includes(':'));
}

const MATCH = /^[0-9A-Za-z.:-]+(?:\/\d{1,3})?$/;
const PeerEntry = z.union([
  z.string(),
  z
    .object({
      address: z.string(),
      match: z.array(z.string().regex(MATCH, 'an IP, CIDR or host name')).min(1).optional(),
    })
    .strict(),
]);
const PeersFile = z.record(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'an endpoint name'), PeerEntry);
const NodesMap = z.record(z.string(), PeerEntry);

function issues(error: z.ZodError, file: string, prefix: string[] = []): string {
  return error.issues.map((i) => `${file}:${[...prefix, ...i.path].join('.')}: ${i.message}`).join('\n');
}

/** `name: ADDRESS` or `name: { address, match }` → the peer; `where` names it in errors (`sc-tax`, `nodes.b`). */
function toPeer(entry: z.infer<typeof PeerEntry>, file: string, where: string): Peer {
  const address = typeof entry === 'string' ? entry : entry.address;
  const host = addressHost(address);
  if (host === undefined) {
    throw new PeersFileError(
      `${file}:${where}: "${address}" is not an IP address or host name (with an optional :port)`,
    );
  }
  const match = typeof entry === 'string' || entry.match === undefined ? [host] : entry.match;
  return { address, match };
}

/**
 * Reads peers from YAML text: `name: ADDRESS` or `name: { address: ADDRESS, match: [IP|CIDR…] }`,
 * and the optional `nodes:` map (node name → ADDRESS or `{ address, match }`) of a deployment
 * with several Asterisk nodes. Errors name the file and the path (`peers.yaml:nodes.B: …`).
 */
export function parsePeers(text: string, file = 'peers.yaml'): Peers {
  const raw: unknown = parse(text) ?? {};
  let nodes: Map<string, Peer> | undefined;
  let rest = raw;
  if (raw !== null && typeof raw === 'object' && !Array.isArray(raw) && NODES_KEY in raw) {
    const { [NODES_KEY]: nodesRaw, ...others } = raw as Record<string, unknown>;
    rest = others;
    const parsedNodes = NodesMap.safeParse(nodesRaw ?? {});
    if (!parsedNodes.success) throw new PeersFileError(issues(parsedNodes.error, file, [NODES_KEY]));
    nodes = new Map();
    for (const [name, entry] of Object.entries(parsedNodes.data)) {
      if (!NODE_NAME.test(name)) {
        throw new PeersFileError(
          `${file}:${NODES_KEY}.${name}: a node name is a lower-case letter, then up to 15 lower-case letters or digits (its NODE_NAME, Asterisk's systemname)`,
        );
      }
      nodes.set(name, toPeer(entry, file, `${NODES_KEY}.${name}`));
    }
  }
  const parsed = PeersFile.safeParse(rest);
  if (!parsed.success) throw new PeersFileError(issues(parsed.error, file));
  const peers = new Map<string, Peer>();
  for (const [name, entry] of Object.entries(parsed.data)) peers.set(name, toPeer(entry, file, name));
  return nodes === undefined ? peers : Object.assign(peers, { nodes });
}

export function loadPeers(path: string): Peers {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new PeersFileError(`cannot read ${path}: ${(err as Error).message}`);
  }
  return parsePeers(text, path);
}
