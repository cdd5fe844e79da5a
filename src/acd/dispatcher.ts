import { decideDispatch, type EscalationDecision, type OfferDecision } from './dispatch.ts';
import type { QueuePolicy } from './queue-policy.ts';
import type { AcdStore, ReserveRefusal } from './store/port.ts';

/**
 * One dispatch round for an engine process, over the store port only: read a snapshot, decide
 * (pure), and reserve the agents chosen for this engine's own calls. Other engines' calls count in
 * the decision (priorities are global) but are left for their engine to reserve. Refusals are
 * normal when engines race: the losing engine runs another round on the next change.
 */
export interface DispatchRound {
  /** Reserved: ring these agents now, renew while ringing, then confirm / release. */
  reserved: OfferDecision[];
  /** Offers another engine or a state change got to first. */
  refused: { offer: OfferDecision; reason: ReserveRefusal }[];
  /** This engine's calls due for overflow (transfer to `overflowTo`) or max-wait (ticket). */
  escalations: EscalationDecision[];
  /** Run another round at this time even if nothing changes (a call changes stage). */
  nextCheckAt?: number;
}

export interface DispatchRoundInput {
  store: AcdStore;
  queues: readonly QueuePolicy[];
  engineId: string;
  /** Reservation lease; renew it while the agent's phone rings. */
  reservationTtlMs: number;
  now: number;
}

export async function dispatchRound(input: DispatchRoundInput): Promise<DispatchRound> {
  const { store, queues, engineId, reservationTtlMs, now } = input;
  const snapshot = await store.snapshot(queues.map((q) => q.id));
  const decision = decideDispatch({ queues, agents: snapshot.agents, calls: snapshot.calls }, now);
  const mine = decision.offers.filter((o) => o.engineId === engineId);
  const results = await Promise.all(
    mine.map(async (offer) => ({
      offer,
      out: await store.reserve(offer.agentId, offer.callId, engineId, reservationTtlMs),
    })),
  );
  const round: DispatchRound = {
    reserved: results.filter((r) => r.out.ok).map((r) => r.offer),
    refused: results.flatMap((r) => (r.out.ok ? [] : [{ offer: r.offer, reason: r.out.reason }])),
    escalations: decision.escalations.filter((e) => e.engineId === engineId),
  };
  if (decision.nextCheckAt !== undefined) round.nextCheckAt = decision.nextCheckAt;
  return round;
}
