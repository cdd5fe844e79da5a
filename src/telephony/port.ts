/**
 * The telephony port: what the call engine asks of the PBX, and what the PBX tells it. The ARI
 * adapter (telephony/ari) is the only implementation that talks to Asterisk.
 */
export type TelephonyEvent =
  /** A channel entered the Stasis app: a new inbound call, or an originated channel that answered. */
  | {
      kind: 'channel-entered';
      app: string;
      channelId: string;
      args: string[];
      /** The dialed number (the Stasis argument, else the dialplan extension). */
      dialed: string;
      callerNumber: string;
      callerName: string;
      state: string;
    }
  | { kind: 'channel-ended'; channelId: string; cause: number; causeText: string }
  | { kind: 'dtmf'; channelId: string; digit: string }
  | { kind: 'playback-finished'; playbackId: string; failed: boolean }
  | { kind: 'endpoint-state'; endpoint: string; online: boolean }
  /** The event connection came back after an outage: events were lost and the engine must resynchronise. */
  | { kind: 'reconnected'; outageMs: number }
  | { kind: 'disconnected' };

export type TelephonyListener = (event: TelephonyEvent) => void;

export interface OriginateRequest {
  app: string;
  channelId: string;
  endpoint: string;
  callerId: { name: string; number: string };
  timeoutSeconds: number;
  variables: Record<string, string>;
  appArgs: string;
}

export interface OwnedResources {
  /** Channels in the app, with what a new session needs to pick them up. */
  channels: {
    id: string;
    app: string;
    dialed: string;
    callerNumber: string;
    callerName: string;
    state: string;
  }[];
  bridges: string[];
}

export interface TelephonyPort {
  start(listener: TelephonyListener): Promise<void>;
  stop(): Promise<void>;
  answer(channelId: string): Promise<void>;
  /** Plays one media item (e.g. `sound:hotline/welcome-12345`) with a playback id chosen by the engine. */
  play(channelId: string, playbackId: string, media: string): Promise<void>;
  stopPlayback(playbackId: string): Promise<void>;
  hangup(channelId: string, reason: 'normal' | 'busy' | 'no_answer'): Promise<void>;
  originate(request: OriginateRequest): Promise<void>;
  createBridge(bridgeId: string): Promise<void>;
  addToBridge(bridgeId: string, channelIds: string[]): Promise<void>;
  removeFromBridge(bridgeId: string, channelIds: string[]): Promise<void>;
  setBridgeMoh(bridgeId: string, on: boolean): Promise<void>;
  destroyBridge(bridgeId: string): Promise<void>;
  /** What the apps own now (after a reconnect); undefined playback ids are finished. */
  owned(): Promise<OwnedResources>;
  playbackExists(playbackId: string): Promise<boolean>;
}

/** A REST request the PBX refused. `status` 404 means the channel, bridge or playback is gone. */
export class TelephonyError extends Error {
  readonly code = 'telephony-error';
  constructor(
    readonly status: number,
    readonly operation: string,
    message: string,
  ) {
    super(`${operation}: ${status} ${message}`);
  }
}
