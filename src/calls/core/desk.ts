import type { CallEvent, CallState, DeskEvent } from './types.ts';

export const isDeskEvent = (e: CallEvent): e is DeskEvent =>
  e.kind === 'hold' || e.kind === 'unhold' || e.kind === 'mute';

/**
 * Why an agent's hold or mute is refused now (absent: allowed). Both need the call talking with
 * its agent; hold also waits while a transfer moves the citizen between bridges and targets (the
 * agent may still mute, e.g. while consulting).
 */
export function deskRefusal(
  s: CallState,
  kind: DeskEvent['kind'],
): { code: 'not-talking' | 'transfer-in-progress'; message: string } | undefined {
  if (s.stage !== 'talking' || !s.agent)
    return { code: 'not-talking', message: `the call is ${s.stage}, not talking with an agent` };
  if (s.transfer && kind !== 'mute')
    return {
      code: 'transfer-in-progress',
      message: `a transfer to ${s.transfer.target.kind}:${s.transfer.target.id} is under way`,
    };
  return undefined;
}

/** The call's hold figures at `now` (an open hold counts until then): how many, and for how long. */
export function holdFigures(
  s: Pick<CallState, 'hold'>,
  now: number,
): { count: number; totalMs: number; onHoldSince?: number } | undefined {
  const h = s.hold;
  if (!h) return undefined;
  if (h.since === undefined) return { count: h.count, totalMs: h.totalMs };
  return { count: h.count, totalMs: h.totalMs + Math.max(0, now - h.since), onHoldSince: h.since };
}
