import type { RoutingPlan } from '../../plan/compile.ts';
import type { CallState } from './types.ts';

/** Where an agent can send a call: a number to dial, or an expert seat queue. */
export type TransferTarget =
  | {
      kind: 'subcenter' | 'emergency' | 'center' | 'directory';
      id: string;
      name: string;
      dial: string;
      ringSeconds: number;
    }
  | { kind: 'expert'; id: string; name: string; skill: string };

export type TransferRefusal =
  | { code: 'no-such-target'; message: string }
  | { code: 'not-talking'; message: string }
  | { code: 'transfer-in-progress'; message: string }
  | { code: 'no-transfer'; message: string };

/** Resolves `subcenter:tax`, `expert:legal`, `emergency:police`, `center:…`, `directory:…` in the plan. */
export function resolveTarget(plan: RoutingPlan, ref: string): TransferTarget | TransferRefusal {
  const m = /^(subcenter|emergency|center|directory|expert):([a-z0-9][a-z0-9-]*)$/.exec(ref);
  if (!m) {
    return {
      code: 'no-such-target',
      message: `target must be "subcenter:ID", "expert:ID", "emergency:ID", "center:ID" or "directory:ID", got "${ref}"`,
    };
  }
  const kind = m[1] as TransferTarget['kind'];
  const id = m[2]!;
  if (kind === 'expert') {
    const e = plan.experts.get(id);
    if (!e) return { code: 'no-such-target', message: `no expert seat "${id}" in the plan` };
    return { kind, id, name: e.name, skill: e.skills[0] ?? e.id };
  }
  const table =
    kind === 'subcenter'
      ? plan.subcenters
      : kind === 'emergency'
        ? plan.emergency
        : kind === 'center'
          ? plan.centers
          : plan.directory;
  const t = table.get(id);
  if (!t) return { code: 'no-such-target', message: `no ${kind} "${id}" in the plan` };
  return { kind, id, name: t.name, dial: t.dial, ringSeconds: t.ringSeconds };
}

/** Whether the call can start a transfer now (an agent is talking with the caller, no transfer under way). */
export function checkTransfer(
  s: CallState,
  plan: RoutingPlan,
  ref: string,
): TransferTarget | TransferRefusal {
  if (s.stage !== 'talking' || !s.agent) {
    return { code: 'not-talking', message: `the call is ${s.stage}, not talking with an agent` };
  }
  if (s.transfer) return { code: 'transfer-in-progress', message: `transfer ${s.transfer.id} is under way` };
  return resolveTarget(plan, ref);
}

export function isRefusal(x: TransferTarget | TransferRefusal): x is TransferRefusal {
  return 'code' in x;
}
