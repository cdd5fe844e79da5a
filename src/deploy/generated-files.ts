import type { RoutingPlan } from '../plan/compile.ts';
import { EXTENSIONS_FILE, generateExtensions } from './extensions.ts';
import type { Peers } from './peers.ts';
import { generatePjsipTrunks, PJSIP_TRUNKS_FILE } from './pjsip-trunks.ts';

/** The command line written into the generated files' banner. */
export function dialplanCommandLine(apps: readonly string[], peersFile?: string): string {
  const peers = peersFile === undefined ? '' : ` --peers ${peersFile}`;
  return `node bin/hotline.js dialplan --rules <plan folder> --apps ${apps.join(',')}${peers} --out dialplan`;
}

/**
 * Both generated configuration files, by file name, in the order they are printed. `peers`
 * (peers.yaml) places the carrier and the trunks; `peersFile` is how the banner names it.
 */
export function generatedFiles(
  plan: RoutingPlan,
  apps: readonly string[],
  peers?: { peers: Peers; file: string },
): [string, string][] {
  const command = dialplanCommandLine(apps, peers?.file);
  return [
    [EXTENSIONS_FILE, generateExtensions(plan, apps, command)],
    [PJSIP_TRUNKS_FILE, generatePjsipTrunks(plan, command, peers?.peers)],
  ];
}
