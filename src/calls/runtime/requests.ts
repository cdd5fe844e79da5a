import { deskRefusal } from '../core/desk.ts';
import { checkTransfer, isRefusal, resolveTarget } from '../core/transfer-target.ts';
import type { CallEvent, TransferMode } from '../core/types.ts';
import type { Live } from './registry.ts';

/** An agent's (or supervisor's) request about a live call. */
export type CallRequest =
  | { kind: 'transfer'; target: string; mode: TransferMode }
  | { kind: 'transfer-complete' }
  | { kind: 'transfer-cancel' }
  | { kind: 'agent-leave' }
  | { kind: 'ticket'; target: string; reason: string }
  | { kind: 'hold' | 'unhold' }
  | { kind: 'mute'; on: boolean };

export type RequestResult =
  | { ok: true; transferId?: string }
  | {
      ok: false;
      code:
        | 'no-such-call'
        | 'not-talking'
        | 'no-such-target'
        | 'transfer-in-progress'
        | 'no-transfer'
        | 'not-answered';
      message: string;
    };

/**
 * Checks a request against the call's state and the plan, then applies it through `dispatch`
 * (the call's event).
 */
export function applyRequest(
  live: Live | undefined,
  callId: string,
  r: CallRequest,
  dispatch: (event: CallEvent) => void,
): RequestResult {
  if (!live) return { ok: false, code: 'no-such-call', message: `no live call "${callId}"` };
  const s = live.state;
  switch (r.kind) {
    case 'transfer': {
      const target = checkTransfer(s, live.plan, r.target);
      if (isRefusal(target)) return { ok: false, ...target };
      dispatch({ kind: 'transfer-request', target: r.target, mode: r.mode });
      return { ok: true, transferId: s.transfers?.at(-1)?.id };
    }
    case 'transfer-complete':
    case 'transfer-cancel': {
      if (!s.transfer?.consultBridgeId)
        return { ok: false, code: 'no-transfer', message: 'no consult transfer is under way' };
      if (r.kind === 'transfer-complete' && s.transfer.answeredAt === undefined)
        return { ok: false, code: 'not-answered', message: 'the target has not answered yet' };
      const id = s.transfer.id;
      dispatch({ kind: r.kind });
      return { ok: true, transferId: id };
    }
    case 'agent-leave':
      if (s.stage !== 'talking' || !s.agent)
        return { ok: false, code: 'not-talking', message: `the call is ${s.stage}` };
      // The caller is never left alone with a target still ringing: leave once it has answered.
      if (s.transfer && s.transfer.answeredAt === undefined)
        return {
          ok: false,
          code: 'not-answered',
          message: `the transfer target ${s.transfer.target.kind}:${s.transfer.target.id} has not answered yet: wait for it to answer, or cancel the transfer`,
        };
      dispatch({ kind: 'agent-leave' });
      return { ok: true };
    case 'ticket': {
      const target = resolveTarget(live.plan, r.target);
      if (isRefusal(target)) return { ok: false, ...target };
      dispatch({ kind: 'ticket-dispatch', target: r.target, reason: r.reason });
      return { ok: true, transferId: s.transfers?.at(-1)?.id };
    }
    case 'hold':
    case 'unhold':
    case 'mute': {
      const refused = deskRefusal(s, r.kind);
      if (refused) return { ok: false, ...refused };
      dispatch(r.kind === 'mute' ? { kind: 'mute', on: r.on } : { kind: r.kind });
      return { ok: true };
    }
  }
}
