import type { RoutingPlan } from '../plan/compile.ts';
import { EXTENSIONS_FILE, generateExtensions } from './extensions.ts';
import { generatePjsipTrunks, PJSIP_TRUNKS_FILE } from './pjsip-trunks.ts';

/** The command line written into the generated files' banner. */
export function dialplanCommandLine(apps: readonly string[]): string {
  return `node bin/hotline.js dialplan --rules <plan folder> --apps ${apps.join(',')} --out dialplan`;
}

/** Both generated configuration files, by file name, in the order they are printed. */
export function generatedFiles(plan: RoutingPlan, apps: readonly string[]): [string, string][] {
  const command = dialplanCommandLine(apps);
  return [
    [EXTENSIONS_FILE, generateExtensions(plan, apps, command)],
    [PJSIP_TRUNKS_FILE, generatePjsipTrunks(plan, command)],
  ];
}
