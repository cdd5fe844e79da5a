/**
 * References from a route to where the call goes next, written `kind:id` in the rules
 * (`pool:general`, `menu:level`, `subcenter:tax`) or a bare kind for `ticket`.
 */
export const refKinds = [
  'pool',
  'expert',
  'subcenter',
  'department',
  'emergency',
  'center',
  'menu',
  'answer',
  'self-service',
  'line',
  'announcement',
  'ticket',
] as const;
export type RefKind = (typeof refKinds)[number];

export interface Ref {
  kind: RefKind;
  /** The referenced id; for `ticket` it is "ticket"; `*` for the line's own expert seat, sub-center or department line. */
  id: string;
}

const pattern = /^([a-z-]+)(?::([a-z0-9][a-z0-9-]*|\*))?$/;

/**
 * `expert:*`, `subcenter:*` and `department:*` mean the seat, sub-center or department line
 * serving the line's own number.
 */
export const OWN = '*';
const ownKinds: readonly RefKind[] = ['expert', 'subcenter', 'department'];

/** Parses a reference; returns an explanation string when it is malformed. */
export function parseRef(value: string): Ref | string {
  const m = pattern.exec(value);
  const kind = m?.[1] as RefKind | undefined;
  if (!m || !kind || !refKinds.includes(kind)) {
    return `must be "kind:id" with kind one of ${refKinds.join(', ')} (or just "ticket"), got "${value}"`;
  }
  if (kind === 'ticket') {
    if (m[2] !== undefined) return '"ticket" takes no id';
    return { kind, id: 'ticket' };
  }
  if (m[2] === undefined) return `"${kind}" needs an id, e.g. "${kind}:some-id"`;
  if (m[2] === OWN && !ownKinds.includes(kind))
    return `"${kind}:*" is not allowed; only expert:*, subcenter:* and department:*`;
  return { kind, id: m[2] };
}

export function refToString(ref: Ref): string {
  return ref.kind === 'ticket' ? 'ticket' : `${ref.kind}:${ref.id}`;
}
