import type { CallState } from '../core/types.ts';

/**
 * Where live call sessions are kept so an engine that restarts (crash, deploy) picks its calls
 * up again: bridged calls stay up in the PBX, and their sessions carry on from here.
 */
export interface SessionStore {
  /** Records the session's current state (writes may be coalesced; order per call is kept). */
  save(state: CallState): void;
  /** The call ended: its session is dropped. */
  remove(callId: string): void;
  /** The sessions this engine held when it stopped. */
  load(): Promise<CallState[]>;
  /** Waits until every save and removal so far is written. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** No persistence (the embedded default): a restarted engine starts with no calls. */
export const noSessionStore: SessionStore = {
  save: () => undefined,
  remove: () => undefined,
  load: async () => [],
  flush: async () => undefined,
  close: async () => undefined,
};
