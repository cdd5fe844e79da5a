import { log, type Turn } from '../kernel.ts';
import type { CallState } from '../types.ts';

/**
 * The agent's hold and mute (保持 / 静音) on the call they are talking on.
 *
 * Hold: the citizen hears music on hold (ARI `POST /channels/{caller}/moh`, the `default` class of
 * musiconhold.conf) while the agent's audio no longer reaches them; taking them back stops it.
 * Each hold is counted and its time added up for the record; a hold still open when the call
 * ends counts until the end. Mute: the agent's own microphone (ARI `POST /channels/{agent}/mute`
 * with direction `in`, what the agent's phone sends), the citizen hears silence.
 *
 * Both belong to the agent talking with the citizen: once the call leaves that stage (the agent
 * leaves, a survey starts, the caller hangs up) the hold is closed and the music stopped while the
 * caller is still there, and the mute dropped with the agent's leg.
 */

/** Why an agent's hold or mute is refused now (absent: allowed). */
export function deskRefusal(
  s: CallState,
): { code: 'not-talking' | 'transfer-in-progress'; message: string } | undefined {
  if (s.stage !== 'talking' || !s.agent)
    return { code: 'not-talking', message: `the call is ${s.stage}, not talking with an agent` };
  // A transfer moves the citizen between bridges and targets: hold and mute wait until it is over.
  if (s.transfer)
    return {
      code: 'transfer-in-progress',
      message: `a transfer to ${s.transfer.target.kind}:${s.transfer.target.id} is under way`,
    };
  return undefined;
}

/** Puts the citizen on hold (no change if they already are). */
export function holdCaller(s: CallState, t: Turn): void {
  if (deskRefusal(s) || s.hold?.since !== undefined) return;
  const h = s.hold ?? { count: 0, totalMs: 0 };
  s.hold = { ...h, count: h.count + 1, since: t.now };
  log(s, t, 'hold', { agent: s.agent?.agentId });
  t.out.push({ kind: 'channel-moh', channel: s.callerChannel, on: true });
}

/** Takes the citizen back from hold (no change if they are not on hold). */
export function unholdCaller(s: CallState, t: Turn): void {
  if (deskRefusal(s) || s.hold?.since === undefined) return;
  closeHold(s, t);
  t.out.push({ kind: 'channel-moh', channel: s.callerChannel, on: false });
}

/** Mutes or unmutes the agent's microphone (no change if it already is so). */
export function muteAgent(s: CallState, t: Turn, on: boolean): void {
  if (deskRefusal(s) || !s.agent || Boolean(s.muted) === on) return;
  if (on) s.muted = true;
  else delete s.muted;
  log(s, t, on ? 'mute' : 'unmute', { agent: s.agent.agentId });
  t.out.push({ kind: 'channel-mute', channel: s.agent.channelId, direction: 'in', on });
}

/**
 * After each turn: a hold or mute outliving the agent's talk is ended. The music stops while the
 * caller is still in the call (a survey or a transfer target follows); an ended call only closes
 * the figures. The mute goes with the agent's leg: nothing to tell the PBX.
 */
export function settleHold(s: CallState, t: Turn): void {
  const talking = s.stage === 'talking' && s.agent !== undefined;
  if (!talking && s.muted) delete s.muted;
  if (talking || s.hold?.since === undefined) return;
  closeHold(s, t);
  // First of the turn's commands: the music stops before a survey prompt or a target is heard.
  if (s.stage !== 'ended') t.out.unshift({ kind: 'channel-moh', channel: s.callerChannel, on: false });
}

function closeHold(s: CallState, t: Turn): void {
  const h = s.hold;
  if (h?.since === undefined) return;
  const ms = Math.max(0, t.now - h.since);
  s.hold = { count: h.count, totalMs: h.totalMs + ms };
  log(s, t, 'unhold', { seconds: Math.round(ms / 1000) });
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
