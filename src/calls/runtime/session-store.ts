import type { CallState } from '../core/types.ts';

/**
 * How long the ids of an ended call are remembered, so that no listing brings the call back.
 * A listing can show an ended call's channel only while Asterisk is still tearing it down, or
 * across a restart (resync runs within seconds of the start): ten minutes covers both with a wide
 * margin. Longer costs memory at the rated load (300 calls/s × 3 ids × 10 min ≈ 540,000 ids, in
 * the engine and in Redis); a day would be 78 million.
 */
export const TOMBSTONE_TTL_MS = 10 * 60_000;

/**
 * Where live call sessions are kept so an engine that restarts (crash, deploy) picks its calls
 * up again: bridged calls stay up in the PBX, and their sessions carry on from here.
 *
 * A call ends in three durable steps: `ending` keeps its final state (stage `ended`), the record
 * is written, then `tombstone` replaces the session with the call's ids. An engine that restarts
 * with an ended session completes it (its record, then its tombstone); an id with a tombstone is
 * never started again as a call.
 */
export interface SessionStore {
  /** Whether what is kept outlives the process (a restarted engine reads it back). */
  readonly durable: boolean;
  /** Records the session's current state (writes may be coalesced; order per call is kept). */
  save(state: CallState): void;
  /** Drops a session that is not to be picked up again (its line is gone). */
  remove(callId: string): void;
  /** Keeps the final state of a call that ended (resolves once written). */
  ending(state: CallState): Promise<void>;
  /**
   * The call's record is written: its session is replaced, in one step, with a tombstone of
   * `ids` (the call id and its legs' channels) until `expiresAt` (resolves once written).
   */
  tombstone(callId: string, ids: string[], expiresAt: number): Promise<void>;
  /** The sessions this engine held when it stopped (ended ones included: they are to complete). */
  load(): Promise<CallState[]>;
  /** The ids with a tombstone that has not expired by `now`, with their expiry. */
  tombstones(now: number): Promise<{ id: string; expiresAt: number }[]>;
  /** Waits until every save and removal so far is written. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** No persistence (the embedded default): a restarted engine starts with no calls. */
export const noSessionStore: SessionStore = {
  durable: false,
  save: () => undefined,
  remove: () => undefined,
  ending: async () => undefined,
  tombstone: async () => undefined,
  load: async () => [],
  tombstones: async () => [],
  flush: async () => undefined,
  close: async () => undefined,
};
