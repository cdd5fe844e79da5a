import { HotlineError } from '../errors.ts';
import type { RoutingPlan } from '../plan/compile.ts';

/**
 * A plan target that is reached by dialling out (sub-center, department's own line, emergency
 * line, other center, directory).
 */
export interface DialUse {
  kind: 'subcenter' | 'department' | 'emergency' | 'center' | 'directory';
  id: string;
  name: string;
  number: string;
  dial: string;
}

/** A PJSIP endpoint the plan dials through: the `@trunk` part of `PJSIP/12366@sc-tax`. */
export interface Trunk {
  endpoint: string;
  uses: DialUse[];
}

export interface DialTargets {
  /** Sorted by endpoint name. */
  trunks: Trunk[];
  /** Dial strings of other technologies (`Local/…`, `DAHDI/…`): configured by hand, not generated. */
  unmanaged: DialUse[];
}

/** The plan dials through an endpoint name the hand-written configuration already uses. */
export class TrunkNameError extends HotlineError {
  constructor(message: string) {
    super('invalid-trunk-name', message);
  }
}

/** Endpoint names the hand-written pjsip.conf defines itself. */
export const RESERVED_ENDPOINTS = ['carrier', 'transport-udp', 'transport-tcp', 'global'] as const;
const ENDPOINT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/**
 * The PJSIP endpoint of a dial string: `PJSIP/12366@sc-tax` → `sc-tax`, `PJSIP/sc-tax` → `sc-tax`,
 * `PJSIP/sc-tax/sip:12366@10.0.0.5` → `sc-tax`; undefined for other technologies.
 */
export function pjsipEndpoint(dial: string): string | undefined {
  if (!dial.startsWith('PJSIP/')) return undefined;
  const resource = dial.slice('PJSIP/'.length).split('/')[0] ?? '';
  const at = resource.lastIndexOf('@');
  return at >= 0 ? resource.slice(at + 1) : resource;
}

/** Every dial string of the plan, grouped by the PJSIP endpoint it goes through. */
export function dialTargets(plan: RoutingPlan): DialTargets {
  const uses: DialUse[] = [
    ...[...plan.subcenters.values()].map((t) => ({ kind: 'subcenter' as const, ...pick(t) })),
    ...[...plan.departments.values()].map((t) => ({ kind: 'department' as const, ...pick(t) })),
    ...[...plan.emergency.values()].map((t) => ({ kind: 'emergency' as const, ...pick(t) })),
    ...[...plan.centers.values()].map((t) => ({ kind: 'center' as const, ...pick(t) })),
    ...[...plan.directory.values()].map((t) => ({ kind: 'directory' as const, ...pick(t) })),
  ];
  const trunks = new Map<string, Trunk>();
  const unmanaged: DialUse[] = [];
  for (const use of uses) {
    const endpoint = pjsipEndpoint(use.dial);
    if (endpoint === undefined) {
      unmanaged.push(use);
      continue;
    }
    if (!ENDPOINT_NAME.test(endpoint)) {
      throw new TrunkNameError(
        `${use.kind} "${use.id}" dials "${use.dial}": "${endpoint}" is not an endpoint name`,
      );
    }
    if ((RESERVED_ENDPOINTS as readonly string[]).includes(endpoint)) {
      throw new TrunkNameError(
        `${use.kind} "${use.id}" dials through "${endpoint}", a name pjsip.conf uses for something else`,
      );
    }
    const trunk = trunks.get(endpoint) ?? { endpoint, uses: [] };
    trunk.uses.push(use);
    trunks.set(endpoint, trunk);
  }
  return {
    trunks: [...trunks.values()].sort((a, b) => a.endpoint.localeCompare(b.endpoint, 'en')),
    unmanaged,
  };
}

function pick(t: { id: string; name: string; number: string; dial: string }): Omit<DialUse, 'kind'> {
  return { id: t.id, name: t.name, number: t.number, dial: t.dial };
}
