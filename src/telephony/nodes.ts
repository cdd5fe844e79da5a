/**
 * Several Asterisk nodes: how ids name their node and how an agent on another node is reached.
 * Pure functions; the ARI side is telephony/ari/ari-nodes.ts.
 */

/** A node's name: Asterisk's `systemname`, the prefix of its channel ids (`a-1733000000.12`). */
export const NODE_NAME = /^[a-z][a-z0-9]{0,15}$/;

/** The inter-node trunk to a node: a PJSIP endpoint of this name on every node (dialplan). */
export function nodeTrunk(node: string): string {
  return `node-${node}`;
}

/**
 * The node an id is on: its prefix up to the first `-` when that is a known node. Call ids are
 * their caller's channel id (`<systemname>-<epoch>.<seq>`) and every id a call makes starts
 * with its call id, so one rule serves channels, bridges and playbacks.
 */
export function nodeOfId(id: string, nodes: { has(name: string): boolean }): string | undefined {
  const dash = id.indexOf('-');
  if (dash <= 0) return undefined;
  const name = id.slice(0, dash);
  return nodes.has(name) ? name : undefined;
}

/**
 * The dial string of a leg on node `from`: an agent's own phone (`PJSIP/<name>`) registered only
 * on other nodes is reached through the trunk to the first of them (`PJSIP/<name>@node-b`); its
 * node's `[from-nodes]` rings the phone. Anything else (registered here, unknown, a trunk's dial
 * string) is dialled as it is.
 */
export function remoteAgentEndpoint(
  endpoint: string,
  from: string,
  registeredOn: ReadonlySet<string> | undefined,
): string {
  const m = /^PJSIP\/([^/@]+)$/.exec(endpoint);
  if (!m || !registeredOn || registeredOn.size === 0 || registeredOn.has(from)) return endpoint;
  const [other] = [...registeredOn].sort();
  return `PJSIP/${m[1]}@${nodeTrunk(other!)}`;
}

/** `a=http://127.0.0.21:8088,b=http://…` → [{name, url}] (names and duplicates checked). */
export function parseNodeList(value: string, variable: string): { name: string; url: string }[] {
  const out: { name: string; url: string }[] = [];
  for (const part of value
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const eq = part.indexOf('=');
    const name = eq > 0 ? part.slice(0, eq) : '';
    const url = part.slice(eq + 1);
    if (!NODE_NAME.test(name))
      throw new Error(
        `${variable}: "${part}": a node is name=URL, the name ${NODE_NAME.source} (Asterisk's systemname)`,
      );
    if (out.some((n) => n.name === name)) throw new Error(`${variable}: node "${name}" is named twice`);
    if (!url) throw new Error(`${variable}: node "${name}" has no URL`);
    out.push({ name, url });
  }
  if (out.length === 0) throw new Error(`${variable}: no node`);
  return out;
}
