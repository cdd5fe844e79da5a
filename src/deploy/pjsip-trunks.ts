import type { RoutingPlan } from '../plan/compile.ts';
import { dialTargets } from './dial-targets.ts';
import { commentText, generatedHeader } from './header.ts';

export const PJSIP_TRUNKS_FILE = 'pjsip-trunks-generated.conf';
/** Templates defined in the hand-written pjsip.conf before it includes the generated file. */
export const TRUNK_TEMPLATES = {
  endpoint: 'hotline-trunk-endpoint',
  aor: 'hotline-trunk-aor',
  identify: 'hotline-trunk-identify',
} as const;

/**
 * One PJSIP endpoint (with AOR and IP identify) for every `@trunk` the plan dials through:
 * sub-centers, emergency lines, other centers, directory numbers. The peer is reached at the
 * host name equal to the endpoint name (`sip:sc-tax`), resolved by DNS or /etc/hosts, so the
 * addresses stay out of the generated file; calls the peer sends us are identified by the same
 * host name and land in the `from-trunks` context (set by the template).
 */
export function generatePjsipTrunks(plan: RoutingPlan, command: string): string {
  const { trunks, unmanaged } = dialTargets(plan);
  const out = [generatedHeader(PJSIP_TRUNKS_FILE, plan, command)];
  out.push(`; ${trunks.length} trunk(s); each peer is reached at the host name equal to the endpoint name.`);
  for (const trunk of trunks) {
    const name = trunk.endpoint;
    out.push('');
    for (const use of trunk.uses) {
      out.push(`; ${use.kind} ${use.id}: ${commentText(use.name)} — ${use.dial}`);
    }
    out.push(
      `[${name}](${TRUNK_TEMPLATES.endpoint})`,
      `aors=${name}`,
      `[${name}](${TRUNK_TEMPLATES.aor})`,
      `contact=sip:${name}`,
      `[${name}](${TRUNK_TEMPLATES.identify})`,
      `endpoint=${name}`,
      `match=${name}`,
    );
  }
  if (unmanaged.length > 0) {
    out.push('', '; Not PJSIP: configure these by hand (channel driver or dialplan).');
    for (const use of unmanaged) out.push(`; ${use.kind} ${use.id}: ${commentText(use.name)} — ${use.dial}`);
  }
  out.push('');
  return out.join('\n');
}
