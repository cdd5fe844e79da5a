import type { CompiledLine, CompiledRoute, CompiledSubcenter, RoutingPlan } from './compile.ts';
import { OWN } from './ref.ts';
import { ALWAYS } from './schema.ts';

/**
 * Sub-center lines (设分中心) keep their number and their agents: the documents leave the calls
 * with the department, linked to 12345 only by transfer. When nothing of 12345 happens on such a
 * line at any time — every phase, and the line's own route, goes plainly to the same sub-center
 * (no prompt, no center greeting), which is open 7×24 — the PBX puts its calls straight through
 * to the sub-center's dial string (src/deploy/extensions.ts) and 12345 does not answer them. The
 * engine takes such a call only when that dial fails (busy, no answer, congestion, unreachable):
 * it enters Stasis with `direct-failed` arguments and 12345's fallback serves it (see
 * `pbxDialOf`); a call that reaches the engine otherwise (the simulator, a number form the
 * dialplan does not list) is still dialled by the engine itself.
 */
export function directSubcenter(plan: RoutingPlan, line: CompiledLine): CompiledSubcenter | undefined {
  if (plan.center.greeting.length > 0) return undefined;
  const routes: CompiledRoute[] = [...line.phases.map((p) => p.route), ...(line.route ? [line.route] : [])];
  if (routes.length === 0) return undefined;
  let found: CompiledSubcenter | undefined;
  for (const route of routes) {
    if (route.prompts.length > 0 || route.target.kind !== 'subcenter') return undefined;
    const sc = subcenterOf(plan, route.target.id, line);
    if (!sc || (found && found.id !== sc.id)) return undefined;
    found = sc;
  }
  if (!found) return undefined;
  const hours = plan.schedules.get(found.hours);
  return found.hours === ALWAYS || hours?.always === true ? found : undefined;
}

function subcenterOf(plan: RoutingPlan, id: string, line: CompiledLine): CompiledSubcenter | undefined {
  if (id !== OWN) return plan.subcenters.get(id);
  for (const sc of plan.subcenters.values()) if (sc.number === line.number) return sc;
  return undefined;
}

/** What the dialplan's Dial() to a sub-center ended with (`DIALSTATUS`), as a failed leg. */
export type DirectDialFailure = 'busy' | 'no-answer' | 'unreachable' | 'failed';

/** A call the PBX dialled straight to a sub-center, handed to the engine because that failed. */
export interface PbxDial {
  target: { kind: 'subcenter'; id: string };
  /** Asterisk's DIALSTATUS (BUSY, NOANSWER, CONGESTION, CHANUNAVAIL, …). */
  status: string;
  result: DirectDialFailure;
  /** When the dialplan started dialling (epoch ms), when it said so. */
  startedAt?: number;
}

/** The first Stasis argument after the dialed number that marks a failed direct dial. */
export const DIRECT_FAILED = 'direct-failed';

const RESULTS: Record<string, DirectDialFailure> = {
  BUSY: 'busy',
  NOANSWER: 'no-answer',
  CONGESTION: 'unreachable',
  CHANUNAVAIL: 'unreachable',
};

/**
 * Reads the Stasis arguments the generated dialplan passes after a failed direct dial:
 * `<dialed>,direct-failed,subcenter:<id>,<DIALSTATUS>,<epoch seconds>`. Undefined for any other
 * call (arguments that do not have this form are not a direct dial).
 */
export function pbxDialOf(args: readonly string[]): PbxDial | undefined {
  if (args[1] !== DIRECT_FAILED) return undefined;
  const target = /^subcenter:([a-z0-9][a-z0-9-]{0,63})$/.exec(args[2] ?? '');
  if (!target) return undefined;
  const status = /^[A-Z]{1,20}$/.test(args[3] ?? '') ? args[3]! : 'UNKNOWN';
  const dial: PbxDial = {
    target: { kind: 'subcenter', id: target[1]! },
    status,
    result: RESULTS[status] ?? 'failed',
  };
  const seconds = Number(args[4]);
  if (/^[0-9]{9,11}$/.test(args[4] ?? '') && Number.isSafeInteger(seconds)) dial.startedAt = seconds * 1000;
  return dial;
}

/** What `explain` says of a line the PBX puts straight through to its sub-center. */
export function directReason(number: string, sc: CompiledSubcenter): string {
  return `the PBX puts calls to ${number} straight through to sub-center "${sc.id}" (${sc.name}, ${sc.dial}, ringing ${sc.ringSeconds} s): 12345 does not answer them; only a call the sub-center does not take (busy, no answer, congestion, unreachable) comes to 12345, whose fallback serves it`;
}
