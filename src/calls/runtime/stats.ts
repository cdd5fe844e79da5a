/** What one reconciliation found and ended. */
export interface ReconcileFindings {
  /** Channels the engine originated whose call is gone (hung up). */
  orphanChannels: number;
  /** Bridges the engine created whose call is gone (destroyed). */
  orphanBridges: number;
  /** Channels of live calls the PBX no longer has (their calls were told). */
  lostChannels: number;
  /** Calls that ended because all they had was gone. */
  endedCalls: number;
}

export interface EngineStats {
  live: number;
  started: number;
  ended: number;
  /** New calls admission control handed to the safety net (counted in `started` and `ended` too). */
  shed: number;
  /** Shed calls the PBX would not take back into the dialplan (hung up instead). */
  handOverFailures: number;
  recordsWritten: number;
  recordFailures: number;
  /** Commands the PBX refused (a real refusal, logged as a warning). */
  commandFailures: number;
  /** Commands that got no answer from the PBX (connection broken or timed out). */
  commandTransportFailures: number;
  /** Commands that lost a race with a hang-up (the channel was gone): expected, not warned about. */
  commandRaces: number;
  /** Originates refused by the dial allow-list (never sent to the PBX). */
  dialsRefused: number;
  /** Totals of every reconciliation so far. */
  reconcile: ReconcileFindings & { runs: number };
}

export const noFindings = (): ReconcileFindings => ({
  orphanChannels: 0,
  orphanBridges: 0,
  lostChannels: 0,
  endedCalls: 0,
});

export const newStats = (): EngineStats => ({
  live: 0,
  started: 0,
  ended: 0,
  shed: 0,
  handOverFailures: 0,
  recordsWritten: 0,
  recordFailures: 0,
  commandFailures: 0,
  commandTransportFailures: 0,
  commandRaces: 0,
  dialsRefused: 0,
  reconcile: { runs: 0, ...noFindings() },
});
