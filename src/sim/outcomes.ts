/**
 * What happened to each call, for tests and the `simulate` command: answered or not, who it
 * was bridged with, the prompts it heard and for how long, its DTMF, and how it ended.
 */
export interface PromptHeard {
  media: string;
  playbackId: string;
  /** Simulated milliseconds the prompt actually played. */
  playedMs: number;
  result: 'done' | 'stopped' | 'failed';
}

export type HangupBy = 'caller' | 'app' | 'remote' | 'dial-failure' | 'dialplan';

export interface CallOutcome {
  channelId: string;
  kind: 'inbound' | 'originated' | 'created';
  app: string | undefined;
  dialed: string | undefined;
  endpoint: string;
  /** Stasis() failed because no WebSocket served the app; the call went on in the dialplan. */
  fallback: boolean;
  /** The admission gate's reason when the dialplan shed the call to the safety net. */
  shed?: string | undefined;
  answered: boolean;
  /** Simulated ms from the call's start to its answer. */
  answeredAfterMs: number | undefined;
  bridgedWith: string[];
  talkedWithEndpoints: string[];
  dtmf: string;
  prompts: PromptHeard[];
  ended: boolean;
  hangupBy: HangupBy | undefined;
  hangupCause: number | undefined;
  /** Simulated ms from start to end. */
  durationMs: number | undefined;
}

export type CallOutcomeRecord = CallOutcome & { startedAtReal: number };

const MAX_KEPT = 100_000;

export class OutcomeBook {
  private readonly records = new Map<string, CallOutcomeRecord>();

  open(
    init: Pick<CallOutcome, 'channelId' | 'kind' | 'app' | 'dialed' | 'endpoint'>,
    startedAtReal: number,
  ): CallOutcomeRecord {
    const record: CallOutcomeRecord = {
      ...init,
      fallback: false,
      answered: false,
      answeredAfterMs: undefined,
      bridgedWith: [],
      talkedWithEndpoints: [],
      dtmf: '',
      prompts: [],
      ended: false,
      hangupBy: undefined,
      hangupCause: undefined,
      durationMs: undefined,
      startedAtReal,
    };
    if (this.records.size >= MAX_KEPT) {
      const oldest = this.records.keys().next().value;
      if (oldest !== undefined) this.records.delete(oldest);
    }
    this.records.set(init.channelId, record);
    return record;
  }

  get(channelId: string): CallOutcome | undefined {
    const record = this.records.get(channelId);
    if (!record) return undefined;
    const { startedAtReal: _ignored, ...outcome } = record;
    return structuredClone(outcome);
  }
}
