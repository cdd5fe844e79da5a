import type { CallEventLog, CallState } from '../calls/core/types.ts';

/** GB/T 33358: a call counts within the service level when answered within 15 s of entering a queue. */
export const SERVICE_LEVEL_SECONDS = 15;

/** Where the caller hung up before being served (from the session's disposition). */
export type AbandonedWhere = 'ivr' | 'queue' | 'ringing';

/**
 * The figures of one call, as every consumer counts them (records, the 24 h window behind
 * `/stats`, `/metrics` and the wallboard, the simulator's summary). Times are epoch ms.
 */
export interface CallFigureSet {
  /** The caller's channel reached the hotline. */
  arrivedAt: number;
  /**
   * When the call ended; for a call still live, `now` when given, else its last logged event.
   * Waits and talk time of a live call run up to it.
   */
  endedAt: number;
  /** Whether the call has ended (the session says so). */
  ended: boolean;
  /**
   * The wait starts here: the FIRST entry into a pool or expert-seat queue. An overflow to another
   * queue, a failed offer or a transfer to an expert seat keeps this place (and this time).
   */
  queuedAt?: number;
  /**
   * The call left the queues: answered, the longest wait passed, the IVR dialled a target after an
   * overflow, or the call ended while waiting. Absent while still waiting (or never queued).
   */
  queueLeftAt?: number;
  /**
   * Offered to the agents (转人工): the call entered a pool or expert-seat queue, i.e. asked for an
   * agent. The denominator of the answer rate (接通率 = answered / offered), the service level and
   * the abandonment rate. A call that never queued (self-service, IVR transfer, hung up in the
   * IVR) is not offered.
   */
  offered: boolean;
  /** An agent's phone was rung for the call (at least one offer). */
  rung: boolean;
  /** The offer to the agent who answered, else the last offer made. */
  agentOfferedAt?: number;
  /**
   * An agent answered: the call's first `connected` event. The call stays answered whatever
   * happens after — the agent leaving a three-way call, a blind transfer, a transfer to an
   * expert seat.
   */
  answered: boolean;
  /** When that first agent answered. */
  answeredAt?: number;
  /** The agent who answered (the first `connected`), not whoever held the call last. */
  agentId?: string;
  /**
   * Wait in ms from `queuedAt`: to the answer for an answered call (the ASA and service-level
   * wait); to leaving the queues unanswered otherwise (to `endedAt` while still waiting).
   */
  waitMs?: number;
  /**
   * Answered within `serviceLevelSeconds` (15 s, GB/T 33358) of the first queue entry. Service
   * level = calls that hit it / offered.
   */
  serviceLevelHit: boolean;
  /**
   * Wait in ms from the call's arrival (prompts and menus included) to the answer, for an answered
   * call that queued: what the caller lived through before a person.
   */
  waitFromArrivalMs?: number;
  /** Answered within `serviceLevelSeconds` of arriving (the prompts count). Over offered, like `serviceLevelHit`. */
  serviceLevelFromArrivalHit: boolean;
  /** The answering agent's talk time: from the answer until that agent left the call, or the call ended. */
  talkMs?: number;
  /** `talkMs` in whole seconds (rounded), as the record states it. */
  talkSeconds?: number;
  /** Where the caller hung up before being served, from the disposition (`abandoned-*`); else absent. */
  abandoned?: AbandonedWhere;
  /**
   * Abandoned (放弃) for the KPI: an offered call whose caller hung up while waiting in a queue or
   * while an agent's phone rang. Abandonment rate = these / offered.
   */
  abandonedWaiting: boolean;
  /** The call ended handed over to another service (disposition `transferred`: the IVR's or an agent's transfer). */
  transferred: boolean;
}

export interface CallFigureOptions {
  /** The service level threshold in seconds (the plan's `center.serviceLevelSeconds`; default 15). */
  serviceLevelSeconds?: number;
  /** For a live call: the time its running wait or talk is measured up to. */
  now?: number;
}

/** Whether a wait from queue entry to answer is within the service level. */
export function withinServiceLevel(waitMs: number, serviceLevelSeconds: number): boolean {
  return waitMs <= serviceLevelSeconds * 1000;
}

const abandonedWhere: Partial<Record<NonNullable<CallState['disposition']>, AbandonedWhere>> = {
  'abandoned-ivr': 'ivr',
  'abandoned-queue': 'queue',
  'abandoned-ringing': 'ringing',
};

/** Events that end a queue wait (an overflow to another queue does not). */
const leavesQueue = new Set(['connected', 'max-wait', 'dial', 'ended']);

function indexOf(events: readonly CallEventLog[], what: string, from = 0): number {
  for (let i = from; i < events.length; i++) if (events[i]!.what === what) return i;
  return -1;
}

/**
 * The one definition of a call's figures, from its state (ended or live): its event log first,
 * the state's fields only for a state saved without them. Pure: same state, same figures.
 *
 * - offered: entered a pool or expert-seat queue (a `queued` event); 接通率 = answered / offered;
 * - queuedAt: the first `queued` — the wait keeps its start through overflow and re-queueing;
 * - answered / answeredAt / agentId: the first `connected` — still answered if that agent later
 *   left a three-way call or the call went on to an expert seat;
 * - waitMs: queuedAt → answeredAt (answered), else queuedAt → leaving the queues unanswered;
 * - serviceLevelHit: answered and waitMs ≤ serviceLevelSeconds (15 s, GB/T 33358, from queue entry);
 * - waitFromArrivalMs / serviceLevelFromArrivalHit: the same from the call's arrival (the prompts
 *   and menus before the queue count), for an offered call;
 * - talkMs: answeredAt → the answering agent's `agent-left` (or the end of the call);
 * - abandoned: where, from `abandoned-ivr|queue|ringing`; abandonedWaiting: offered and hung up
 *   in a queue or while ringing (the abandonment rate's numerator);
 * - transferred: disposition `transferred`.
 */
export function callFigures(s: CallState, options: CallFigureOptions = {}): CallFigureSet {
  const ev = s.events;
  const ended = s.stage === 'ended' || s.endedAt !== undefined;
  const endedAt = s.endedAt ?? (ended ? undefined : options.now) ?? ev.at(-1)?.at ?? s.arrivedAt;
  const sl = options.serviceLevelSeconds ?? SERVICE_LEVEL_SECONDS;

  const q = indexOf(ev, 'queued');
  const queuedAt = q >= 0 ? ev[q]!.at : (s.queue?.enqueuedAt ?? s.queuedAt);
  let queueLeftAt: number | undefined;
  if (q >= 0) {
    for (let i = q + 1; i < ev.length && queueLeftAt === undefined; i++)
      if (leavesQueue.has(ev[i]!.what)) queueLeftAt = ev[i]!.at;
  }

  const c = indexOf(ev, 'connected');
  const connected = c >= 0 ? ev[c] : undefined;
  const answeredAt = connected?.at ?? s.agent?.answeredAt;
  const answered = answeredAt !== undefined;
  const detailAgent = connected?.detail?.agent;
  const agentId = typeof detailAgent === 'string' ? detailAgent : s.agent?.agentId;
  if (answered && queueLeftAt === undefined && queuedAt !== undefined) queueLeftAt = answeredAt;

  const offers = ev.filter((e, i) => e.what === 'offer' && (c < 0 || i < c));
  const rung = offers.length > 0 || s.offer !== undefined || indexOf(ev, 'offer') >= 0;

  let talkMs: number | undefined;
  if (answeredAt !== undefined) {
    const left = c >= 0 ? indexOf(ev, 'agent-left', c + 1) : -1;
    talkMs = Math.max(0, (left >= 0 ? ev[left]!.at : endedAt) - answeredAt);
  }

  const waitMs =
    queuedAt === undefined ? undefined : Math.max(0, (answeredAt ?? queueLeftAt ?? endedAt) - queuedAt);
  const offered = queuedAt !== undefined;
  const waitFromArrivalMs =
    offered && answeredAt !== undefined ? Math.max(0, answeredAt - s.arrivedAt) : undefined;
  const abandoned = s.disposition ? abandonedWhere[s.disposition] : undefined;

  return {
    arrivedAt: s.arrivedAt,
    endedAt,
    ended,
    ...(queuedAt !== undefined ? { queuedAt } : {}),
    ...(queueLeftAt !== undefined ? { queueLeftAt } : {}),
    offered,
    rung,
    ...(offers.length > 0 ? { agentOfferedAt: offers.at(-1)!.at } : {}),
    answered,
    ...(answeredAt !== undefined ? { answeredAt } : {}),
    ...(answered && agentId !== undefined ? { agentId } : {}),
    ...(waitMs !== undefined ? { waitMs } : {}),
    serviceLevelHit: answered && offered && withinServiceLevel(waitMs ?? 0, sl),
    ...(waitFromArrivalMs !== undefined ? { waitFromArrivalMs } : {}),
    serviceLevelFromArrivalHit: waitFromArrivalMs !== undefined && withinServiceLevel(waitFromArrivalMs, sl),
    ...(talkMs !== undefined ? { talkMs, talkSeconds: Math.round(talkMs / 1000) } : {}),
    ...(abandoned ? { abandoned } : {}),
    abandonedWaiting: offered && (abandoned === 'queue' || abandoned === 'ringing'),
    transferred: s.disposition === 'transferred',
  };
}

/** Live calls by where they are now, for the wallboard: in the IVR, waiting in a queue, talking. */
export interface LiveCounts {
  calls: number;
  ivr: number;
  /** In a queue, no agent's phone ringing. */
  waiting: number;
  /** With an agent, or handed to a transfer target. */
  talking: number;
}

export function liveCounts(calls: readonly CallState[]): LiveCounts {
  const out: LiveCounts = { calls: 0, ivr: 0, waiting: 0, talking: 0 };
  for (const c of calls) {
    out.calls++;
    if (c.stage === 'ivr') out.ivr++;
    else if (c.stage === 'queued') out.waiting++;
    else if (c.stage === 'talking' || c.stage === 'transferred') out.talking++;
  }
  return out;
}
