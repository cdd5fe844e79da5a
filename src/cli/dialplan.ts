import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { TrunkNameError } from '../deploy/dial-targets.ts';
import { generatedFiles } from '../deploy/generated-files.ts';
import { loadPeers, PeersFileError } from '../deploy/peers.ts';
import { peersNeedingDns } from '../deploy/pjsip-trunks.ts';
import { parseStasisApps, StasisAppsError } from '../deploy/stasis-apps.ts';
import { loadPlan } from '../plan/load.ts';
import { formatProblem, RulesInvalidError } from '../plan/problems.ts';
import { type CommandIO, UsageError } from './io.ts';
import { rulesDir } from './paths.ts';

export const dialplanHelp = `hotline dialplan [--rules DIR] [--apps a,b] [--peers FILE] [--out DIR]
  Generates the Asterisk configuration that depends on the routing plan, so the two cannot drift:
  extensions-generated.conf (every number of the plan into the Stasis apps, spread per call over
  --apps, default ARI_APP or "hotline") and pjsip-trunks-generated.conf (the carrier's address and
  an endpoint for every @trunk of the sub-center, emergency, other-center and directory dial
  strings). --peers names the peers file (e.g. dialplan/peers.yaml: each peer's IP address, since
  PJSIP resolves names through DNS only, never /etc/hosts); a peer missing there is reached at
  the DNS name equal to its endpoint name (a warning says which). Its optional "nodes:" map (node
  name → address, several Asterisk nodes behind the SIP edge) adds the inter-node trunk node-<name>
  per node (context from-nodes: the engine rings an agent on node b as PJSIP/<agent>@node-b).
  With --out DIR writes both files there (e.g. --out dialplan), else prints them.
  Exit 1 with FILE:PATH lines when the rules are invalid.`;

export function dialplanCommand(args: string[], io: CommandIO): number {
  const { values } = parseArgs({
    args,
    options: {
      rules: { type: 'string' },
      apps: { type: 'string' },
      peers: { type: 'string' },
      out: { type: 'string' },
    },
    strict: true,
  });
  let apps: string[];
  try {
    apps = parseStasisApps(values.apps ?? process.env.ARI_APP ?? 'hotline');
  } catch (err) {
    if (err instanceof StasisAppsError) throw new UsageError(`--apps: ${err.message}`);
    throw err;
  }
  let files: [string, string][];
  try {
    const { plan, warnings } = loadPlan(rulesDir(values.rules));
    for (const w of warnings) io.err(`warning: ${formatProblem(w)}`);
    const peers =
      values.peers === undefined ? undefined : { peers: loadPeers(values.peers), file: values.peers };
    files = generatedFiles(plan, apps, peers);
    for (const name of peersNeedingDns(plan, peers?.peers ?? new Map())) {
      io.err(`warning: peer "${name}" has no IP address in the peers file: it needs a DNS A/SRV record`);
    }
  } catch (err) {
    if (err instanceof RulesInvalidError) {
      for (const p of err.problems) io.out(formatProblem(p));
      return 1;
    }
    if (err instanceof TrunkNameError || err instanceof PeersFileError) {
      io.err(`dialplan: ${err.message}`);
      return 1;
    }
    throw err;
  }
  if (values.out === undefined) {
    io.out(files.map(([, text]) => text).join('\n'));
    return 0;
  }
  const dir = resolve(values.out);
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of files) {
    writeFileSync(join(dir, name), text);
    io.out(`wrote ${join(values.out, name)}`);
  }
  return 0;
}
