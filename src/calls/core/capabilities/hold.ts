import { deskRefusal, isDeskEvent } from '../desk.ts';
import { log, type Turn } from '../kernel.ts';
import type { CallEvent, CallState, Command, DeskEvent } from '../types.ts';

export { isDeskEvent } from '../desk.ts';

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
 * leaves, a survey starts, the caller hangs up) or a transfer starts, the hold is closed and the
 * music stopped while the caller is still there; the mute goes with the agent's leg.
 */

/** Closes each turn: applies a desk request, ends a hold or mute the turn left behind; the turn's commands. */
export function deskTurn(s: CallState, t: Turn, event: CallEvent): Command[] {
  if (isDeskEvent(event) && !deskRefusal(s, event.kind)) apply(s, t, event);
  settle(s, t);
  return t.out;
}

function apply(s: CallState, t: Turn, event: DeskEvent): void {
  const agent = s.agent!;
  if (event.kind === 'mute') {
    if (Boolean(s.muted) === event.on) return;
    if (event.on) s.muted = true;
    else delete s.muted;
    log(s, t, event.on ? 'mute' : 'unmute', { agent: agent.agentId });
    t.out.push({ kind: 'channel-mute', channel: agent.channelId, direction: 'in', on: event.on });
    return;
  }
  const held = s.hold?.since !== undefined;
  if (event.kind === 'hold' && !held) {
    const h = s.hold ?? { count: 0, totalMs: 0 };
    s.hold = { ...h, count: h.count + 1, since: t.now };
    log(s, t, 'hold', { agent: agent.agentId });
    t.out.push({ kind: 'channel-moh', channel: s.callerChannel, on: true });
  } else if (event.kind === 'unhold' && held) {
    closeHold(s, t);
    t.out.push({ kind: 'channel-moh', channel: s.callerChannel, on: false });
  }
}

/**
 * A hold outliving the agent's talk (or meeting a transfer) is closed: the music stops, first of
 * the turn's commands, while the caller is still in the call; an ended call only closes the
 * figures. A mute outliving the agent's leg is forgotten (nothing to tell the PBX).
 */
function settle(s: CallState, t: Turn): void {
  const agentOn = s.stage === 'talking' && s.agent !== undefined;
  if (!agentOn && s.muted) delete s.muted;
  if ((agentOn && !s.transfer) || s.hold?.since === undefined) return;
  closeHold(s, t);
  if (s.stage !== 'ended') t.out.unshift({ kind: 'channel-moh', channel: s.callerChannel, on: false });
}

function closeHold(s: CallState, t: Turn): void {
  const h = s.hold!;
  const ms = Math.max(0, t.now - (h.since ?? t.now));
  s.hold = { count: h.count, totalMs: h.totalMs + ms };
  log(s, t, 'unhold', { seconds: Math.round(ms / 1000) });
}
